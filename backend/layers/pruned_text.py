"""How the Layers page words structured pruning: removed channels, parameter and FLOP changes.

Why its own module: the words are shared by the badge, its hover text and the tests, and are
plain string work on ``ChannelMatch.as_record`` records (``backend.layers.channel_match``).
"""

from __future__ import annotations


def count_text(n: float) -> str:
    """A whole count with thousands separators."""
    return f"{int(round(n)):,}"


def signed_pct(new: float, old: float) -> str:
    """'−25.0 %': the change from ``old`` to ``new``."""
    if not old:
        return "n/a"
    return f"{(new - old) / old * 100:+.1f} %".replace("-", "−")


# what an axis of a tensor is: weights are (out, in, ...), activations (samples, channels, ...)
AXIS_NAMES = {"parameters": {"0": ("out", "output channels"), "1": ("in", "input channels")},
              "activations": {"1": ("ch", "channels")}}


def _axis(source: str, k: str) -> tuple[str, str]:
    return AXIS_NAMES.get(source, {}).get(k, (f"axis {k}", f"entries of axis {k}"))


def axes_badge(source: str, record: dict) -> str:
    """'−4/16 out −2/8 in': removed and base widths per narrowed axis."""
    return " ".join(f"−{len(a['removed'])}/{a['base']} {_axis(source, k)[0]}"
                    for k, a in record["axes"].items())


def removed_text(source: str, name: str, record: dict) -> str:
    """Which channels of ``name`` are gone, and how the kept ones were matched."""
    parts = []
    for k, a in record["axes"].items():
        gone = a["removed"]
        shown = ", ".join(str(i) for i in gone[:12]) + (f", … ({len(gone) - 12} more)"
                                                         if len(gone) > 12 else "")
        what = _axis(source, k)[1]
        parts.append(f"{len(gone)} of {a['base']} {what} of {name} removed ({shown})")
    sim = record.get("similarity")
    how = (f"matched to the base by weight similarity, mean cosine {sim:.2f}" if sim is not None
           else "matched by the channels of its layer")
    return "; ".join(parts) + f"; the kept ones {how}"
