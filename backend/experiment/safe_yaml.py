"""Bounded YAML/JSON reading: hostile input (alias bombs, huge files) fails fast with one line.

PyYAML shares aliased nodes, so a "billion laughs" document composes in linear time but explodes
as soon as anything walks it. We compose first, measure the *expanded* size of the node graph
with memoisation (linear in the text), and refuse before constructing Python objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 100  # levels of nesting; real configs use a handful


class DocumentError(ValueError):
    """A file that cannot be read as a document; the message is one line naming the file."""


class _RecursiveAlias(Exception):
    """An alias that refers to a node containing itself."""


class _TooDeep(Exception):
    """Nesting deeper than MAX_DEPTH (refused the same way whatever the recursion limit)."""


class _DuplicateKey(Exception):
    """A mapping that repeats a key (PyYAML would silently keep the last value)."""

    def __init__(self, key: str, mark: yaml.Mark | None) -> None:
        super().__init__(key)
        self.key, self.mark = key, mark


def _check_unique_keys(node: yaml.MappingNode) -> None:
    seen: set[str] = set()
    for key, _value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if key.value in seen:
                raise _DuplicateKey(key.value, key.start_mark)
            seen.add(key.value)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses flow nesting ('[[[[', '{{{{') past MAX_DEPTH while scanning: the
    scanner's work per token grows with the flow level, so 4,000 brackets took seconds."""

    def fetch_flow_collection_start(self, TokenClass) -> None:  # noqa: N803 - PyYAML's name
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep
        super().fetch_flow_collection_start(TokenClass)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Number of nodes the document would have once aliases are expanded (capped at limit+1)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool, int]] = [(root, False, 0)]
    while stack:
        node, children_done, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _TooDeep
        key = id(node)
        if key in sizes:
            continue
        if not children_done and key in visiting:
            raise _RecursiveAlias
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        if isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        else:  # MappingNode: key and value nodes
            if not children_done:
                _check_unique_keys(node)
            kids = [n for pair in node.value for n in pair]
        if not children_done:
            visiting.add(key)
            stack.append((node, True, depth))
            stack.extend((k, False, depth + 1) for k in kids if id(k) not in sizes)
            continue
        sizes[key] = min(limit + 1, 1 + sum(sizes[id(k)] for k in kids))
    return sizes[id(root)]


def read_document(path: Path) -> Any:
    """Parse a YAML or JSON file into plain Python data, refusing oversized or explosive input."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if size > MAX_FILE_BYTES:
        raise DocumentError(
            f"{path}: file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MiB limit"
        )
    try:
        with path.open("rb") as fh:  # bounded: /dev/zero or a growing file has no honest st_size
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise DocumentError(f"{path}: file is over the {MAX_FILE_BYTES // 2**20} MiB limit")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{path}: cannot read file as UTF-8 text ({exc})") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise DocumentError(f"{path}: JSON nests too deeply") from None
        except ValueError as exc:  # an integer over Python's 4300-digit conversion limit
            raise DocumentError(f"{path}: invalid JSON: {exc}") from None
    return _load_yaml_text(text, path)


def _load_yaml_text(text: str, path: Path) -> Any:
    try:
        loader = _BoundedLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                raise DocumentError(
                    f"{path}: YAML expands to more than {MAX_EXPANDED_NODES:,} nodes "
                    "(alias bomb?); refusing to load it"
                )
            try:
                return loader.construct_document(node)
            except (ValueError, TypeError, LookupError, AttributeError, OverflowError) as exc:
                # PyYAML's constructors raise these: '!!int ', '!!bool x', 2020-13-45, 5000 digits
                detail = f" ({exc})" if isinstance(exc, ValueError) else ""
                raise DocumentError(f"{path}: invalid YAML: a value cannot be read{detail} (a tag such "
                                    "as !!int, a date that does not exist, a huge number); quote it to "
                                    "make it a string") from None
        finally:
            loader.dispose()
    except _DuplicateKey as exc:
        mark = exc.mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        key = exc.key if len(exc.key) <= 40 else exc.key[:37] + "..."
        raise DocumentError(f"{path}: duplicate key '{key}'{where} (keys must be unique)") from None
    except _RecursiveAlias:
        raise DocumentError(f"{path}: YAML has a recursive alias; refusing to load it") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise DocumentError(f"{path}: invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except (RecursionError, _TooDeep):
        raise DocumentError(f"{path}: YAML nests too deeply (more than {MAX_DEPTH} levels)") from None
    except DocumentError:
        raise
    except ValueError as exc:  # PyYAML's scanner: an escape such as "\U00724351" names no character
        raise DocumentError(f"{path}: invalid YAML: a quoted string cannot be read ({exc})") from None
