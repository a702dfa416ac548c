"""The embedded demo: real small torch classifiers on scikit-learn's bundled digits data."""
