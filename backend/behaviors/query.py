"""One page of the Behaviors table (rows, histograms, summary, colour domain) and the CSV of
every filtered row, so the browser only ever receives one page."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from backend.behaviors.data import BehaviorData
from backend.behaviors.rows import BehaviorQuery, _Table, _table
from backend.present.bins import nice_edges

TOP = 5
HIST_BINS = 20


@dataclass(frozen=True)
class QueryResult:
    """One page of JSON-ready rows plus what the header draws (histograms, summary, domain)."""

    rows: list[dict]
    total: int
    page: int
    pages: int
    n_instances: int
    histograms: dict[str, dict]
    summary: dict[str, dict]
    domain: tuple[float, float]
    diverging: bool
    mode: str
    level: str = "class"


def _f(x: float) -> float | None:
    """A JSON-safe float: non-finite (e.g. a relative change over a base of 0) becomes None."""
    x = float(x)
    return x if math.isfinite(x) else None


def _histograms(data: BehaviorData, t: _Table) -> dict[str, dict]:
    """Histograms of the shown values of the candidate rows (instances after the class filter,
    wrong_by and pair, or class rows), never brushed, with edges shared by the models."""
    models = list(range(len(data.models)))
    if t.mode == "relative":
        models = models[1:]
    values = t.shown[models] if models else np.empty((0, 0))
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    edges = nice_edges(lo, hi, HIST_BINS)
    bins = len(edges) - 1
    out: dict[str, dict] = {}
    if not models:
        return out
    ok = np.isfinite(values)
    every = finite.size == values.size
    v = values if every else np.where(ok, values, lo)
    idx = ((v - edges[0]) * (1.0 / (edges[1] - edges[0]))).astype(np.intp)  # uniform bins: no search
    np.clip(idx, 0, bins - 1, out=idx)
    idx -= v < edges[idx]  # rounding at an edge: [e_i, e_i+1) as np.histogram, the last bin closed
    idx += (v >= edges[idx + 1]) & (idx < bins - 1)
    idx += (np.arange(len(models)) * bins)[:, None]
    counts = np.bincount(idx.ravel() if every else idx[ok], minlength=len(models) * bins)
    counts = counts.reshape(len(models), bins)
    edge_list = [float(e) for e in edges]
    for row, j in enumerate(models):
        out[data.models[j]] = {"edges": edge_list, "counts": counts[row].tolist()}
    return out


def _domain(t: _Table) -> tuple[tuple[float, float], bool]:
    """Min and max over every model's shown values; symmetric and diverging when the min is < 0."""
    finite = t.shown[np.isfinite(t.shown)]
    if not finite.size:
        return (0.0, 1.0), False
    lo, hi = float(finite.min()), float(finite.max())
    if lo < 0:
        top = max(abs(lo), abs(hi))
        return (-top, top), True
    return (lo, hi), False


def _wmean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean of the finite values; NaN when there are none."""
    ok = np.isfinite(values) & (weights > 0)
    total = weights[ok].sum()
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else math.nan


def _ranked(codes: np.ndarray, weights: np.ndarray) -> list[tuple[int, float]]:
    """The TOP most frequent codes (weighted), ties by code."""
    if not len(codes):
        return []
    uniq, inverse = np.unique(codes, return_inverse=True)
    counts = np.bincount(inverse, weights=weights, minlength=len(uniq))
    order = np.lexsort((uniq, -counts))[:TOP]
    return [(int(uniq[i]), float(counts[i])) for i in order if counts[i] > 0]


def _summary(data: BehaviorData, t: _Table, q: BehaviorQuery) -> tuple[dict[str, dict], int]:
    """Per model: mean raw value, mean shown value and top predictions (or changes), and N.

    Instance level: plain means over the rows; a ``relative`` comparison's mean difference is
    divided by the base's mean value, as for a class. Class level: class rows weighted by size.
    """
    comp = data.comparisons[q.comparison]
    pos = t.order
    k = len(data.models)
    if t.level == "instance":
        inst, inst_w = t.keys[pos], np.ones(len(pos))
        weights = inst_w
    else:
        weights = t.counts[pos]
        chosen = np.zeros(data.membership.shape[1])
        chosen[t.keys[pos]] = 1.0
        per_instance = (data.membership @ chosen) * t.keep  # an instance counts once per chosen class
        inst = np.flatnonzero(per_instance)
        inst_w = per_instance[inst]
    means_v = None if t.value is None else np.array([_wmean(t.value[j, pos], weights) for j in range(k)])
    if t.level == "instance" and t.mode == "relative":
        means_d = np.array([_wmean(t.difference[j, pos], weights) for j in range(k)])
        if comp.relative and means_v is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                means_d = np.where(means_d == 0, 0.0, means_d / means_v[0])
        means_shown = means_d
    else:
        means_shown = np.array([_wmean(t.shown[j, pos], weights) for j in range(k)])
    total_w = float(inst_w.sum())
    preds = data.predicted[:, inst]
    classes = data.n_predictions
    out: dict[str, dict] = {}
    for j, model in enumerate(data.models):
        if t.mode == "absolute":
            top = [{"model": data.prediction_name(c), "rate": cnt / total_w}
                   for c, cnt in _ranked(preds[j], inst_w)]
        elif j == 0:
            top = []
        else:
            differ = preds[0] != preds[j]
            codes = preds[0][differ] * classes + preds[j][differ]
            top = [{"base": data.prediction_name(c // classes), "model": data.prediction_name(c % classes),
                    "rate": cnt / total_w} for c, cnt in _ranked(codes, inst_w[differ])]
        out[model] = {"mean_value": None if means_v is None else _f(means_v[j]),
                      "mean_shown": _f(means_shown[j]), "top": top}
    n_instances = int(round(float(weights.sum())))
    return out, n_instances


def _instance_rows(data: BehaviorData, t: _Table, positions: np.ndarray) -> list[dict]:
    rows = []
    for p in positions:
        i = int(t.keys[p])
        label = int(data.labels[i])
        cells = {}
        for j, model in enumerate(data.models):
            pred = int(data.predicted[j, i])
            cells[model] = {"pred": pred, "pred_name": data.prediction_name(pred),
                            "value": None if t.value is None else _f(t.value[j, p]),
                            "difference": _f(t.difference[j, p]), "shown": _f(t.shown[j, p])}
        rows.append({"index": i, "id": str(data.instance_ids[i]), "label": label,
                     "label_name": data.label_name(i), "cells": cells})
    return rows


def _class_rows(data: BehaviorData, t: _Table, positions: np.ndarray) -> list[dict]:
    rows = []
    for p in positions:
        c = int(t.keys[p])
        cells = {model: {"value": None if t.value is None else _f(t.value[j, p]),
                         "difference": _f(t.difference[j, p]), "shown": _f(t.shown[j, p])}
                 for j, model in enumerate(data.models)}
        rows.append({"class": c, "name": data.class_name(c), "count": int(round(t.counts[p])),
                     "cells": cells})
    return rows


def query(data: BehaviorData, q: BehaviorQuery) -> QueryResult:
    """One page of rows for the table plus histograms, summary and the score domain."""
    t = _table(data, q)
    total = len(t.order)
    size = max(1, int(q.page_size))
    pages = max(1, -(-total // size))
    page = min(max(0, int(q.page)), pages - 1)
    positions = t.order[page * size:(page + 1) * size]
    rows = _instance_rows(data, t, positions) if t.level == "instance" else _class_rows(data, t, positions)
    summary, n_instances = _summary(data, t, q)
    domain, diverging = _domain(t)
    return QueryResult(rows, total, page, pages, n_instances, _histograms(data, t), summary, domain,
                       diverging, t.mode, t.level)


def _csv_column(values: np.ndarray) -> list:
    """Python numbers, with empty cells where a value is missing or not finite."""
    out = values.tolist()
    if values.dtype.kind == "f":
        for i in np.flatnonzero(~np.isfinite(values)):
            out[i] = ""
    return out


def _model_column(data: BehaviorData, t: _Table, j: int, keys: np.ndarray, names: np.ndarray,
                  name: str) -> list:
    """One model's CSV column ``name`` over the ordered rows."""
    if name == "pred":
        return data.predicted[j, keys].tolist()
    if name == "pred_name":
        return names[data.predicted[j, keys]].tolist()
    values = {"value": t.value, "difference": t.difference, "shown": t.shown}[name]
    return [""] * len(keys) if values is None else _csv_column(values[j, t.order])


def rows_csv(data: BehaviorData, q: BehaviorQuery) -> str:
    """Every filtered row in order (not one page) as CSV: the page's columns, cells flattened."""
    t = _table(data, q)
    keys = t.keys[t.order]
    names = np.array(list(data.answers) if data.generative else
                     [data.class_name(c) for c in range(data.n_predictions)], dtype=object)
    if t.level == "instance":
        fields = ("pred", "pred_name", "value", "difference", "shown")
        labels = data.labels[keys]
        label_names = [data.label_name(i) for i in keys.tolist()]
        head = {"index": keys.tolist(), "id": np.asarray(data.instance_ids)[keys].astype(str).tolist(),
                "label": labels.tolist(), "label_name": label_names}
    else:
        fields = ("value", "difference", "shown")
        head = {"class": keys.tolist(), "name": [data.class_name(c) for c in keys.tolist()],
                "count": np.rint(t.counts[t.order]).astype(np.int64).tolist()}
    columns = list(head.values())
    for j in range(len(data.models)):
        columns.extend(_model_column(data, t, j, keys, names, f) for f in fields)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(head) + [f"{m} {f}" for m in data.models for f in fields])
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()
