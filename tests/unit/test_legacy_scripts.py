"""Without Dash's polyfill, ``assets/cc_regenerator.js`` is all the bundles get of Babel's runtime:
every bundle a page can load (eagerly or as a lazy chunk) may use ``regeneratorRuntime`` only as
that file supports it (``mark`` and ``wrap`` of state machines without try blocks). A Dash or
component upgrade that compiles more of it fails here, not in a user's browser."""

from __future__ import annotations

import re
from importlib.util import find_spec
from pathlib import Path

import pytest

from server.legacy_scripts import prune

# the packages whose bundles the app serves (the dev builds are never served)
PACKAGES = ("dash", "dash_cytoscape", "dash_ag_grid", "plotly")
_USE = re.compile(r"regeneratorRuntime\.(\w+)\(")


def _bundles() -> list[Path]:
    out = []
    for name in PACKAGES:
        spec = find_spec(name)
        assert spec is not None and spec.origin is not None, name
        root = Path(spec.origin).parent
        out += [p for p in root.rglob("*.js") if ".dev." not in p.name and "dash_table" not in p.parts
                and "deps" not in p.parts and "_test" not in p.name]
    return out


def _wrap_args(text: str, start: int) -> str:
    """What follows the inner function of ``regeneratorRuntime.wrap(function(..){..}`` up to ``)``."""
    i = text.index("{", start)
    depth, quote = 0, ""
    while True:
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        i += 1
    return text[i + 1:text.index(")", i + 1) + 1]


def test_bundles_use_only_what_the_regenerator_shim_provides():
    bundles = _bundles()
    assert len(bundles) > 10  # the scan found the packages
    uses = 0
    for path in bundles:
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in _USE.finditer(text):
            uses += 1
            assert match.group(1) in ("mark", "wrap"), f"{path.name}: regeneratorRuntime.{match.group(1)}"
            if match.group(1) == "wrap":
                rest = _wrap_args(text, match.end())
                assert re.fullmatch(r",\s*\w+\s*\)", rest), f"{path.name}: wrap(…{rest} has try blocks"
    assert uses >= 4  # dash-renderer's and dcc's lazy loaders: the shim is still needed


@pytest.mark.parametrize("tag", [
    '<script src="/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m17.12.1.min.js"></script>',
    '<script src="/app/_dash-component-suites/dash/dash_table/bundle.v7_4_1m17.js"></script>',
])
def test_prune_drops_the_polyfill_and_the_table_loader(tag: str):
    react = '<script src="/_dash-component-suites/dash/deps/react@18.v4_4_1m17.3.1.min.js"></script>'
    assert prune(react + tag + react) == react + react


def test_prune_keeps_everything_else():
    tags = ('<script src="/_dash-component-suites/dash/dcc/dash_core_components.v4_4_1m17.js"></script>'
            '<script src="/assets/cc_regenerator.js?m=1"></script>'
            '<script src="/_dash-component-suites/dash_table_extra/bundle.v1.js"></script>')
    assert prune(tags) == tags
