"""Builders of the Layers page: the module tree table, its cells, heatmap and distributions."""
