"""The module tree of the Layers page: dotted names, parents' sums, and the rows to show.

The hierarchy comes from dot-splitting names (spec §2.4): ``a.b`` is a child of ``a``. Nodes are
kept in preorder, so every subtree is one contiguous range ``[i, end[i])``: a parent's sums are
one ``reduceat`` over its range, and the page asks only for the rows it shows (expanded nodes,
or one page of top-level rows), whatever the size of the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PAGE_SIZE = 20


@dataclass(frozen=True)
class Tree:
    """Nodes in preorder; ``data[i]`` says whether node i carries statistics of its own."""

    names: tuple[str, ...]
    parent: np.ndarray
    depth: np.ndarray
    end: np.ndarray  # subtree of i = nodes i .. end[i]-1
    children: tuple[tuple[int, ...], ...]
    data: np.ndarray
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.names)

    @property
    def roots(self) -> list[int]:
        """Top-level nodes, in first-appearance order."""
        return [i for i in range(len(self.names)) if self.parent[i] < 0]

    def label(self, i: int, top: bool) -> str:
        """The full name for a top-level row, else the name relative to the parent (spec §1.10)."""
        p = int(self.parent[i])
        if top or p < 0:
            return self.names[i]
        return self.names[i][len(self.names[p]) + 1:]

    def data_under(self, i: int) -> np.ndarray:
        """Nodes with statistics in the subtree of i (i included)."""
        span = np.arange(i, int(self.end[i]))
        return span[self.data[span]]


def build_tree(names: list[str]) -> Tree:
    """The tree of dotted ``names`` (each becomes a data node), ancestors added as needed."""
    kids: dict[str, list[str]] = {"": []}
    has_data: set[str] = set()
    for name in names:
        has_data.add(name)
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            node = ".".join(parts[:depth])
            if node not in kids:
                kids[node] = []
                kids[".".join(parts[:depth - 1])].append(node)
    order: list[str] = []
    parent: list[int] = []
    depth: list[int] = []
    stack = [(child, -1, 0) for child in reversed(kids[""])]
    while stack:
        node, par, d = stack.pop()
        idx = len(order)
        order.append(node)
        parent.append(par)
        depth.append(d)
        stack.extend((child, idx, d + 1) for child in reversed(kids[node]))
    n = len(order)
    end = np.arange(1, n + 1)
    par_arr = np.asarray(parent, dtype=np.int64)
    for i in range(n - 1, -1, -1):  # children come after parents: one reverse sweep
        if par_arr[i] >= 0:
            end[par_arr[i]] = max(end[par_arr[i]], end[i])
    index = {name: i for i, name in enumerate(order)}
    children = [[] for _ in range(n)]
    for i, p in enumerate(parent):
        if p >= 0:
            children[p].append(i)
    return Tree(tuple(order), par_arr, np.asarray(depth, dtype=np.int64), end,
                tuple(tuple(c) for c in children), np.asarray([o in has_data for o in order]), index)


def subtree_reduce(tree: Tree, rows: np.ndarray, ufunc: np.ufunc, empty: float) -> np.ndarray:
    """``ufunc`` over each node's subtree of per-node ``rows`` (shape (len(tree), k))."""
    n = len(tree)
    if n == 0:
        return rows.copy()
    padded = np.vstack([rows, np.full((1,) + rows.shape[1:], empty)])
    bounds = np.empty(2 * n, dtype=np.int64)
    bounds[0::2] = np.arange(n)
    bounds[1::2] = tree.end
    return ufunc.reduceat(padded, bounds, axis=0)[0::2]


# --- which rows to show --------------------------------------------------------------------
def filtered_tops(tree: Tree, matched: list[bool]) -> list[int]:
    """Matching nodes whose ancestors do not match: each becomes a top-level row (spec §1.10)."""
    tops: list[int] = []
    inside = -1
    for i in range(len(tree)):
        if i < inside:
            continue
        if matched[i]:
            tops.append(i)
            inside = int(tree.end[i])
    return tops


def sort_nodes(candidates: list[int], keys: np.ndarray, descending: bool) -> list[int]:
    """Candidates by key (missing values last), ties in tree order."""
    present = [i for i in candidates if math.isfinite(keys[i])]
    missing = [i for i in candidates if not math.isfinite(keys[i])]
    present.sort(key=lambda i: (-keys[i] if descending else keys[i], i))
    return present + missing


@dataclass(frozen=True)
class Row:
    """One visible row: the node, its indent, whether it is a top-level row."""

    node: int
    indent: int
    top: bool


@dataclass(frozen=True)
class Page:
    """The rows of one page and where it sits among the top-level rows."""

    rows: list[Row]
    first: int  # 1-based index of the first top-level row shown (0 when none)
    last: int
    total: int
    page: int
    pages: int


def page_rows(tree: Tree, tops: list[int], expanded: set[int], page: int,
              page_size: int = PAGE_SIZE) -> Page:
    """Top-level rows of one page, each followed by its expanded descendants."""
    total = len(tops)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    chosen = tops[start:start + page_size]
    rows: list[Row] = []

    def walk(node: int, indent: int, top: bool) -> None:
        rows.append(Row(node, indent, top))
        if node in expanded:
            for child in tree.children[node]:
                walk(child, indent + 1, False)

    for node in chosen:
        walk(node, 0, True)
    return Page(rows, start + 1 if chosen else 0, start + len(chosen), total, page, pages)
