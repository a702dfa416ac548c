"""The expression language of derived metrics: a tokenizer and a recursive-descent parser.

Why a parser and not ``eval``: an expression comes from a config file or from a URL anyone can
write, so it is read as data. The grammar knows numbers, metric names, ``+ - * / **``, unary
minus, parentheses, the comparisons ``< <= > >= == !=`` and five functions, and nothing else: an
attribute, a call of any other name, an unknown metric or trailing text is refused in one line
naming the expression and the (1-based) character position.

    comparison := sum [('<' | '<=' | '>' | '>=' | '==' | '!=') sum]     (comparisons do not chain)
    sum        := product (('+' | '-') product)*
    product    := unary (('*' | '/') unary)*
    unary      := ('-' | '+') unary | power
    power      := atom ['**' unary]                                   (right-associative)
    atom       := number | name | `any name` | function '(' comparison (',' comparison)* ')'
                | '(' comparison ')'

As in Python, ``-2 ** 2`` is ``-(2 ** 2)`` and ``2 ** -1`` is allowed. A name with spaces or
symbols goes in backticks (a backtick inside is written twice). A literal exponent above
``MAX_EXPONENT`` in size is refused (no float64 needs it: ``2 ** 1024`` already overflows); a
computed power that overflows is infinite, which a derived metric shows as missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from backend.experiment.messages import name as printable
from backend.experiment.schema import did_you_mean

FUNCTIONS = {"log": (1, 1), "exp": (1, 1), "abs": (1, 1), "min": (2, None), "max": (2, None)}  # arity
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
MAX_LENGTH = 1000  # characters: an expression is a formula, not a program
MAX_NESTING = 64  # parentheses, unary signs and powers inside each other (keeps recursion shallow)
MAX_EXPONENT = 1024.0

_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGITS = "0123456789"
_NAME = re.compile(r"[^\W\d]\w*")
_OPERATORS = ("**", "<=", ">=", "==", "!=", "+", "-", "*", "/", "<", ">", "(", ")", ",")


class ExpressionError(ValueError):
    """A refused expression: ``str()`` is one line naming the expression and the position."""

    def __init__(self, text: str, what: str, position: int | None = None) -> None:
        self.text, self.what, self.position = text, what, position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"expression '{printable(text, 120)}': {what}{where}")


# --- the syntax tree (positions are 1-based and ignored by ==) ----------------------------------
@dataclass(frozen=True)
class Number:
    """A numeric literal."""

    value: float
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    """A metric, by name."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    """``-x`` or ``+x``."""

    op: str
    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """An arithmetic operator or a comparison."""

    op: str
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """One of ``FUNCTIONS``."""

    fn: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


Node = Number | Name | Unary | Binary | Call


def quote(metric: str) -> str:
    """A metric name as an expression writes it: bare when it is an identifier, else in backticks."""
    if _NAME.fullmatch(metric) and metric not in FUNCTIONS:
        return metric
    return "`" + metric.replace("`", "``") + "`"


def names(node: Node) -> Iterator[Name]:
    """Every metric name the expression uses, left to right."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            yield n
        elif isinstance(n, Unary):
            stack.append(n.operand)
        elif isinstance(n, Binary):
            stack += [n.right, n.left]
        elif isinstance(n, Call):
            stack += reversed(n.args)


# --- tokens --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "quoted", "op", "end"
    text: str
    pos: int  # 1-based
    value: float = 0.0


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            out.append(_number(text, i))
            i += len(out[-1].text)
        elif c == "`":
            token, i = _quoted(text, i)
            out.append(token)
        elif match := _NAME.match(text, i):
            out.append(_Token("name", match.group(), i + 1))
            i = match.end()
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            out.append(_Token("op", op, i + 1))
            i += len(op)
        else:
            raise ExpressionError(text, _unexpected(c), i + 1)
    out.append(_Token("end", "", n + 1))
    return out


def _unexpected(c: str) -> str:
    hints = {".": " (attributes are not part of the language)", "^": " (powers are written **)",
             "=": " (equality is ==)", "!": " (inequality is !=)", "[": "", "'": " (names go in backticks)",
             '"': " (names go in backticks)"}
    return f"unexpected {printable(repr(c), 12)}{hints.get(c, '')}"


def _number(text: str, i: int) -> _Token:
    match = _NUMBER.match(text, i)
    assert match is not None
    end = match.end()
    if end < len(text) and (text[end].isalnum() or text[end] in "_.`"):
        raise ExpressionError(text, f"malformed number '{printable(text[i:end + 1], 40)}'", i + 1)
    value = float(match.group())
    if not math.isfinite(value):
        raise ExpressionError(text, f"number {printable(match.group(), 40)} is too large for a float64",
                              i + 1)
    return _Token("number", match.group(), i + 1, value)


def _quoted(text: str, start: int) -> tuple[_Token, int]:
    """A backticked name from ``start`` (its opening backtick); a doubled backtick is one."""
    parts, i = [], start + 1
    while True:
        close = text.find("`", i)
        if close < 0:
            raise ExpressionError(text, "a backtick-quoted name is never closed", start + 1)
        parts.append(text[i:close])
        if text.startswith("``", close):
            parts.append("`")
            i = close + 2
            continue
        metric = "".join(parts)
        if not metric:
            raise ExpressionError(text, "empty name in backticks", start + 1)
        return _Token("quoted", metric, start + 1), close + 1


# --- the parser ----------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def fail(self, what: str, token: _Token | None = None) -> ExpressionError:
        token = token or self.token
        return ExpressionError(self.text, what, token.pos)

    def take(self, *ops: str) -> _Token | None:
        token = self.token
        if token.kind == "op" and token.text in ops:
            self.at += 1
            return token
        return None

    def deeper(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"nested more than {MAX_NESTING} levels deep", token)

    def parse(self) -> Node:
        node = self.comparison()
        token = self.token
        if token.kind != "end":
            if token.text == ")":
                raise self.fail("unmatched ')'", token)
            raise self.fail(f"unexpected {_shown(token)} after a complete expression", token)
        return node

    def comparison(self) -> Node:
        left = self.sum()
        if op := self.take(*COMPARISONS):
            left = Binary(op.text, left, self.sum(), op.pos)
            if again := self.take(*COMPARISONS):
                raise self.fail("comparisons do not chain; add parentheses", again)
        return left

    def sum(self) -> Node:
        left = self.product()
        while op := self.take("+", "-"):
            left = Binary(op.text, left, self.product(), op.pos)
        return left

    def product(self) -> Node:
        left = self.unary()
        while op := self.take("*", "/"):
            left = Binary(op.text, left, self.unary(), op.pos)
        return left

    def unary(self) -> Node:
        if op := self.take("-", "+"):
            self.deeper(op)
            node = Unary(op.text, self.unary(), op.pos)
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if op := self.take("**"):
            self.deeper(op)
            exponent = self.unary()
            self.depth -= 1
            literal = _literal(exponent)
            if literal is not None and abs(literal) > MAX_EXPONENT:
                raise self.fail(f"exponent {literal:g} is too large (at most {MAX_EXPONENT:g} in size)", op)
            return Binary("**", base, exponent, op.pos)
        return base

    def atom(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.at += 1
            return Number(token.value, token.pos)
        if token.kind == "quoted":
            self.at += 1
            return Name(token.text, token.pos)
        if token.kind == "name":
            self.at += 1
            if self.token.text == "(" and self.token.kind == "op":
                return self.call(token)
            return Name(token.text, token.pos)
        if opening := self.take("("):
            self.deeper(opening)
            node = self.comparison()
            if not self.take(")"):
                raise self.fail("'(' is never closed" if self.token.kind == "end" else
                                f"expected ')' to close the '(' at position {opening.pos}, "
                                f"found {_shown(self.token)}", opening if self.token.kind == "end" else None)
            self.depth -= 1
            return node
        if token.kind == "end":
            raise self.fail("the expression ends too early")
        raise self.fail("unmatched ')'" if token.text == ")" else f"unexpected {_shown(token)}")

    def call(self, fn: _Token) -> Node:
        if fn.text not in FUNCTIONS:
            raise self.fail(f"'{printable(fn.text, 40)}' is not a function (functions: "
                            f"{', '.join(FUNCTIONS)})", fn)
        opening = self.tokens[self.at]
        self.at += 1
        self.deeper(opening)
        args = [self.comparison()]
        while self.take(","):
            args.append(self.comparison())
        if not self.take(")"):
            raise self.fail(f"'{fn.text}(' is never closed" if self.token.kind == "end" else
                            f"expected ',' or ')' in {fn.text}(...), found {_shown(self.token)}",
                            opening if self.token.kind == "end" else None)
        self.depth -= 1
        low, high = FUNCTIONS[fn.text]
        if len(args) < low or (high is not None and len(args) > high):
            wanted = f"{low}" if low == high else f"at least {low}"
            plural = "s" if low > 1 else ""
            raise self.fail(f"{fn.text}() takes {wanted} argument{plural}, got {len(args)}", fn)
        return Call(fn.text, tuple(args), fn.pos)


def _shown(token: _Token) -> str:
    if token.kind == "end":
        return "the end"
    if token.kind == "quoted":
        return f"`{printable(token.text, 40)}`"
    return f"'{printable(token.text, 40)}'"


def _literal(node: Node) -> float | None:
    """The value of a number literal, signs included (``-1e6``), else None."""
    sign = 1.0
    while isinstance(node, Unary):
        sign = -sign if node.op == "-" else sign
        node = node.operand
    return sign * node.value if isinstance(node, Number) else None


def parse(text: str) -> Node:
    """The syntax tree of an expression; ExpressionError (one line) when it is not one."""
    if not isinstance(text, str):
        raise ExpressionError(str(text), "must be text")
    if not text.strip():
        raise ExpressionError(text, "is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    return _Parser(text).parse()


def compile_expression(text: str, known: Collection[str]) -> Node:
    """``parse`` and check that every name is one of ``known`` (the metrics it may use)."""
    node = parse(text)
    for used in names(node):
        if used.name not in known:
            hint = did_you_mean(used.name, known) if len(known) <= 2000 else ""
            raise ExpressionError(text, f"unknown metric '{printable(used.name, 60)}'{hint}", used.pos)
    return node
