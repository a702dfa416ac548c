"""The snapshot file: a header (experiment, page, selection, filters, export time), sections,
and the figures drawn by plotly.js inlined once.

Why plain string templates: every value passes through ``fragments.text`` (or is an ``Html``
fragment built that way), so hostile model ids or names stay text; the file loads nothing from
anywhere (no src/href to a network address), so it opens from file:// with the network off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from backend.snapshot.fragments import Html, join, tag, text
from backend.snapshot.plotly_inline import figures_block


class SnapshotError(ValueError):
    """A snapshot that cannot be made (bad URL, unknown model): one line naming what is wrong."""


@dataclass(frozen=True)
class Section:
    """One titled part of the snapshot (the map, the scatterplot, the Compare tab, a table)."""

    title: str
    body: Html
    wide: bool = False  # spans the whole width (the map, the Behaviors rows)


@dataclass(frozen=True)
class Snapshot:
    """Everything a snapshot shows; figures are Plotly dicts drawn into ``figure_slot`` places."""

    experiment: str
    page: str
    url: str
    exported: datetime
    facts: Sequence[tuple[str, str]] = ()  # (label, value) lines of the header
    notices: Sequence[str] = ()
    sections: Sequence[Section] = ()
    figures: Sequence[dict] = field(default_factory=list)
    css: str = ""  # the app's own stylesheets, so copied builders look as they do in the app


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #111827;
       background: #f9fafb; }
.snap-header { background: #fff; border-bottom: 1px solid #e5e7eb; padding: 12px 20px; }
.snap-header h1 { font-size: 18px; margin: 0 0 6px; }
.snap-facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px;
              margin: 0; }
.snap-facts dt { color: #6b7280; } .snap-facts dd { margin: 0; word-break: break-word; }
.snap-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px;
             padding: 16px 20px; }
.snap-card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px;
             min-width: 0; }
.snap-card.snap-wide { grid-column: 1 / -1; }
.snap-card h2 { font-size: 14px; margin: 0 0 8px; color: #374151; }
.snap-scroll { overflow: auto; max-height: 80vh; }
.snap-map { display: block; max-width: 100%; height: auto; }
.snap-colhead { font: 600 15px system-ui, sans-serif; fill: #374151; text-anchor: start; }
.snap-label { font: 16px ui-monospace, Menlo, monospace; fill: #1d4ed8; text-anchor: middle;
              paint-order: stroke; stroke: #fff; stroke-width: 5px; }
.snap-badge { font: bold 12px system-ui, sans-serif; fill: #fff; text-anchor: middle; }
.snap-fig { width: 100%; min-height: 120px; }
.snap-instance img { width: 64px; height: 64px; image-rendering: pixelated; }
.snap-instance { max-width: 520px; white-space: pre-wrap; }
.snap-foot { color: #6b7280; font-size: 12px; padding: 0 20px 16px; }
"""


def _header(s: Snapshot) -> Html:
    facts = [("Page", s.page), ("Exported", s.exported.strftime("%Y-%m-%d %H:%M:%S %Z").strip()),
             *s.facts, ("View", s.url)]
    rows = join(Html(tag("dt", k) + tag("dd", v)) for k, v in facts)
    notices = join(tag("p", n, class_="cc-warn") for n in s.notices)
    return tag("header", join([tag("h1", f"{s.experiment} · {s.page}"), tag("dl", rows, class_="snap-facts"),
                               notices]), class_="snap-header")


def _section(section: Section) -> Html:
    cls = "snap-card snap-wide" if section.wide else "snap-card"
    return tag("section", join([tag("h2", section.title), section.body]), class_=cls)


def render(s: Snapshot) -> str:
    """The whole HTML file."""
    title = text(f"{s.experiment} · {s.page} · snapshot {s.exported:%Y-%m-%d %H:%M}")
    css = s.css.replace("<", "\\3c ")  # CSS's own escape: a stylesheet cannot end <style> early
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{css}{STYLE}</style></head>"
        f"<body data-charts=\"none\">{_header(s)}"
        f'<main class="snap-grid">{join(_section(x) for x in s.sections)}</main>'
        f"{figures_block(s.figures)}"
        '<p class="snap-foot">A snapshot exported by Compress &amp; Compare: static, self-contained, '
        "no server needed. Hover and zoom the charts; the map's models name themselves on hover.</p>"
        "</body></html>\n"
    )
