"""Tables built in the browser from JSON (components/shared/data_table.py): the JSON holds
exactly the table, and the snapshot's components for it keep text as text."""

from __future__ import annotations

from components.shared.data_table import ATTRIBUTE, as_components, data_table, spec_of
from components.snapshot.static_html import to_html

HOSTILE = '<img src=x onerror="alert(1)">'


def test_the_host_holds_the_table_and_the_components_rebuild_it():
    host = data_table("t", "cc-table", ["Model", "Acc"], [["a" * 80, "1%"], [HOSTILE, "2%"]],
                      ["cc-id", "cc-num"], titled=[0])
    assert host.id == "t" and host.children is None  # no component per cell
    assert spec_of(host) == {"className": "cc-table", "head": ["Model", "Acc"],
                             "rows": [["a" * 80, "1%"], [HOSTILE, "2%"]], "classes": ["cc-id", "cc-num"],
                             "titled": [0]}
    table = as_components(host)
    head, body = table.children
    assert [th.children for th in head.children.children] == ["Model", "Acc"]
    first = body.children[0].children
    assert first[0].title == "a" * 80 and first[0].className == "cc-id"
    assert first[1].title is None and first[1].className == "cc-num"


def test_the_snapshot_renders_the_table_with_text_escaped():
    host = data_table("t", "cc-table", ["Model"], [[HOSTILE]])
    html = str(to_html(host, []))
    assert html.startswith('<table class="cc-table">') and "<img" not in html and "&lt;img" in html
    assert ATTRIBUTE not in html
