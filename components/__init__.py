"""Builders that turn backend results into Dash layouts, Plotly figures and Cytoscape elements."""
