"""The app's plotly.js: the installed bundle with only the trace types the app draws registered,
found by name; another bundle shape gives None (the whole bundle is served); and no figure of
the app uses a trace type the trimmed bundle lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from backend.present.plotly_js import LAZY, TRACES, plotly_js, pruned, registered, served_js, trim

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


def test_the_served_bundle_leaves_out_the_modules_of_unused_trace_types(whole: str):
    """Half the bundle is code only the left-out trace types reach; it is not even sent."""
    trimmed = trim(whole)
    served, is_trimmed = plotly_js()
    assert is_trimmed and served == pruned(trimmed)
    assert len(served) < 0.6 * len(trimmed)
    assert registered(served) == registered(trimmed)  # the kept trace types' factories are all there
    for gone in ("scatter3d", "sankey", "choroplethmap"):  # their modules are left out
        assert f'moduleType:"trace",name:"{gone}"' in whole
        assert f'moduleType:"trace",name:"{gone}"' not in served
    assert served.endswith(whole[whole.rindex("})();"):])  # the bundle's tail is untouched


def test_pages_get_the_bundle_without_scattergl_and_load_it_when_first_drawn(whole: str):
    """scattergl (1.1 MB of regl and its shaders) is drawn only past 1,000 models: the served
    bundle leaves it out and carries the loader; the lazy part declares what only it reaches
    and registers it (tests/browser/test_plotly_bundle.py runs both)."""
    main, part = served_js()
    names = registered(whole)
    lazy = [f for f, t in names.items() if t in LAZY]
    assert LAZY == ("scattergl",) and len(lazy) == 1
    assert len(main) < 0.3 * len(whole) and len(part) < 0.3 * len(whole)
    assert {t for t in registered(main).values()} == set(TRACES) - {"scatter", *LAZY}
    assert f"window.Plotly.register([{lazy[0]}()])" in part
    assert f"var {lazy[0]}=" in part and f"var {lazy[0]}=" not in main
    assert main.count("window.__ccPlotlyEval=function(code){return eval(code)};") == 1
    assert "plotly-gl$1" in main and main.rstrip().endswith("})();")
    # the two together declare what the whole pruned bundle declares
    with_all = plotly_js()[0]
    declared = set(re.findall(r"var ([\w$]+)=W\(", with_all))
    assert declared == set(re.findall(r"var ([\w$]+)=W\(", main)) | set(re.findall(r"var ([\w$]+)=W\(", part))


def test_a_bundle_without_esbuild_body_is_not_pruned():
    assert pruned("var a=1;") is None
    assert pruned("var Plotly=(()=>{var a=1;") is None  # the body never closes


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
