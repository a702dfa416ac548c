"""No page loads Dash's core-js polyfill or the DataTable loader: neither does anything here.

Why: Dash's index puts ``polyfill@7.12.1.min.js`` (Babel's polyfill, 100 KB) first in every
page for browsers without ES2015+; every browser Dash 4 supports has what it adds, yet
evaluating it took 0.13–0.17 s of main thread on each first paint here (sampling profiles of
the Overview at 1,000 models). The one thing of it the bundles use is the global
``regeneratorRuntime`` of Dash's lazy-component loader, which ``assets/cc_regenerator.js``
provides (``tests/unit/test_legacy_scripts.py`` checks every bundle the app serves needs no
more of it). ``dash_table``'s loader comes with every Dash app, and no page draws a DataTable.
"""

from __future__ import annotations

import re

import dash

# a script tag of Dash's index whose bundle no page here needs
_UNUSED = re.compile(r'<script src="[^"]*/_dash-component-suites/dash/'
                     r'(?:deps/polyfill@[^"/]*|dash_table/bundle[^"/]*)\.js"></script>')


def prune(scripts: str) -> str:
    """The index's script tags without the polyfill and the DataTable loader."""
    return _UNUSED.sub("", scripts)


def install(app: dash.Dash) -> None:
    """Leave both scripts out of ``app``'s index pages."""
    interpolate = app.interpolate_index

    def index(**parts: str) -> str:
        parts["scripts"] = prune(parts.get("scripts", ""))
        return interpolate(**parts)

    app.interpolate_index = index  # Dash's documented override point for the index page
