"""The app's plotly.js: the installed bundle with only the trace types the app draws registered,
found by name; another bundle shape gives None (the whole bundle is served); and no figure of
the app uses a trace type the trimmed bundle lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from backend.present.plotly_js import TRACES, plotly_js, registered, trim

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def whole() -> str:
    return get_plotlyjs()


def test_every_registered_trace_type_is_found_by_name(whole: str):
    names = registered(whole)
    assert names is not None and len(names) > 40
    traces = [t for t in names.values() if t is not None]
    assert len(traces) == len(set(traces))  # no two factories resolved to one type
    assert {"bar", "heatmap", "scattergl", "pie", "scatter3d", "sankey"} <= set(traces)


def test_trim_changes_only_the_register_call(whole: str):
    trimmed = trim(whole)
    assert trimmed is not None and trimmed != whole
    names = registered(whole)
    kept = [f for f, t in names.items() if t in TRACES]
    assert len(kept) == 3 and f".register([{','.join(f + '()' for f in kept)}])" in trimmed
    head = whole.rindex(".register([")
    assert trimmed[:head] == whole[:head] and trimmed.endswith(whole[whole.index("])", head) + 2:])
    assert registered(trimmed) == {f: names[f] for f in kept}
    assert plotly_js() == (trimmed, True)


@pytest.mark.parametrize("text", [
    "var a=1;",  # no register call
    'var W=x;var A=W((e,t)=>{t.exports={moduleType:"trace",name:"bar"}});R.register([A()])',  # no heatmap
    ('var A=W((e,t)=>{t.exports={moduleType:"trace",name:"bar"}});'
     'var B=W((e,t)=>{t.exports={moduleType:"trace",name:"bar"}});'
     'var C=W((e,t)=>{t.exports={moduleType:"trace",name:"heatmap"}});'
     'var D=W((e,t)=>{t.exports={moduleType:"trace",name:"scattergl"}});R.register([A(),B(),C(),D()])'),
])
def test_an_unexpected_shape_is_not_trimmed(text: str):
    assert trim(text) is None


def test_a_small_bundle_of_the_expected_shape_is_trimmed():
    text = ('var A=W((e,t)=>{t.exports={moduleType:"trace",name:"bar"}});'
            'var P=W((e,t)=>{t.exports={moduleType:"trace",name:"pie"}});'
            'var I=W((e,t)=>{"use strict";t.exports=H()});var H=W((e,t)=>{t.exports={moduleType:"trace",name:"heatmap"}});'
            'var G=W((e,t)=>{"use strict";var g=S();g.plot=Q();t.exports=g});'
            'var S=W((e,t)=>{t.exports={moduleType:"trace",name:"scattergl"}});var Q=W((e,t)=>{t.exports=1});'
            'var Z=W((e,t)=>{R.register([A(),P(),I(),G()])});')
    assert trim(text).endswith("R.register([A(),I(),G()])});")


def test_the_app_draws_only_trace_types_the_bundle_registers(whole: str):
    """Every plotly trace type named in the app's source is one it keeps: a new chart type
    fails here, not as an empty chart in a browser."""
    known = {t for t in registered(whole).values() if t} | {"scatter"}
    used = set()
    for folder in ("components", "pages", "backend", "server"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            used |= set(re.findall(r'"type":\s*"(\w+)"', text)) & known
            # a trace type chosen by a variable: "type": kind, with kind = "scattergl" if … else …
            for variable in re.findall(r'"type":\s*([a-z_]\w*)', text):
                for line in re.findall(rf"^\s*{variable}\s*=(.*)$", text, re.MULTILINE):
                    used |= set(re.findall(r'"(\w+)"', line)) & known
    assert {"bar", "heatmap", "scatter", "scattergl"} <= used  # the scan sees the app's charts
    assert used <= set(TRACES), sorted(used - set(TRACES))
