"""Upright, wrapped x labels for the Compare tab's bar charts.

Why: a sequence or flattened variable's values are long ("global magnitude prune & amount
0.5"); left to itself Plotly turns such labels 90° and the bottom margin cuts them. Here each
label is wrapped on several lines (``<br>``), the chart's bottom margin is sized for the lines,
and each x value gets a band as wide as its widest line, so upright labels never touch. The
figure is built on the server, which cannot measure text, so widths are estimated from DejaVu
Sans's advance widths (the widest common sans-serif; any other system font is narrower).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

WRAP = 20  # at most this many characters per line (the reference wraps at 15; a wide band takes more)
PLOT_PX = 365  # the plot's width in the side card of a 1440 px window (the usual case)
FONTS = (10, 9)  # tick font sizes tried in turn: the smaller one only when the larger overflows
PAD_PX = 4  # free space between two neighbouring labels
LINE_EM = 1.3  # one line of tick text, in font sizes

_NARROW = set("ijl.,:;'|!()[] ")  # about 0.3 em
_SEMI = set("frt-/1")  # about 0.4 em (digits other than 1 are 0.64)
_WIDE = set("mwMW%&@")  # about 0.9 em


def text_px(text: str, size: float) -> float:
    """Estimated width of a line of text in ``size`` px sans-serif (DejaVu Sans, rounded up)."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.32
        elif ch in _SEMI:
            em += 0.42
        elif ch in _WIDE:
            em += 0.97
        elif ch.isupper():
            em += 0.72
        else:
            em += 0.64
    return em * size


def wrap_label(text: str, width: int = WRAP) -> list[str]:
    """Word-wrapped lines of a label; a flattened value ("a & b & c") breaks before each "&"
    first. Long words are kept whole rather than cut (the band is made wide enough for them)."""
    lines: list[str] = []
    for i, part in enumerate(text.split(" & ")):
        text_part = ("& " if i else "") + part
        lines += textwrap.wrap(text_part, width, break_long_words=False, break_on_hyphens=False) or [part]
    return lines or [text]


@dataclass(frozen=True)
class TickLayout:
    """How the x labels of one chart are drawn."""

    lines: list[list[str]]  # each label's lines
    font: int  # tick font size (px)
    band: int  # width one x value needs (px)

    @property
    def height(self) -> int:
        """Height of the tallest label (px)."""
        return math.ceil(max((len(t) for t in self.lines), default=1) * self.font * LINE_EM)

    def plot_width(self) -> int:
        """The narrowest plot area that keeps the labels apart."""
        return self.band * len(self.lines)


def _layout(labels: list[str], font: int, wrap: int) -> TickLayout:
    lines = [wrap_label(t, wrap) for t in labels]
    widest = max((text_px(line, font) for t in lines for line in t), default=0.0)
    return TickLayout(lines, font, math.ceil(widest) + PAD_PX)


def tick_layout(labels: list[str], plot_px: int = PLOT_PX) -> TickLayout:
    """The widest wrap (fewest lines) that fits ``plot_px`` at the larger font, else at the
    smaller one; when nothing fits, the smaller font at its narrowest (the chart then scrolls)."""
    longest_word = max((len(w) for t in labels for w in t.split()), default=1)
    narrowest = min(WRAP, longest_word)
    for font in FONTS:
        for wrap in range(WRAP, narrowest - 1, -1):
            layout = _layout(labels, font, wrap)
            if layout.plot_width() <= plot_px:
                return layout
    return _layout(labels, FONTS[-1], narrowest)


def title_lines(title: str, plot_px: int, size: int = 11) -> list[str]:
    """An axis title wrapped to the plot's width (a merged variable's "a → b → c" is long)."""
    per_line = max(int(plot_px / (0.64 * size)), 12)
    return textwrap.wrap(title, per_line, break_long_words=False, break_on_hyphens=False) or [title]
