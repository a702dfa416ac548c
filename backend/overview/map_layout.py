"""The Model Map layout (spec §4): columns by operation or by step, git-graph rows.

Same result as the reference (``map_layout.ts`` with ``ModelMap.svelte``'s ``sortByOperation``),
in near-linear time instead of quadratic or worse:

* Columns: the reference adds root-to-leaf paths one at a time, longest first. The nodes already
  placed are always a prefix of the next path, so only the new suffix is walked. A node reuses
  the first column of its type right of its placed predecessor, else a column is inserted there.
  Column order is kept with gapped integer labels, so an insertion costs O(log C), not O(C).
* Rows: the reference re-lists and re-sorts a subtree's leaf paths at every node of every path,
  yet only uses, per node, the order in which its children first appear and each child's first
  path. Both are computed once: each node's first path bottom-up, its children sorted once.

``sortByOperation`` skips positions whose operations differ, so it is not always transitive,
and then the reference's rows are whatever its sort happens to do with the paths. While that is
cheap (up to several hundred models, see ``EXACT_COMPARISONS``) the reference's sorts are
replayed exactly, once per branching node, with the same algorithm (TimSort in both CPython and
V8), so even those artefacts match. Larger maps pick minima under the same comparator in
near-linear time: identical whenever the comparator is a proper order, and otherwise a valid
reading of spec §4.3.

Models whose ``base`` names no model are roots (the reference would fail); models caught in a
``base`` cycle get no position.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from backend.overview.js_semantics import UNDEFINED, get, js_order, utf16

_GAP = 1 << 32
#: The reference's sorts are replayed exactly (``_ExactRows``) while they need at most about
#: this many comparisons (~0.1 s); larger maps use the near-linear ``_Rows``.
EXACT_COMPARISONS = 30_000


@dataclass(frozen=True)
class MapLayout:
    """Column labels ("Base", operation names or "Step k") and each model's (column, row)."""

    columns: list[str]
    positions: dict[str, tuple[int, int]]


class _Forest:
    """Trees without a super-root, children in model-list order, reachable nodes only."""

    def __init__(self, models: Sequence[Any]) -> None:
        try:  # plain dicts, the common case, without per-model isinstance checks
            rows = [(m["id"], m.get("base"), m.get("operation")) for m in models]
        except (TypeError, KeyError, AttributeError):
            rows = [(get(m, "id"), get(m, "base"), get(m, "operation")) for m in models]
        index: dict[Any, int] = {}
        for mid, _, _ in rows:
            index.setdefault(mid, len(index))
        n = len(index)
        self.ids = list(index)
        self.has_op = [False] * n
        self.name: list[Any] = [None] * n
        self.params: list[Mapping] = [{}] * n
        self.parent = [-1] * n
        self.children: list[list[int]] = [[] for _ in range(n)]
        seen = [False] * n
        for mid, base, op in rows:
            i = index[mid]
            if seen[i]:
                continue
            seen[i] = True
            if op is not None:  # JavaScript: any operation object, even an empty one
                self.has_op[i] = True
                self.name[i] = get(op, "name")
                self.params[i] = get(op, "parameters") or {}
            p = index.get(base, -1) if base is not None else -1
            self.parent[i] = p
            if p >= 0:
                self.children[p].append(i)
        # Column type: the operation name, "" counting as none (the reference's ``|| null``).
        self.edge = [nm if nm else None for nm in self.name]
        self.roots = [i for i in range(n) if self.parent[i] < 0]
        self.depth = [0] * n
        self.preorder: list[int] = []
        stack = list(reversed(self.roots))
        while stack:
            v = stack.pop()
            self.preorder.append(v)
            kids = self.children[v]
            if kids:
                d = self.depth[v] + 1
                for c in kids:
                    self.depth[c] = d
                stack.extend(reversed(kids))
        self.leaves = [v for v in self.preorder if not self.children[v]]
        self._items: dict[int, list[tuple[str, Any]]] = {}

    def items(self, v: int) -> list[tuple[str, Any]]:
        """Parameters in the reference's ``Object.keys(...).sort()`` order."""
        out = self._items.get(v)
        if out is None:
            out = self._items[v] = sorted(self.params[v].items(), key=lambda kv: utf16(kv[0]))
        return out

    def path_rank(self) -> list[int]:
        """Rank of every node's root path in the lexicographic order of edge-type sequences."""
        kinds = sorted({e or "" for e in self.edge}, key=utf16)
        code = {k: i for i, k in enumerate(kinds)}
        trie: dict[tuple[int, int], int] = {}
        tnode = [0] * len(self.ids)
        kids: list[list[tuple[int, int]]] = [[]]
        for v in self.preorder:
            key = (tnode[self.parent[v]] if self.parent[v] >= 0 else 0, code[self.edge[v] or ""])
            t = trie.get(key)
            if t is None:
                t = trie[key] = len(kids)
                kids.append([])
                kids[key[0]].append((key[1], t))
            tnode[v] = t
        rank = [0] * len(kids)
        stack, counter = [0], 0
        while stack:
            t = stack.pop()
            rank[t] = counter
            counter += 1
            stack.extend(c for _, c in sorted(kids[t], reverse=True))
        return [rank[tnode[v]] for v in range(len(self.ids))]


def _operation_columns(f: _Forest, leaf_order: list[int]) -> tuple[list[str | None], list[int]]:
    """Aligned-path columns (spec §4.2): each column's edge type, and each node's column."""
    label: list[int] = []  # column id -> order label (gapped, so inserts rarely relabel)
    after: list[int] = []  # column id -> next column id in order, -1 at the end
    kind: list[str | None] = []
    first = -1  # leftmost column id
    by_kind: dict[str | None, list[int]] = {}  # column ids of one type, left to right
    slot = [-1] * len(f.ids)

    def relabel() -> None:
        c, k = first, 1
        while c >= 0:
            label[c] = k * _GAP
            c, k = after[c], k + 1

    def insert_after(prev: int, edge: str | None) -> int:
        nonlocal first
        cid = len(label)
        nxt = after[prev] if prev >= 0 else first
        lo = label[prev] if prev >= 0 else 0
        hi = label[nxt] if nxt >= 0 else lo + 2 * _GAP
        if hi - lo < 2:
            relabel()
            lo = label[prev] if prev >= 0 else 0
            hi = label[nxt] if nxt >= 0 else lo + 2 * _GAP
        label.append((lo + hi) // 2)
        after.append(nxt)
        kind.append(edge)
        if prev >= 0:
            after[prev] = cid
        else:
            first = cid
        group = by_kind.setdefault(edge, [])
        group.insert(bisect_right(group, label[cid], key=label.__getitem__), cid)
        return cid

    edge, parent = f.edge, f.parent
    for leaf in leaf_order:
        suffix = []
        v = leaf
        while v >= 0 and slot[v] < 0:
            suffix.append(v)
            v = parent[v]
        last = slot[v] if v >= 0 else -1  # the nearest placed predecessor's column
        pending = []
        for node in reversed(suffix):  # reuse pass: first column of the type to the right
            group = by_kind.get(edge[node], ())
            floor = label[last] if last >= 0 else -1
            k = bisect_right(group, floor, key=label.__getitem__)
            if k < len(group):
                slot[node] = last = group[k]
            else:
                pending.append(node)
        for node in pending:  # insert pass: a new column right after the predecessor's
            p = parent[node]
            while p >= 0 and slot[p] < 0:
                p = parent[p]
            slot[node] = insert_after(slot[p] if p >= 0 else -1, edge[node])
    position = [0] * len(label)
    c, k = first, 0
    while c >= 0:
        position[c] = k
        c, k = after[c], k + 1
    ordered = sorted(range(len(label)), key=position.__getitem__)
    return [kind[c] for c in ordered], [position[s] if s >= 0 else -1 for s in slot]


class _Rows:
    """The git-graph rows of spec §4.3, near-linear: each node's first path is computed once
    bottom-up and its children are sorted once (the reference re-sorts at every visit)."""

    def __init__(self, f: _Forest, col: list[int], rank: list[int]) -> None:
        self.f, self.col, self.rank = f, col, rank
        pre = [0] * len(f.ids)
        for i, v in enumerate(f.preorder):
            pre[v] = i
        # Ties keep the reference's initial order: preorder in a subtree, list order at the top.
        self.pre = self._best(pre)
        self.top = self._best(list(range(len(f.ids))))

    def _op_cmp(self, a: int, b: int) -> int | None:
        """One position of ``sortByOperation``: 0 stops it, None moves on to the next."""
        f = self.f
        if not f.has_op[a] and not f.has_op[b]:
            return 0
        if not (f.has_op[a] and f.has_op[b]) or f.name[a] != f.name[b]:
            return None
        pb = f.params[b]
        for k, va in f.items(a):
            r = js_order(va, pb.get(k, UNDEFINED))
            if r:
                return r
        return None

    def _cmp(self, v: int | None, a: int, b: int, best: tuple) -> int:
        """The comparator on ``[v, a, ...]`` and ``[v, b, ...]`` (on ``[a, ...]``, ``[b, ...]``
        for two roots when ``v`` is None), each path continued along its first path."""
        nxt, plen, leaf, tie = best
        x, y = a, b
        if v is not None:  # sortByOperation only compares paths from the same node
            while x >= 0 and y >= 0:
                r = self._op_cmp(x, y)
                if r is not None:
                    if r:
                        return r
                    break
                x, y = nxt[x], nxt[y]
        x, y = a, b
        col = self.col
        while x >= 0 and y >= 0:  # the node in the later column comes first
            if col[x] != col[y]:
                return col[y] - col[x]
            x, y = nxt[x], nxt[y]
        if plen[a] != plen[b]:  # then the longer path
            return plen[b] - plen[a]
        la, lb = leaf[a], leaf[b]
        return (self.rank[la] - self.rank[lb]) or (tie[la] - tie[lb])

    def _best(self, tie: list[int]) -> tuple:
        """Each node's first leaf path in sorted order, as next-node pointers, bottom-up."""
        f = self.f
        n = len(f.ids)
        nxt, plen, leaf = [-1] * n, [1] * n, list(range(n))
        best = (nxt, plen, leaf, tie)
        for v in reversed(f.preorder):
            kids = f.children[v]
            if kids:
                b = kids[0]
                for c in kids[1:]:
                    if self._cmp(v, c, b, best) < 0:
                        b = c
                nxt[v], plen[v], leaf[v] = b, plen[b] + 1, leaf[b]
        return best

    @staticmethod
    def _follow(v: int, nxt: list[int]) -> list[int]:
        out = []
        while v >= 0:
            out.append(v)
            v = nxt[v]
        return out

    def trunks(self) -> list[list[int]]:
        """Each tree's first path, trees in the order of their first path."""
        roots = sorted(self.f.roots, key=cmp_to_key(lambda a, b: self._cmp(None, a, b, self.top)))
        return [self._follow(r, self.top[0]) for r in roots]

    def branches(self, v: int) -> list[int]:
        """The children of a branching node in the order their first paths appear."""
        return sorted(self.f.children[v], key=cmp_to_key(
            lambda a, b: self._cmp(v, a, b, self.pre)))

    def branch(self, v: int, c: int) -> list[int]:
        """The first path of the branch through ``c``, from ``c`` down."""
        return self._follow(c, self.pre[0])

    def rows(self) -> dict[int, int]:
        """Trunk first; then, from the leaf end back to the root, each branch on the next row,
        recursively. Nodes off the trunk are only ever placed by their parent's loop."""
        children, row_of = self.f.children, {}
        row = 0
        for trunk in self.trunks():
            for v in trunk:
                row_of[v] = row
            cur = row
            stack = [[trunk, len(trunk) - 1, None, 0]]  # path, node index, to do, lowest index
            while stack:
                fr = stack[-1]
                path, i, todo, lo = fr
                if i < lo:
                    stack.pop()
                    continue
                v = path[i]
                if todo is None:
                    todo = [] if len(children[v]) < 2 else self.branches(v)
                    fr[2] = todo = [c for c in reversed(todo) if c not in row_of]
                if not todo:
                    fr[1], fr[2] = i - 1, None
                    continue
                branch = self.branch(v, todo.pop())
                cur += 1
                for u in branch:
                    row_of[u] = cur
                stack.append([[v, *branch], len(branch), None, 1])
            row = cur + 1
        return row_of


class _ExactRows(_Rows):
    """The reference's sorts replayed exactly: TimSort in CPython and V8 meets the same
    comparator results in the same order, so even its non-transitive cases come out the same.
    Each branching node sorts its subtree's leaf paths once (the reference: at every visit)."""

    def __init__(self, f: _Forest, col: list[int], rank: list[int]) -> None:
        self.f, self.col, self.rank = f, col, rank
        self.root_path: dict[int, tuple[int, ...]] = {}
        self.below: dict[int, list[int]] = {}  # branching node -> leaves under it, preorder
        self.first: dict[int, dict[int, int]] = {}  # branching node -> child -> first leaf
        trail: list[int] = []
        for v in f.preorder:
            del trail[f.depth[v]:]
            trail.append(v)
            if not f.children[v]:
                self.root_path[v] = tuple(trail)
                for u in trail:
                    if len(f.children[u]) > 1:
                        self.below.setdefault(u, []).append(v)

    def _sorted(self, leaves: list[int], start: int) -> list[int]:
        """``listPaths`` order, then ``sortFn``, for the paths from depth ``start`` (-1: whole
        root paths of every tree)."""
        f, col, rp, rank = self.f, self.col, self.root_path, self.rank
        first = max(start, 0)

        def cmp(x: int, y: int) -> int:
            a, b = rp[x], rp[y]
            m = min(len(a), len(b))
            if a[first] == b[first]:  # sortByOperation
                for i in range(first + 1, m):
                    if a[i] != b[i]:
                        r = self._op_cmp(a[i], b[i])
                        if r is not None:
                            if r:
                                return r
                            break
            for i in range(first, m):
                if col[a[i]] != col[b[i]]:
                    return col[b[i]] - col[a[i]]
            return len(b) - len(a)

        leaves = sorted(leaves, key=lambda v: (-f.depth[v], rank[v]))
        return sorted(leaves, key=cmp_to_key(cmp))

    def trunks(self) -> list[list[int]]:
        first: dict[int, int] = {}
        for leaf in self._sorted(sorted(self.root_path), -1):  # the top starts in list order
            first.setdefault(self.root_path[leaf][0], leaf)
        return [list(self.root_path[leaf]) for leaf in first.values()]

    def branches(self, v: int) -> list[int]:
        d = self.f.depth[v]
        first = self.first[v] = {}
        for leaf in self._sorted(self.below[v], d):
            first.setdefault(self.root_path[leaf][d + 1], leaf)
        return list(first)

    def branch(self, v: int, c: int) -> list[int]:
        return list(self.root_path[self.first[v][c]][self.f.depth[v] + 1:])


def _sort_work(f: _Forest) -> float:
    """About how many comparisons the reference's sorts need: k·log2(k) per branching node with
    k leaves below it, plus the top-level sort of every leaf path."""
    leaves = [0] * len(f.ids)
    work = 0.0
    for v in reversed(f.preorder):
        kids = f.children[v]
        leaves[v] = sum(leaves[c] for c in kids) if kids else 1
        if len(kids) > 1:
            work += leaves[v] * math.log2(leaves[v])
    total = len(f.leaves)
    return work + (total * math.log2(total) if total > 1 else 0)


def layout(models: Sequence[Mapping[str, Any]], mode: str = "operation", *,
           exact: bool | None = None) -> MapLayout:
    """Grid positions of every model: ``mode`` is "operation" (default) or "step".

    Columns by operation repeat an operation's column when a path needs it twice in order
    (two "train" columns); by step they are "Base", "Step 1", ... Rows stack each tree's trunk
    first and its branches below, nearest the leaf first, like a git graph. ``exact`` forces
    (True) or forbids (False) replaying the reference's sorts; by default they are replayed
    when that is cheap, which is every map of up to several hundred models.
    """
    if mode not in ("operation", "step"):
        raise ValueError(f"unknown layout mode {mode!r} (expected 'operation' or 'step')")
    f = _Forest(models)
    if exact is None:
        exact = _sort_work(f) <= EXACT_COMPARISONS
    rank = f.path_rank()
    if mode == "step":
        col = f.depth
        steps = max((f.depth[v] for v in f.leaves), default=-1)
        columns = [("Base" if i == 0 else f"Step {i}") for i in range(steps + 1)]
    else:
        leaves = sorted(f.leaves, key=lambda v: (-f.depth[v], rank[v], v))
        kinds, col = _operation_columns(f, leaves)
        columns = [k or "Base" for k in kinds]
    rows = (_ExactRows if exact else _Rows)(f, col, rank).rows()
    return MapLayout(columns, {f.ids[v]: (col[v], r) for v, r in rows.items()})
