"""Colour and size scales shared by the map, the scatterplot and legends (spec §0, §1.3).

Vectorised with numpy so a 10,000-model forest is coloured in about a millisecond.
"""

from __future__ import annotations

import numpy as np

from backend.experiment.schema import MetricSpec

LOW, HIGH = "#efefef", "#232323"  # the reference's sequential grey scale, interpolated in Lab
SELECTION = "#60a5fa"
APPLE8 = ["#308BEF", "#4DC960", "#FF9500", "#EF5C53", "#A34FCD", "#00A39B", "#98685E", "#EEDB41"]


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.clip(c, 0, None) ** (1 / 2.4) - 0.055)


_M = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _hex_to_lab(color: str) -> np.ndarray:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    xyz = _M @ _srgb_to_linear(rgb) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _lab_to_hex(lab: np.ndarray) -> list[str]:
    fy = (lab[:, 0] + 16) / 116
    f = np.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], axis=1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    rgb = _linear_to_srgb(xyz @ np.linalg.inv(_M).T)
    ints = np.clip(np.round(rgb * 255), 0, 255).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in ints]


_LAB_LOW, _LAB_HIGH = _hex_to_lab(LOW), _hex_to_lab(HIGH)


def domain(spec: MetricSpec | None, values: np.ndarray) -> tuple[float, float]:
    """The spec's min/max where given, else the data extent (the reference's calculateDomain)."""
    finite = values[np.isfinite(values)] if values.size else values
    lo = spec.min if spec is not None and spec.min is not None else (
        float(finite.min()) if finite.size else 0.0)
    hi = spec.max if spec is not None and spec.max is not None else (
        float(finite.max()) if finite.size else 1.0)
    return (lo, hi) if hi != lo else (lo, lo + 1.0)


def grey_colors(values: np.ndarray, lo: float, hi: float, missing: str = "#ffffff") -> list[str]:
    """Hex colours of the grey Lab scale for each value; NaN (missing metric) gets ``missing``."""
    t = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    ok = np.isfinite(t)
    lab = _LAB_LOW + np.where(ok, t, 0.0)[:, None] * (_LAB_HIGH - _LAB_LOW)
    return [c if good else missing for c, good in zip(_lab_to_hex(lab), ok, strict=True)]


def sqrt_scale(values: np.ndarray, lo: float, hi: float, out_lo: float, out_hi: float,
               missing: float | None = None) -> np.ndarray:
    """d3.scaleSqrt from [lo, hi] onto [out_lo, out_hi]; NaN maps to ``missing`` (or out_lo)."""
    slo, shi = np.sqrt(max(lo, 0.0)), np.sqrt(max(hi, 0.0))
    span = shi - slo if shi != slo else 1.0
    t = (np.sqrt(np.clip(values, 0.0, None)) - slo) / span
    out = out_lo + np.clip(t, 0.0, 1.0) * (out_hi - out_lo)
    return np.where(np.isfinite(values), out, out_lo if missing is None else missing)


def is_dark(color: str) -> bool:
    """Perceived brightness below 128 (the reference picks a light outline for dark fills)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return (r * 299 + g * 587 + b * 114) / 1000 < 128


# Behaviors scores (spec §1.9): diverging pink-grey-blue when values go negative, else light to
# system blue; both interpolated in Lab so equal steps look equal.
DIVERGING = ("#EB4B63", "#e3e3e3", "#3378F6")
SEQUENTIAL = ("#dbe9fd", "#3378F6")


def score_colors(values: np.ndarray, lo: float, hi: float, diverging: bool) -> list[str]:
    """Hex colours of scores on the Behaviors page's value scale; NaN gets the track grey."""
    values = np.asarray(values, dtype=float)
    span = (hi - lo) or 1.0
    t = np.clip((values - lo) / span, 0.0, 1.0)
    ok = np.isfinite(t)
    t = np.where(ok, t, 0.0)
    if diverging:
        a, mid, b = (_hex_to_lab(c) for c in DIVERGING)
        lab = np.where((t < 0.5)[:, None], a + (2 * t)[:, None] * (mid - a),
                       mid + (2 * t - 1)[:, None] * (b - mid))
    else:
        a, b = (_hex_to_lab(c) for c in SEQUENTIAL)
        lab = a + t[:, None] * (b - a)
    return [c if good else "#e5e7eb" for c, good in zip(_lab_to_hex(lab), ok, strict=True)]
