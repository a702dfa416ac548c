"""Drop the top-level declarations of a bundled script that nothing it runs can reach.

Why: after ``plotly_js.trim`` the unused trace types of plotly.js are never *run*, but the
browser still parses their 2.4 MB of code on every cold load (~0.2 s of main thread here).
esbuild puts every module at the top level of one function body as a declaration
(``var m=W((exports,module)=>{…})``, ``var init=Ea(()=>{…})``, plain functions and
constants), so a module no kept code names can be left out of the text: the same result
as a partial bundle built from plotly.js's sources, derived from the installed one.

How, and why it is safe:

- A scanner that knows JavaScript's strings, template literals, comments and regular
  expression literals finds the body's top-level statements (``;`` at the body's depth, and
  the closing brace of a function declaration). Anything it cannot read raises ValueError.
- A declarator is *droppable* only when creating it runs nothing: a function or arrow
  literal, a simple literal, or a call of one of the bundle's lazy wrappers (a function of
  the form ``(…)=>()=>…``, which returns a thunk) on a function literal. Every other
  statement is kept, in place, with everything it names.
- From those roots, every identifier in kept text keeps each declarator of that name
  (property names and shadowing locals only keep more). What is never named is dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection

_INTEREST = re.compile(r"""[{}()\[\];,"'`/]""")
_REGEX_AFTER = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void",
                "throw", "instanceof", "yield", "await"}
_WORD_END = re.compile(r"[\w$]+$")
_STRING = {'"': re.compile(r'"(?:[^"\\\n]|\\[\s\S])*"'), "'": re.compile(r"'(?:[^'\\\n]|\\[\s\S])*'")}
_REGEX = re.compile(r"/(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[a-z]*")
_TEMPLATE = re.compile(r"(?:[^`\\$]|\\[\s\S]|\$(?!\{))*")
_LINE_COMMENT = re.compile(r"//[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*[\s\S]*?\*/")
_SPACE_AND_COMMENTS = re.compile(rf"(?:\s+|{_LINE_COMMENT.pattern}|{_BLOCK_COMMENT.pattern})*")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_DECLARATION = re.compile(r"(var|let|const)\s+")
_FUNCTION = re.compile(r"(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(")
_DECLARATOR = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*(?:(=)|$)")
_ARROW_HEAD = re.compile(r"(?:async\s*)?(?:\([\w$,\s]*\)|[A-Za-z_$][\w$]*)\s*=>")
_FUNCTION_HEAD = re.compile(r"(?:async\s+)?function\b")
_LITERAL = re.compile(r"-?(?:\d[\w.]*|\.\d\w*)|!0|!1|void 0|null|true|false")
_WRAPPER = re.compile(r"([A-Za-z_$][\w$]*)=\([\w$,]*\)=>\(\)=>")


def _regex_allowed(text: str, pos: int) -> bool:
    """Whether a ``/`` at ``pos`` starts a regular expression (not a division)."""
    j = pos - 1
    while j >= 0 and text[j] in " \t\r\n":
        j -= 1
    if j < 0:
        return True
    ch = text[j]
    if ch in ")]":
        return False
    if ch.isalnum() or ch in "_$":
        word = _WORD_END.search(text, max(0, j - 40), j + 1)
        return word is not None and word.group(0) in _REGEX_AFTER
    return not (ch in "+-" and j > 0 and text[j - 1] == ch)  # x++ / y


def scan(text: str, start: int, end: int) -> tuple[list[tuple[int, str, int]], int]:
    """The events at depths 0 and 1 of ``text[start:end]``, and the depth at ``end``.

    Events are ``(pos, kind, depth)``: ``;`` and ``,`` at that depth, a closing ``)``, ``]``
    or ``}`` back to that depth, and ``end`` for a closing bracket below depth 0 (the scan
    stops there). Deeper events are not kept: what is droppable is decided at these two.
    """
    depth, pos, events, templates = 0, start, [], []

    def template_rest(p: int) -> int:  # p: just after a backtick or after a ${…}'s brace
        nonlocal depth
        q = _TEMPLATE.match(text, p).end()
        if text.startswith("`", q):
            return q + 1
        if text.startswith("${", q):
            depth += 1
            templates.append(depth)
            return q + 2
        raise ValueError(f"unterminated template literal at {p}")

    while True:
        found = _INTEREST.search(text, pos, end)
        if found is None:
            if templates:
                raise ValueError("unterminated template literal")
            return events, depth
        p = found.start()
        ch = text[p]
        pos = p + 1
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if ch == "}" and templates and templates[-1] == depth:
                templates.pop()
                depth -= 1
                pos = template_rest(p + 1)
                continue
            depth -= 1
            if depth < 0:
                events.append((p, "end", depth))
                return events, depth
            if depth < 2:
                events.append((p, ch, depth))
        elif ch in ";,":
            if depth < 2:
                events.append((p, ch, depth))
        elif ch in "\"'":
            string = _STRING[ch].match(text, p)
            if string is None:
                raise ValueError(f"unterminated string at {p}")
            pos = string.end()
        elif ch == "`":
            pos = template_rest(p + 1)
        elif text.startswith("//", p):
            pos = _LINE_COMMENT.match(text, p).end()
        elif text.startswith("/*", p):
            pos = _BLOCK_COMMENT.match(text, p).end()
        elif _regex_allowed(text, p):
            regex = _REGEX.match(text, p)
            if regex is None:
                raise ValueError(f"unreadable regular expression at {p}")
            pos = regex.end()


def _lead(text: str, b: int, e: int) -> int:
    """The first position of ``text[b:e]`` past white space and comments."""
    return min(_SPACE_AND_COMMENTS.match(text, b, e).end(), e)


class _Events:
    """The scan's events, found by position."""

    def __init__(self, events: list[tuple[int, str, int]]) -> None:
        self.events = events
        self.positions = [p for p, _k, _d in events]

    def within(self, b: int, e: int) -> list[tuple[int, str, int]]:
        return self.events[bisect_left(self.positions, b):bisect_left(self.positions, e)]


def _is_function(text: str, b: int, e: int, depth: int, events: _Events) -> bool:
    """Whether ``text[b:e]``, at ``depth``, is exactly one function or arrow literal (creating
    it runs nothing)."""
    b = _lead(text, b, e)
    arrow = _ARROW_HEAD.match(text, b, e)
    if not arrow and not _FUNCTION_HEAD.match(text, b, e):
        return False
    inside = events.within(b, e)
    if any(d < depth or (d == depth and kind in ",;") for _p, kind, d in inside):
        return False  # more than the literal: another argument, a statement, a call after it
    if arrow:
        return True  # an arrow's body runs to the end of the range
    braces = [p for p, kind, d in inside if kind == "}" and d == depth]
    return len(braces) == 1 and text[braces[0] + 1:e].strip() == ""


def _is_pure(text: str, b: int, e: int, wrappers: Collection[str], events: _Events) -> bool:
    """Whether evaluating the initializer ``text[b:e]`` (at depth 0) runs nothing (see module)."""
    init = text[b:e].strip()
    if _LITERAL.fullmatch(init) or (init[:1] in _STRING and _STRING[init[0]].fullmatch(init)):
        return True
    b = _lead(text, b, e)
    e = b + len(text[b:e].rstrip())
    head = _IDENT.match(text, b, e)
    if head and head.group(0) in wrappers and text.startswith("(", head.end()):
        closes = [p for p, kind, d in events.within(b, e) if d == 0 and kind in ")]}"]
        # one call: its parenthesis is the only thing closing back to depth 0, at the very end
        return closes == [e - 1] and _is_function(text, head.end() + 1, e - 1, 1, events)
    return _is_function(text, b, e, 0, events)


class _Statement:
    """A top-level statement; ``declarators`` is None unless it only declares names."""

    def __init__(self, begin: int, end: int, keyword: str = "",
                 declarators: list[tuple[str, int, int, bool]] | None = None) -> None:
        self.begin, self.end, self.keyword, self.declarators = begin, end, keyword, declarators


def _statements(text: str, start: int, events: _Events, wrappers: Collection[str]) -> list[_Statement]:
    out: list[_Statement] = []
    begin, commas = start, []
    for pos, kind, depth in events.events:
        if depth != 0 or kind in ")]":
            continue
        if kind == ",":
            commas.append(pos)
            continue
        if kind == "}":
            head = text[_lead(text, begin, pos):pos]
            named = _FUNCTION.match(head)
            if named:
                out.append(_Statement(begin, pos + 1, declarators=[(named.group(1), begin, pos + 1, True)]))
                begin, commas = pos + 1, []
            elif head.startswith("class"):
                out.append(_Statement(begin, pos + 1))
                begin, commas = pos + 1, []
            continue
        if kind == "end":
            break
        out.append(_declaration(text, begin, pos + 1, commas, wrappers, events))
        begin, commas = pos + 1, []
    return out


def _declaration(text: str, begin: int, end: int, commas: list[int],
                 wrappers: Collection[str], events: _Events) -> _Statement:
    """A ``var``/``let``/``const`` statement split into its declarators, or an opaque statement."""
    lead = _lead(text, begin, end)
    keyword = _DECLARATION.match(text, lead, end)
    if keyword is None or not text[lead:end].rstrip().endswith(";"):
        return _Statement(begin, end)
    at = keyword.end()
    semicolon = text.rindex(";", begin, end)
    declarators = []
    for stop in [c for c in commas if c > at] + [semicolon]:
        named = _DECLARATOR.match(text, at, stop)
        if named is None:
            return _Statement(begin, end)  # destructuring: kept as it is
        if named.group(2):
            pure = _is_pure(text, named.end(), stop, wrappers, events)
        else:
            pure = True
        declarators.append((named.group(1), at, stop, pure))
        at = stop + 1
    return _Statement(begin, end, keyword.group(1), declarators)


class Reach:
    """A body's top-level statements and the declarators reached from what runs.

    ``replaced`` gives some declarators another text (same name): what they name and what is
    written for them then come from it. That is how a variant of the same bundle (another
    register call) is walked without scanning its 5 MB again.
    """

    def __init__(self, text: str, body_start: int, statements: list[_Statement],
                 by_name: dict[str, list[tuple[int, int]]], roots: list[tuple[int, int]],
                 replaced: dict[tuple[int, int], str] | None = None) -> None:
        self.text, self.body_start, self.statements = text, body_start, statements
        self.by_name, self.roots, self.replaced = by_name, roots, replaced or {}
        self.kept = self._walk()

    def source(self, key: tuple[int, int]) -> str:
        """A statement's (-1) or a declarator's text."""
        if key in self.replaced:
            return self.replaced[key]
        statement = self.statements[key[0]]
        b, e = (statement.begin, statement.end) if key[1] < 0 else statement.declarators[key[1]][1:3]
        return self.text[b:e]

    def _walk(self) -> set[tuple[int, int]]:
        kept: set[tuple[int, int]] = set()
        todo = list(self.roots)
        while todo:
            key = todo.pop()
            if key in kept:
                continue
            kept.add(key)
            for name in set(_IDENT.findall(self.source(key))):
                todo += [k for k in self.by_name.get(name, ()) if k not in kept]
        return kept

    def with_text(self, replaced: dict[tuple[int, int], str]) -> Reach:
        """The same body walked again with some declarators' text replaced."""
        return Reach(self.text, self.body_start, self.statements, self.by_name, self.roots, replaced)

    def keys(self, where: str) -> list[tuple[int, int]]:
        """The declarators whose text contains ``where``."""
        return [(i, j) for i, statement in enumerate(self.statements)
                for j in range(len(statement.declarators or ())) if where in self.source((i, j))]

    def declarations(self) -> dict[tuple[int, int], str]:
        """Each kept declarator, as a statement of its own."""
        out = {}
        for i, statement in enumerate(self.statements):
            for j in range(len(statement.declarators or ())):
                if (i, j) in self.kept:
                    body = self.source((i, j)).strip()
                    out[(i, j)] = f"{statement.keyword} {body};" if statement.keyword else body
        return out

    def pruned(self) -> str:
        """The text without the declarators that are not reached."""
        text = self.text
        pieces, last = [text[:self.body_start]], self.body_start
        for i, statement in enumerate(self.statements):
            if statement.declarators is None:
                continue
            keep = [j for j in range(len(statement.declarators)) if (i, j) in self.kept]
            if len(keep) == len(statement.declarators) and not any((i, j) in self.replaced for j in keep):
                continue
            pieces.append(text[last:statement.begin])
            if keep and statement.keyword:
                kept_text = ",".join(self.source((i, j)).strip() for j in keep)
                pieces.append(f"{statement.keyword} {kept_text};")
            elif keep:
                pieces.append(self.source((i, 0)))
            last = statement.end
        pieces.append(text[last:])
        return "".join(pieces)


def reach(text: str, body_start: int) -> Reach:
    """What of the function body starting at ``body_start`` is reached (see module). Raises
    ValueError where the body cannot be read."""
    found, _depth = scan(text, body_start, len(text))
    if not found or found[-1][1] != "end":
        raise ValueError("the function body does not close")
    body_end = found[-1][0]
    events = _Events(found)
    wrappers = set(_WRAPPER.findall(text, body_start, body_end))
    statements = _statements(text, body_start, events, wrappers)
    tail = statements[-1].end if statements else body_start
    if text[tail:body_end].strip():
        statements.append(_declaration(text, tail, body_end, [], wrappers, events))

    by_name: dict[str, list[tuple[int, int]]] = {}
    roots: list[tuple[int, int]] = []  # (statement, declarator or -1 for the whole statement)
    for i, statement in enumerate(statements):
        if statement.declarators is None:
            roots.append((i, -1))
            continue
        for j, (name, _b, _e, pure) in enumerate(statement.declarators):
            by_name.setdefault(name, []).append((i, j))
            if not pure:
                roots.append((i, j))
    outside = text[:body_start] + text[body_end:]
    roots += [key for name in set(_IDENT.findall(outside)) for key in by_name.get(name, ())]
    return Reach(text, body_start, statements, by_name, roots)


def prune(text: str, body_start: int) -> str:
    """``text`` without the declarations of the function body starting at ``body_start`` that
    no kept statement reaches. Raises ValueError where the body cannot be read."""
    return reach(text, body_start).pruned()
