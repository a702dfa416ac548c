"""Builders of the Overview: the model map, the scatterplot, legend, cards and the three tabs."""
