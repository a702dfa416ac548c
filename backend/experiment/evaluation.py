"""Vectorised evaluation of a parsed expression (``backend.experiment.expressions``) with numpy.

Why vectorised: a derived metric is one value per model, and 10,000 models must take well under
50 ms (``python -m benchmarks --only P10``); each operator is one numpy call over every model.
IEEE float64 throughout, with numpy's warnings silenced (a division by zero is a value, not a
log line): ``x / 0`` is ±inf, ``0 / 0`` NaN, ``log`` of a negative NaN and of 0 -inf, an overflow
inf. A NaN input (a model without the metric) gives NaN wherever it is used: comparisons and
``min``/``max`` propagate it too, so "missing" is never mistaken for false or for the other value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import reduce

import numpy as np

from backend.experiment.expressions import Binary, Call, Name, Node, Number, Unary

Value = np.ndarray | np.float64


def _compare(op: Callable[[Value, Value], Value]) -> Callable[[Value, Value], Value]:
    def apply(a: Value, b: Value) -> Value:
        return np.where(np.isnan(a) | np.isnan(b), np.nan, op(a, b).astype(np.float64))
    return apply


_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power,
    "<": _compare(np.less), "<=": _compare(np.less_equal), ">": _compare(np.greater),
    ">=": _compare(np.greater_equal), "==": _compare(np.equal), "!=": _compare(np.not_equal),
}
_CALLS: dict[str, Callable[..., Value]] = {
    "log": np.log, "exp": np.exp, "abs": np.abs,
    "min": lambda *a: reduce(np.minimum, a), "max": lambda *a: reduce(np.maximum, a),
}


Columns = Callable[[str], np.ndarray] | Mapping[str, np.ndarray]


def evaluate(node: Node, column: Columns, size: int) -> np.ndarray:
    """The expression's value for each of ``size`` models, as a new float64 array.

    ``column(name)`` (or ``column[name]``) gives a metric's values, NaN where a model lacks it;
    the names were checked when the expression was compiled. No recursion: a long chain such as
    ``a + b + ... + z`` is a deep tree.
    """
    get = column.__getitem__ if isinstance(column, Mapping) else column
    done: list[Value] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    with np.errstate(all="ignore"):
        while stack:
            n, ready = stack.pop()
            if isinstance(n, Number):
                done.append(np.float64(n.value))
            elif isinstance(n, Name):
                done.append(np.asarray(get(n.name), dtype=np.float64))
            elif not ready:
                stack.append((n, True))
                stack.extend((child, False) for child in reversed(_children(n)))
            else:
                count = len(_children(n))
                args = done[-count:]
                del done[-count:]
                done.append(_apply(n, args))
        result = done[0]
    return np.array(np.broadcast_to(result, (size,)), dtype=np.float64)


def _children(n: Node) -> tuple[Node, ...]:
    if isinstance(n, Unary):
        return (n.operand,)
    if isinstance(n, Binary):
        return (n.left, n.right)
    if isinstance(n, Call):
        return n.args
    return ()


def _apply(n: Node, args: list[Value]) -> Value:
    if isinstance(n, Unary):
        return np.negative(args[0]) if n.op == "-" else args[0]
    if isinstance(n, Binary):
        return _BINARY[n.op](args[0], args[1])
    assert isinstance(n, Call)
    return _CALLS[n.fn](*args)
