"""The review notes' builders: notes are text children, a problem is one line, flags are rings."""

from __future__ import annotations

from datetime import UTC, datetime

from components.overview.annotations import note_list, notes_panel, status_class
from components.overview.scatter import flag_trace, flags_patch
from tests.unit.test_viewstate_overview import forest_of


def _note(text: str, status: str = "regression"):
    from backend.annotations import Annotation

    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    return Annotation(1, "model", "m2", None, "global", status, text, "alice", now, now)


def _flat(node) -> list:
    out = [node]
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        out += _flat(child)
    return out


def test_a_note_is_a_text_child_never_markup():
    [ul] = note_list([_note("<img src=x onerror=alert(1)>")])
    texts = [n.children for n in _flat(ul) if getattr(n, "className", "") == "cc-note-text"]
    assert texts == ["<img src=x onerror=alert(1)>"]


def test_panel_for_one_model_a_problem_or_nothing():
    assert notes_panel(None, [], ("approved",)) == []
    heading, problem = notes_panel("m2", None, (), problem="annotations: sqlite:///x: disk I/O error")
    assert problem.children == "annotations: sqlite:///x: disk I/O error"
    assert "No review notes yet." in str(notes_panel("m2", [], ("approved",)))
    assert status_class("Needs Review!") == "cc-flag cc-flag-needs-review"


def test_flag_rings_follow_the_axes_and_colour_by_status():
    ids, m = ["a", "b", "c"], "Accuracy"
    forest = forest_of(ids, [m], {i: {m: n / 10} for n, i in enumerate(ids)})
    trace = flag_trace(forest, m, m, {ids[1]: "regression", ids[2]: "wontfix", "gone": "approved"})
    assert trace["customdata"] == [ids[1], ids[2]]
    assert trace["marker"]["color"] == ["#dc2626", "#6b7280"] and trace["x"] == [0.1, 0.2]
    assert flags_patch(forest, m, m, {}).to_plotly_json()["operations"]


def test_only_the_users_own_notes_get_a_delete_button():
    from datetime import UTC, datetime

    from backend.annotations import Annotation

    now = datetime.now(UTC)
    notes = [Annotation(1, "model", "m", None, "global", "approved", "ok", "alice", now, now),
             Annotation(2, "model", "m", None, "global", "regression", "no", "bob", now, now)]
    shown = note_list(notes, "x-delete", "alice")[0].children  # newest first
    buttons = [[c.id for c in item.children if getattr(c, "id", None)] for item in shown]
    assert buttons == [[], [{"type": "x-delete", "id": 1}]]
    assert all(not b for b in ([[c for c in i.children if getattr(c, "id", None)] for i in
                                note_list(notes, "x-delete", None)[0].children]))
