"""The data files of the Hugging Face inspectors: question answering and labelled texts.

Why its own module: both are JSON-lines files read the same way (a bad line is one error
naming the file and line), and reading them needs neither torch nor transformers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backend.inference.protocol import InspectorError


def json_lines(path: Path) -> Iterator[tuple[int, str, dict]]:
    """(line number, where, object) for each non-blank line; anything else is one error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InspectorError(f"inspector.options.data: cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"inspector.options.data: {path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InspectorError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise InspectorError(f"{where}: a line must be a JSON object")
        yield number, where, raw


@dataclass(frozen=True)
class QAItem:
    """One line of the data file."""

    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    group: str | None = None


def read_qa(path: Path) -> list[QAItem]:
    """The items of a JSON-lines file; a bad line is one error naming the file and line."""
    items: list[QAItem] = []
    seen: set[str] = set()
    for number, where, raw in json_lines(path):
        answers = raw.get("answers")
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(answers, list) or not answers or not all(isinstance(a, str) for a in answers):
            raise InspectorError(f"{where}: 'answers' must be a non-empty list of strings")
        for field in ("question", "context"):
            if not isinstance(raw.get(field, ""), str):
                raise InspectorError(f"{where}: '{field}' must be a string")
        ident = str(raw.get("id", number - 1))
        if ident in seen:
            raise InspectorError(f"{where}: id {ident!r} appears twice")
        seen.add(ident)
        group = raw.get("group")
        items.append(QAItem(ident, raw.get("question", ""), raw.get("context", ""), tuple(answers),
                            None if group is None else str(group)))
    if not items:
        raise InspectorError(f"inspector.options.data: {path} has no instances")
    return items


@dataclass(frozen=True)
class TextItem:
    """One line of a classification data file; ``label`` is a class name or a class index."""

    id: str
    text: str
    label: str | int
    text_pair: str | None = None


def read_labeled_texts(path: Path) -> list[TextItem]:
    """The items of a JSON-lines file ``{"id"?, "text", "label", "text_pair"?}``; a bad line is
    one error naming the file and line."""
    items: list[TextItem] = []
    seen: set[str] = set()
    for number, where, raw in json_lines(path):
        if not isinstance(raw.get("text"), str):
            raise InspectorError(f"{where}: 'text' must be a string")
        pair = raw.get("text_pair")
        if pair is not None and not isinstance(pair, str):
            raise InspectorError(f"{where}: 'text_pair' must be a string")
        label = raw.get("label")
        if isinstance(label, bool) or not isinstance(label, str | int):
            raise InspectorError(f"{where}: 'label' must be a class name or a class index, got {label!r}")
        ident = str(raw.get("id", number - 1))
        if ident in seen:
            raise InspectorError(f"{where}: id {ident!r} appears twice")
        seen.add(ident)
        items.append(TextItem(ident, raw["text"], label, pair))
    if not items:
        raise InspectorError(f"inspector.options.data: {path} has no instances")
    if len({i.text_pair is None for i in items}) > 1:
        raise InspectorError(f"inspector.options.data: {path}: give 'text_pair' on every line or on none")
    return items
