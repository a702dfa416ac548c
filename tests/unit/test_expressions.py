"""The derived metrics' expression language: parsing, refusals, and vectorised evaluation.

The property test renders random expression trees with as few parentheses as precedence allows,
parses them back (the same tree: precedence and associativity hold) and compares the numpy
evaluation over many models with a plain per-value float64 evaluation of the tree.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.experiment.evaluation import evaluate
from backend.experiment.expressions import (
    MAX_LENGTH,
    MAX_NESTING,
    Binary,
    Call,
    ExpressionError,
    Name,
    Number,
    Unary,
    compile_expression,
    names,
    parse,
    quote,
)

METRICS = ["Accuracy", "Model Size", "Latency", "a`b", "log", "Δ parent"]


def n(value: float) -> Number:
    return Number(float(value))


# --- parsing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "tree"), [
    ("1 + 2 * 3", Binary("+", n(1), Binary("*", n(2), n(3)))),
    ("(1 + 2) * 3", Binary("*", Binary("+", n(1), n(2)), n(3))),
    ("8 / 4 / 2", Binary("/", Binary("/", n(8), n(4)), n(2))),  # left-associative
    ("1 - 2 - 3", Binary("-", Binary("-", n(1), n(2)), n(3))),
    ("2 ** 3 ** 2", Binary("**", n(2), Binary("**", n(3), n(2)))),  # right-associative
    ("-2 ** 2", Unary("-", Binary("**", n(2), n(2)))),  # as in Python: -(2 ** 2)
    ("2 ** -1", Binary("**", n(2), Unary("-", n(1)))),
    ("- -x", Unary("-", Unary("-", Name("x")))),
    ("a + 1 < b * 2", Binary("<", Binary("+", Name("a"), n(1)), Binary("*", Name("b"), n(2)))),
    ("a <= b == 1", None),  # comparisons do not chain (refused below)
    ("1e6 + .5 + 2. + 3E-2", Binary("+", Binary("+", Binary("+", n(1e6), n(0.5)), n(2)), n(0.03))),
    ("`Model Size` / 1e6", Binary("/", Name("Model Size"), n(1e6))),
    ("`a``b` * Δ", Binary("*", Name("a`b"), Name("Δ"))),
    ("max(a, b, 1) - min(a, 2)", Binary("-", Call("max", (Name("a"), Name("b"), n(1))),
                                        Call("min", (Name("a"), n(2))))),
    ("log(exp(abs(-x)))", Call("log", (Call("exp", (Call("abs", (Unary("-", Name("x")),)),)),))),
    ("log", Name("log")),  # a function's name alone is a metric's
    ("(a != b) + (a >= 1)", Binary("+", Binary("!=", Name("a"), Name("b")), Binary(">=", Name("a"), n(1)))),
])
def test_precedence_and_associativity(text: str, tree):
    if tree is None:
        with pytest.raises(ExpressionError, match="comparisons do not chain"):
            parse(text)
    else:
        assert parse(text) == tree


def test_positions_are_one_based_and_names_are_listed_in_order():
    node = parse("Accuracy / (`Model Size` / 1e6)")
    assert [(u.name, u.pos) for u in names(node)] == [("Accuracy", 1), ("Model Size", 13)]
    assert node.pos == 10


@pytest.mark.parametrize("metric", METRICS + ["x", "_y2", "with space", "`", "``x`", "名前"])
def test_quote_round_trips_any_name(metric: str):
    assert parse(quote(metric)) == Name(metric)
    assert compile_expression(f"{quote(metric)} * 2", [metric]) == Binary("*", Name(metric), n(2))


@pytest.mark.parametrize(("text", "message"), [
    ("a.__class__", "expression 'a.__class__': unexpected '.' (attributes are not part of the language) "
                    "at position 2"),
    ("Accuracy.real", "unexpected '.' (attributes are not part of the language) at position 9"),
    ("(a).b", "unexpected '.' (attributes are not part of the language) at position 4"),
    ("eval(1)", "'eval' is not a function (functions: log, exp, abs, min, max) at position 1"),
    ("__import__(1)", "'__import__' is not a function (functions: log, exp, abs, min, max) at position 1"),
    ("Accuracy(2)", "'Accuracy' is not a function"),
    ("a[0]", "unexpected '[' at position 2"),
    ("'a'", "unexpected \"'\" (names go in backticks) at position 1"),
    ("a ^ 2", "unexpected '^' (powers are written **) at position 3"),
    ("a = 1", "unexpected '=' (equality is ==) at position 3"),
    ("lambda: 1", "unexpected ':' at position 7"),
    ("1 2", "unexpected '2' after a complete expression at position 3"),
    ("a b", "unexpected 'b' after a complete expression at position 3"),
    ("(1 + 2", "'(' is never closed at position 1"),
    ("(1 + 2))", "unmatched ')' at position 8"),
    (")", "unmatched ')' at position 1"),
    ("max(1, 2", "'max(' is never closed at position 4"),
    ("max(1 2)", "expected ',' or ')' in max(...), found '2' at position 7"),
    ("(1 2)", "expected ')' to close the '(' at position 1, found '2' at position 4"),
    ("1 +", "the expression ends too early at position 4"),
    ("*", "unexpected '*' at position 1"),
    ("", "expression '': is empty"),
    ("   ", "is empty"),
    ("log(1, 2)", "log() takes 1 argument, got 2 at position 1"),
    ("max(1)", "max() takes at least 2 arguments, got 1 at position 1"),
    ("a < b < c", "comparisons do not chain; add parentheses at position 7"),
    ("`Model Size", "a backtick-quoted name is never closed at position 1"),
    ("`` + 1", "empty name in backticks at position 1"),
    ("1.2.3", "malformed number '1.2.' at position 1"),
    ("2x", "malformed number '2x' at position 1"),
    ("1e999", "number 1e999 is too large for a float64 at position 1"),
    ("2 ** 1e6", "exponent 1e+06 is too large (at most 1024 in size) at position 3"),
    ("2 ** -2000", "exponent -2000 is too large (at most 1024 in size) at position 3"),
    ("2 ** - - 5000", "exponent 5000 is too large"),
])
def test_refusals_are_one_line_naming_the_expression_and_position(text: str, message: str):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    line = str(info.value)
    assert message in line and "\n" not in line
    assert line.startswith(f"expression '{text}': ")


def test_unknown_names_are_refused_with_a_suggestion():
    with pytest.raises(ExpressionError) as info:
        compile_expression("accuracy / `Model Size`", ["Accuracy", "Model Size"])
    assert str(info.value) == ("expression 'accuracy / `Model Size`': unknown metric 'accuracy' "
                               "(did you mean 'Accuracy'?) at position 1")
    with pytest.raises(ExpressionError, match="unknown metric 'Size' at position 12"):
        compile_expression("Accuracy / Size", ["Accuracy", "Model Size", "Latency", "Sparsity"])


def test_limits_keep_hostile_text_cheap():
    with pytest.raises(ExpressionError, match=f"longer than {MAX_LENGTH} characters"):
        parse("1+" * MAX_LENGTH + "1")
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_NESTING} levels deep"):
        parse("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("-" * 500 + "1")
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("2**" * 300 + "1")
    # a long flat chain is fine: it is a loop, not recursion, to parse and to evaluate
    chain = "+".join(["x"] * 450)
    assert evaluate(compile_expression(chain, ["x"]), {"x": np.ones(3)}, 3).tolist() == [450.0] * 3
    hostile = "`" + "a\nb" * 10 + "`.__class__"
    with pytest.raises(ExpressionError) as info:
        parse(hostile)
    assert "\n" not in str(info.value)


# --- evaluation ------------------------------------------------------------------------------
def test_vectorised_values_and_ieee_edge_cases_without_warnings():
    cols = {"a": np.array([1.0, 0.0, -1.0, np.nan]), "b": np.array([0.0, 0.0, 2.0, 1.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning spam for a division by zero
        div = evaluate(parse("a / b"), cols, 4)
        logs = evaluate(parse("log(a)"), cols, 4)
        big = evaluate(parse("10 ** (a * 400)"), cols, 4)
        less = evaluate(parse("a < b"), cols, 4)
        most = evaluate(parse("max(a, b)"), cols, 4)
        const = evaluate(parse("2 ** 10"), cols, 4)
    assert div[0] == math.inf and math.isnan(div[1]) and div[2] == -0.5 and math.isnan(div[3])
    assert logs[0] == 0 and logs[1] == -math.inf and math.isnan(logs[2]) and math.isnan(logs[3])
    assert big[0] == math.inf and big[1] == 1 and big[2] == 0
    assert less[:3].tolist() == [0.0, 0.0, 1.0] and math.isnan(less[3])  # NaN is not "false"
    assert most[:3].tolist() == [1.0, 0.0, 2.0] and math.isnan(most[3])  # NaN propagates
    assert const.tolist() == [1024.0] * 4 and const.flags.writeable


def test_ten_thousand_models_evaluate_well_under_the_goal():
    import time

    rng = np.random.default_rng(0)
    cols = {"Accuracy": rng.random(10_000), "Model Size": rng.random(10_000) * 1e7}
    node = compile_expression("Accuracy / (`Model Size` / 1e6) + max(Accuracy, 0.5) ** 2", cols)
    start = time.perf_counter()
    evaluate(node, cols, 10_000)
    assert time.perf_counter() - start < 0.05


# --- the property: parse(render(tree)) is the tree, and numpy agrees with a per-value reference ---
VARS = ["x", "y", "Model Size", "a`b"]
PREC = {"<": 1, "<=": 1, ">": 1, ">=": 1, "==": 1, "!=": 1, "+": 2, "-": 2, "*": 3, "/": 3, "**": 5}
LITERALS = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 0.5, 3.0, 10.0, 1e-3, 1e6]),
                     st.floats(0, 1000, allow_nan=False, allow_infinity=False).map(abs))


def trees() -> st.SearchStrategy:
    leaves = st.one_of(LITERALS.map(Number), st.sampled_from(VARS).map(Name))

    def grow(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.builds(Unary, st.just("-"), children),
            st.builds(Binary, st.sampled_from(list(PREC)), children, children),
            st.builds(Call, st.sampled_from(["log", "exp", "abs"]), children.map(lambda c: (c,))),
            st.builds(Call, st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3).map(tuple)),
        )

    return st.recursive(leaves, grow, max_leaves=12)


def render(node, draw_parens) -> str:
    """Text with the parentheses precedence needs (and a few redundant ones)."""
    def wrap(text: str, needed: bool) -> str:
        return f"({text})" if needed or draw_parens() else text

    if isinstance(node, Number):
        return repr(node.value)
    if isinstance(node, Name):
        return quote(node.name)
    if isinstance(node, Call):
        return f"{node.fn}({', '.join(render(a, draw_parens) for a in node.args)})"
    if isinstance(node, Unary):  # its operand: a unary, a power or an atom
        return "-" + wrap(render(node.operand, draw_parens), _prec(node.operand) < 4)
    p = PREC[node.op]
    left, right = render(node.left, draw_parens), render(node.right, draw_parens)
    if node.op == "**":  # an atom on the left; a unary, power or atom on the right
        return f"{wrap(left, _prec(node.left) < 6)} ** {wrap(right, _prec(node.right) < 4)}"
    if p == 1:  # comparisons do not chain
        return f"{wrap(left, _prec(node.left) <= 1)} {node.op} {wrap(right, _prec(node.right) <= 1)}"
    return f"{wrap(left, _prec(node.left) < p)} {node.op} {wrap(right, _prec(node.right) <= p)}"


def _prec(node) -> int:
    if isinstance(node, Binary):
        return PREC[node.op]
    return 4 if isinstance(node, Unary) else 6


def reference(node, row: dict[str, float]) -> float:
    """One model's value, one float64 at a time (IEEE semantics written out)."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return row[node.name]
    if isinstance(node, Unary):
        return -reference(node.operand, row)
    if isinstance(node, Call):
        args = [reference(a, row) for a in node.args]
        if node.fn in ("min", "max"):
            if any(math.isnan(a) for a in args):
                return math.nan
            pick = np.minimum if node.fn == "min" else np.maximum  # signed zeros as numpy orders them
            out = np.float64(args[0])
            for a in args[1:]:
                out = pick(out, np.float64(a))
            return float(out)
        (a,) = args
        if node.fn == "abs":
            return abs(a)
        if node.fn == "exp":
            try:
                return math.exp(a)
            except OverflowError:
                return math.inf
        if math.isnan(a) or a < 0:
            return math.nan
        return -math.inf if a == 0 else math.log(a)
    a, b = reference(node.left, row), reference(node.right, row)
    if node.op in ("<", "<=", ">", ">=", "==", "!="):
        if math.isnan(a) or math.isnan(b):
            return math.nan
        return float({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[node.op])
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if node.op == "/":
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    with np.errstate(all="ignore"):  # pow's IEEE special cases, one scalar at a time
        return float(np.float64(a) ** np.float64(b))


COLUMN = st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan), st.just(0.0),
                            st.just(-0.0), st.sampled_from([1.0, -1.0, 2.5, 1e300])), min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(trees(), st.data())
def test_evaluation_matches_a_plain_float64_reference(tree, data):
    flags = iter(data.draw(st.lists(st.booleans(), min_size=64, max_size=64)))
    text = render(tree, lambda: next(flags, False) and next(flags, False))
    try:
        parsed = compile_expression(text, VARS)
    except ExpressionError as exc:  # only a literal exponent past the cap, which is refused
        assert "is too large" in str(exc) or "longer than" in str(exc), (text, str(exc))
        return
    assert parsed == tree, text
    size = data.draw(st.integers(1, 8))
    cols = {v: np.array((data.draw(COLUMN) * 8)[:size], dtype=np.float64) for v in VARS}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = evaluate(parsed, cols, size)
    want = np.array([reference(tree, {v: float(cols[v][i]) for v in VARS}) for i in range(size)])
    assert got.shape == (size,) and got.dtype == np.float64
    same = (got == want) | (np.isnan(got) & np.isnan(want)) | np.isclose(got, want, rtol=1e-12, atol=0)
    assert same.all(), (text, cols, got, want)
