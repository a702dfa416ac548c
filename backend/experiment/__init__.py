"""The experiment: config schema, loading (ours and the reference's formats), the forest, tracking."""
