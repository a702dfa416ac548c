"""Builders every page uses: component ids, the top bar, page hrefs, the detail sidebar, job controls."""
