"""Which scatterplot ``selectedData`` is a user's selection (spec §1.5). That a scatter
selection never keeps a filtered-out model is checked in the browser
(tests/browser/test_overview_more.py), where the callback's wiring is."""

from __future__ import annotations

from backend.overview import actions


def test_user_boxes_lassos_and_clicks_count():
    assert actions.is_scatter_selection({"points": [{"customdata": "a"}]})  # a click or a box
    assert actions.is_scatter_selection({"points": [], "range": {"x": [0, 1], "y": [0, 1]}})  # empty box
    assert actions.is_scatter_selection({"points": [], "lassoPoints": {"x": [0, 1, 1], "y": [0, 0, 1]}})


def test_plotly_resets_and_mounting_do_not():
    assert not actions.is_scatter_selection(None)  # mounting, or a double-click deselect
    assert not actions.is_scatter_selection({"points": []})  # Plotly clearing its own box
    assert not actions.is_scatter_selection({"points": [], "selections": []})
    assert not actions.is_scatter_selection("points")

