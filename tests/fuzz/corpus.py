"""What the fuzzers build inputs from: hostile tokens, and the forests those inputs are read against.

Random text alone rarely gets past a parser's first check, so inputs are mostly assembled from
pieces the parsers care about (separators, escapes, operators, numbers that are not quite
numbers, ids and metric names of the forest) with random text mixed in.
"""

from __future__ import annotations

from functools import lru_cache

from backend.comparability import ComparisonTable, experiment_table
from backend.experiment.forest import ExperimentForest, Model, Operation
from backend.experiment.schema import MetricSpec

# Ids and metric names hold every separator of the codec, escapes, operators and blanks.
IDS = ["root", "a", "b,c", "d:e", "f;g", "h|i", "100%", "%2C", "%252C", "j k", " lead", "none", "ü名",
       "<script>", "x=y&z", "a:desc", "", "\t", "r2"]
METRICS = ["acc", "Model Size", "lat:ms", "a;b", "p|q", "50%", "%3A", " ", "≤", "x<=y", "Top-1 Accuracy",
           "none", "e", "inf"]
NUMBERS = ["0", "1", "-1", "0.5", "1e6", "8e6", "-0", "+1", ".5", "5.", "1e", "e5", "1e999", "-1e999", "1e-999",
           "nan", "NaN", "inf", "-inf", "Infinity", "0x10", "1_000", "١٢", "²", "１２", "9" * 30, "9" * 5000,
           "1.7976931348623157e308", "5e-324", "00", "٣.٥", " 1 ", "1 2", "--1", "+-1", "1e+", "E"]
SEPARATORS = [",", ";", ":", "|", "%", "%25", "%2C", "%2c", "%3B", "%3A", "%7C", "%7c", "%ZZ", "%2", "%%",
              "<=", ">=", "≤", "≥", "<", "=", ">", "=<", " ", "  ", "\n", "\t", "\x00", "&", "=", "?", "#", "+",
              "'", '"', "\\", "\ufeff", "\u200b", "\ud7ff", "\U0001f600", "\u0301",
              "\ud800", "\udfff"]  # lone surrogates: only a hand-made request sends them
WORDS = ["asc", "desc", "max", "min", "step", "op", "filter", "pareto", "compare", "tree", "heatmap",
         "sparsity", "weights", "activations", "absolute", "relative", "class", "instance", "true", "false",
         "correctness", "top-5", "None", "null", "__proto__", "constructor"]
# Every key some page reads, so fuzzed queries reach the parsers behind them.
QUERY_KEYS = ["sel", "color", "size", "x", "y", "arrange", "tab", "filter", "budget", "pareto", "refine",
              "models", "base", "comparison", "mode", "level", "class", "sort", "brush", "page", "wrong",
              "pair", "tensor", "view", "match", "open", "module", "instance"]
COMPARISONS = ["correctness", "prediction", "top-5"]
MODULE_NAMES = ["", "encoder", "encoder.layer.0.attention.self.query", "fc", "features.0", "a" * 3000,
                "ab" * 1500 + "c", "名前.層", "x" * 64 + "!"]


def _op(name: str, **parameters: object) -> Operation:
    return Operation(name, dict(parameters))


@lru_cache(maxsize=1)
def hostile_forest() -> ExperimentForest:
    """Two trees whose ids and metric names hold every separator; some metrics missing or huge."""
    links = [("root", None, None), ("a", "root", _op("prune", amount=0.5)), ("b,c", "a", _op("quantize", bits=8)),
             ("d:e", "root", _op("quantize", bits=4)), ("f;g", "d:e", _op("prune", amount=0.75)),
             ("h|i", "root", _op("distill", T=2.0)), ("100%", "h|i", _op("prune", amount=0.5)),
             ("%2C", "100%", _op("quantize", bits=8, mode="a:b|c")), ("%252C", "%2C", _op("fine-tune", e=True)),
             ("j k", "root", None), (" lead", "j k", _op("prune", amount=None)), ("none", "root", None),
             ("ü名", "none", _op("p,q", **{"x;y": "1|2"})), ("<script>", "ü名", None), ("x=y&z", "root", None),
             ("a:desc", "x=y&z", None), ("", "root", None), ("\t", "", None), ("r2", None, None)]
    models = {}
    for i, (mid, base, op) in enumerate(links):
        values = {m: (i * 0.37 + j) % 3 - 1 for j, m in enumerate(METRICS) if (i + j) % 4}
        values["Model Size"] = 1e6 * (i + 1)
        models[mid] = Model(mid, f"tag {mid} {i}" if i % 3 else None, base, op, values)
    metrics = [MetricSpec(name=m, primary=k < 4) for k, m in enumerate(METRICS)]
    return ExperimentForest("fuzz", models, {}, metrics)


@lru_cache(maxsize=1)
def empty_forest() -> ExperimentForest:
    """No models and no metrics: every default has nothing to fall back on."""
    return ExperimentForest("empty", {}, {}, [])


@lru_cache(maxsize=1)
def refinement_table() -> ComparisonTable:
    """The hostile forest's raw Compare table: more than two variables, so refinement applies."""
    forest = hostile_forest()
    table = experiment_table(forest.records(), forest.ids)
    assert table.needs_refinement, "the fuzz forest must need refinement"
    return table
