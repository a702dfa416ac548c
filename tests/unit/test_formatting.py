"""d3-format port: the formats the reference trees use read the same as in the browser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.overview.encodings import default_encodings
from backend.present.formatting import d3_format, format_change, format_metric
from backend.present.scales import domain, grey_colors, is_dark, sqrt_scale

D3_CASES = [  # (spec, value, what d3.format(spec)(value) returns)
    (".2%", 0.98765, "98.77%"), (".2~%", 0.5, "50%"), (".2~s", 95246447, "95M"),
    (".3~s", 1234, "1.23k"), (".2~s", 0, "0"), (".2", 90.50212, "91"), (".3~", 0.5, "0.5"),
    ("d", 30, "30"), (".0%", 0.9, "90%"), ("+.1~%", 0.123, "+12.3%"), ("+.1~%", -0.5, "−50%"),
    (".2g", 0.000985, "0.00098"), (".2g", 18155.14, "1.8e+4"), (".3~f", 1.2, "1.2"),
    (".2s", 1500, "1.5k"), (",", 1234567, "1,234,567"), (".1%", 0.0, "0.0%"), ("", 0.1, "0.1"),
    (".3~s", 225463, "225k"), ("00", 5, "5"), (".1e", 12345, "1.2e+4"), ("05d", 42, "00042"),
    (".2~s", 1384839463, "1.4G"), (".2f", -1.005, "−1.00"),
]


@pytest.mark.parametrize(("spec", "value", "expected"), D3_CASES)
def test_d3_format(spec, value, expected):
    assert d3_format(spec, value) == expected


def test_strings_pass_through_and_bad_spec_falls_back():
    assert d3_format(".2%", "int8") == "int8"
    assert d3_format("not a spec", 0.5) == "0.50"


def test_metric_with_unit_and_change():
    assert format_metric(12.345, ".3~f", "ms") == "12.345 ms"
    assert format_metric(0.5, None) == "0.50"
    assert format_change(1.1, 1.0) == "(+10%)"
    assert format_change(1.005, 1.0) is None  # under 1 %: not shown
    assert format_change(3.0, 0.0) == "(∞)"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
       st.sampled_from([".2%", ".3~s", ".2f", "d", ".2g", ",", ".1e", "+.1~%", ""]))
def test_d3_format_never_raises(value, spec):
    assert isinstance(d3_format(spec, value), str)


def test_grey_scale_ends_and_missing():
    assert grey_colors(np.array([0.0, 1.0, np.nan]), 0.0, 1.0) == ["#efefef", "#232323", "#ffffff"]
    assert is_dark("#232323") and not is_dark("#efefef")


def test_domain_prefers_spec_then_data():
    from backend.experiment.schema import MetricSpec

    values = np.array([2.0, 4.0, np.nan])
    assert domain(MetricSpec(name="a", min=0, max=10), values) == (0, 10)
    assert domain(MetricSpec(name="a"), values) == (2.0, 4.0)
    assert domain(None, np.array([3.0])) == (3.0, 4.0)  # a flat domain is widened, never 0-wide


@given(st.lists(st.floats(min_value=0, max_value=1e9), min_size=1, max_size=50))
def test_sqrt_scale_stays_in_range_and_is_monotone(values):
    arr = np.array(values)
    out = sqrt_scale(arr, float(arr.min()), float(arr.max()), 0.3, 1.0)
    assert ((out >= 0.3 - 1e-12) & (out <= 1.0 + 1e-12)).all()
    order = np.argsort(arr, kind="stable")
    assert (np.diff(out[order]) >= -1e-12).all()


def test_default_encodings_follow_reference_regexes():
    assert default_encodings(["Top-1 Accuracy", "Top-5 Accuracy", "Latency", "Model Size",
                              "Sparsity", "Epochs"]) == {
        "x": "Latency", "y": "Top-1 Accuracy", "color": "Top-1 Accuracy", "size": "Model Size"}
    assert default_encodings(["a", "b"]) == {"x": "a", "y": "b", "color": None, "size": None}
