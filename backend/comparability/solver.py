"""Exact, bounded evaluation of the reference's search: memo over shapes plus branch and bound.

``Solver.plan()`` returns the very candidate sequence that the reference's exhaustive search
(``exhaustive_plan``) picks. At every real step it needs, for each candidate, the cheapest cost
still to come; it gets it from a depth-first branch and bound over *states* (sets of subtree
shapes, see ``_comparability_search``) that keeps two memos: exact costs, and proven lower
bounds for states whose search was cut off by a budget.

The lower bound is admissible because it relaxes the problem: every kept path must be added
node by node, a step costs at least 2, and a step that adds two differently named nodes is a
``B0`` costing 5. For two paths that gives a small dynamic programme (an alignment where a
shared name costs 2 plus its varying parameters, capped at 5, and different names cost 5); the
bound of a state is that alignment for its two longest remaining paths, or twice its height.
Ties are kept exact: after a hit, only strictly better costs are searched for, and the final
pick re-checks each candidate against the optimum with an exact budget.
"""

from __future__ import annotations

from backend.comparability.search import (
    Candidate,
    Forest,
    Frontier,
    _varying_count,
    expand,
)

INF = float("inf")
#: Above this many cells a two-path alignment is not worth its time; the height bound is used.
PAIR_TABLE_CELLS = 4096
#: Small searches finish faster with the plain height bound; alignments start after this.


class Solver:
    """Branch and bound with memoisation over sets of shapes (see the module docstring)."""

    def __init__(self, forest: Forest) -> None:
        self.forest = forest
        self.exact: dict[frozenset, float] = {frozenset(): 0}
        self.lower: dict[frozenset, float] = {}
        self.visits = 0
        f = forest
        self.rep: dict[int, int] = {}
        for node in range(1, len(f.ids)):
            if f.shape[node] >= 0:
                self.rep.setdefault(f.shape[node], node)
        self.paths: list[list[int]] = []
        self.below: list[list[tuple[int, int]]] = [[] for _ in f.ids]
        stack: list[tuple[int, int]] = [(c, 0) for c in f.children[0]]
        trail: list[int] = []
        while stack:  # depth-first; ``trail`` is the current root path
            node, depth = stack.pop()
            del trail[depth:]
            trail.append(node)
            if not f.children[node]:
                pid = len(self.paths)
                self.paths.append(list(trail))
                for d, x in enumerate(trail):
                    self.below[x].append((pid, d))
            stack.extend((c, depth + 1) for c in reversed(f.children[node]))
        self.tables: dict[tuple[int, int], list[list[int]] | None] = {}
        self.height = [0] * len(f.shapes)
        for i, sh in enumerate(f.shapes):  # children are interned before their parents
            self.height[i] = 1 + max((self.height[c] for c in sh[3]), default=0)
        self.heuristic: dict[frozenset, int] = {}
        self.moves: dict[frozenset, list[tuple[int, frozenset]]] = {}

    # -- lower bound -----------------------------------------------------------------------

    def _pair_table(self, pa: int, pb: int) -> list[list[int]] | None:
        """Relaxed cost of finishing leaf paths ``pa`` and ``pb`` from every pair of positions."""
        key = (pa, pb)
        if key in self.tables:
            return self.tables[key]
        a, b = self.paths[pa], self.paths[pb]
        la, lb = len(a), len(b)
        table: list[list[int]] | None = None
        if la * lb <= PAIR_TABLE_CELLS:
            name, params = self.forest.name, self.forest.params
            vary: dict[tuple[int, int], int] = {}
            table = [[2 * ((la - i) + (lb - j)) for j in range(lb + 1)] for i in range(la + 1)]
            for i in range(la - 1, -1, -1):
                row, down = table[i], table[i + 1]
                for j in range(lb - 1, -1, -1):
                    u, v = a[i], b[j]
                    best = 2 + min(down[j], row[j + 1])
                    if u == v:
                        both = 2
                    elif name[u] == name[v]:
                        both = vary.get((u, v), -1)
                        if both < 0:
                            both = vary[u, v] = min(5, 2 + _varying_count([params[u], params[v]]))
                    else:
                        both = 5
                    row[j] = min(best, both + down[j + 1])
        self.tables[key] = table
        return table

    def bound(self, state: frozenset) -> float:
        """An admissible lower bound on the cost still to come from ``state``."""
        if state in self.exact:
            return self.exact[state]
        learned = self.lower.get(state, 0)
        guess = self.heuristic.get(state)
        if guess is None:
            guess = self.heuristic[state] = self._relaxed(state)
        return max(learned, guess)

    def _relaxed(self, state: frozenset) -> int:
        """Twice the height, or the alignment of the two longest remaining paths."""
        height = self.height
        best = 2 * max((height[s] for s in state), default=0)
        if len(state) == 0:
            return best
        paths = self.paths
        heads = [ph for s in state for ph in self.below[self.rep[s]]]
        heads.sort(key=lambda ph: len(paths[ph[0]]) - ph[1], reverse=True)
        top = heads[:2]
        for i in range(len(top)):
            for j in range(i + 1, len(top)):
                (pa, da), (pb, db) = sorted((top[i], top[j]))
                table = self._pair_table(pa, pb)
                if table is not None:
                    best = max(best, table[da][db])
        return best

    # -- exact search ----------------------------------------------------------------------

    def _moves(self, state: frozenset) -> list[tuple[int, frozenset]]:
        """``expand`` on shapes: (added cost, next state) per candidate, best bound first."""
        cached = self.moves.get(state)
        if cached is not None:
            return cached
        shapes = self.forest.shapes
        items = [shapes[s] for s in state]
        advanced = frozenset().union(*(it[3] for it in items))
        if len({it[0] for it in items}) == 1:
            moves = [(2 + _varying_count([it[2] for it in items]), advanced)]
        else:
            moves = [(5, advanced)]
            names = {it[1] for it in items}
            if len(names) <= 3:
                for nm in names:
                    match = [s for s in state if shapes[s][1] == nm]
                    rest = state.difference(match).union(*(shapes[s][3] for s in match))
                    vary = _varying_count([shapes[s][2] for s in match]) if len(match) > 1 else 0
                    moves.append((2 + vary, rest))
            moves.sort(key=lambda m: m[0] + self.bound(m[1]))
        self.moves[state] = moves
        return moves

    def solve(self, state: frozenset, budget: float = INF) -> float:
        """The exact cost to come from ``state`` if it is at most ``budget``; otherwise some
        lower bound above ``budget``. Iterative, so deep trees cannot hit the recursion limit."""
        exact, lower = self.exact, self.lower
        result = 0.0
        # frame: [state, budget, moves or None, next move index, best so far]
        stack: list[list] = [[state, budget, None, 0, INF]]
        while stack:
            fr = stack[-1]
            if fr[2] is None:
                st = fr[0]
                if st in exact:
                    result = exact[st]
                    stack.pop()
                    continue
                lb = self.bound(st)
                if lb > fr[1]:
                    result = lb
                    stack.pop()
                    continue
                self.visits += 1
                fr[2] = self._moves(st)
            else:  # a child search just returned ``result``
                fr[4] = min(fr[4], fr[2][fr[3] - 1][0] + result)
            pushed = False
            while fr[3] < len(fr[2]):
                cost, nxt = fr[2][fr[3]]
                fr[3] += 1
                cap = min(fr[1], fr[4] - 1)  # after a hit, only strictly better helps
                lb = cost + self.bound(nxt)
                if lb > cap or nxt in exact:
                    fr[4] = min(fr[4], lb)
                    continue
                stack.append([nxt, cap - cost, None, 0, INF])
                pushed = True
                break
            if pushed:
                continue
            if fr[4] <= fr[1]:
                exact[fr[0]] = fr[4]
            else:
                lower[fr[0]] = max(lower.get(fr[0], 0), fr[4])
            result = fr[4]
            stack.pop()
        return result

    def state(self, front: Frontier) -> frozenset:
        """The memo key of an ordered frontier."""
        shape = self.forest.shape
        return frozenset(shape[c] for _, rem in front for c in rem)

    def plan(self) -> list[Candidate]:
        """The reference's chosen candidates: at each real step, the last of minimum total."""
        front, chosen = self.forest.start(), []
        while True:
            cands = expand(self.forest, front)
            if not cands:
                return chosen
            keys = [self.state(c.frontier) for c in cands]
            opt = INF
            for cand, key in zip(cands, keys, strict=True):
                opt = min(opt, cand.cost + self.solve(key, opt - cand.cost - 1))
            pick = cands[0]
            for cand, key in zip(reversed(cands), reversed(keys), strict=True):
                if cand.cost + self.solve(key, opt - cand.cost) == opt:
                    pick = cand
                    break
            chosen.append(pick)
            front = pick.frontier
