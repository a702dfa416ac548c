"""The compared models on one module tree, as the Layers page reads them (``LayerSummary``).

Why its own module: building per-node sums, sort keys and re-binned histograms from cached
per-pair ``Stats`` is pure array work, separate from streaming and from the cache. Imported
through ``backend.layers``. (Named a summary, not a view: "view" is the URL's state,
``backend.viewstate.layers.LayersView``.)
"""

from __future__ import annotations

import numpy as np

from backend.layers.module_tree import Tree, build_tree, subtree_reduce
from backend.layers.pair_stats import Stats
from backend.layers.pruned_text import axes_badge, count_text, removed_text, signed_pct
from backend.layers.tensor_stats import FIELDS, MAX_FIELD, MIN_FIELD, N_CHANGE, F
from backend.present.bins import EMPTY_GRID, Grid, common_grid

DISPLAY_BINS = 30


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num, dtype=np.float64) / den
    return np.where(den > 0, out, np.nan)


class LayerSummary:
    """The compared models on one tree: per-node sums, sort keys, cells and histograms.

    Parameters: a node's numbers are the sums over the tensors below it (histograms re-binned
    onto one grid and added). Activations: a node shows its own output only, as in the
    reference (a container's output already contains its children's work).
    """

    def __init__(self, source: str, base: str, models: list[str], stats: dict[str, Stats],
                 quantized: dict[str, dict[str, str]] | None = None) -> None:
        self.source, self.base, self.models, self.stats = source, base, models, stats
        # per model: quantized module → how its weights are stored ('int8 (per-tensor, ...)')
        self.quantized = {m: dict((quantized or {}).get(m) or {}) for m in models}
        self._below: dict[str, dict[str, list[str]]] = {}
        self._changes: dict[tuple[str, str], np.ndarray] = {}
        names: list[str] = []
        seen: set[str] = set()
        for s in stats.values():
            for n in s.names:
                if n not in seen:
                    seen.add(n)
                    names.append(n)
        self.tree: Tree = build_tree(names)
        n = len(self.tree)
        self.row_of: dict[str, np.ndarray] = {}
        self.nodes: dict[str, np.ndarray] = {}
        for model, s in stats.items():
            rows = np.full(n, -1, dtype=np.int64)
            own = np.zeros((n, len(FIELDS)))
            own[:, MIN_FIELD], own[:, MAX_FIELD] = np.inf, -np.inf
            for i, name in enumerate(s.names):
                node = self.tree.index[name]
                rows[node] = i
                own[node] = s.fields[i]
            self.row_of[model] = rows
            if source == "parameters":
                sums = subtree_reduce(self.tree, own, np.add, 0.0)
                sums[:, MIN_FIELD] = subtree_reduce(self.tree, own[:, [MIN_FIELD]], np.minimum, np.inf)[:, 0]
                sums[:, MAX_FIELD] = subtree_reduce(self.tree, own[:, [MAX_FIELD]], np.maximum, -np.inf)[:, 0]
            else:
                sums = own
            sums[~np.isfinite(sums[:, MIN_FIELD]), MIN_FIELD] = 0.0
            sums[~np.isfinite(sums[:, MAX_FIELD]), MAX_FIELD] = 0.0
            self.nodes[model] = sums
        base_n = self.nodes[base][:, F["n"]]
        if source == "parameters":
            self.has_data = base_n > 0
            for model in models:
                self.has_data |= self.nodes[model][:, F["n"]] > 0
            self.rankable = np.asarray([bool(c) for c in self.tree.children])  # modules, not tensors
        else:
            self.has_data = self.tree.data.copy()
            self.rankable = self.tree.data.copy()

    # numbers per node -------------------------------------------------------------------------
    def field(self, model: str, name: str) -> np.ndarray:
        """One field of FIELDS for every node."""
        return self.nodes[model][:, F[name]]

    def base_value(self, tensor: str) -> np.ndarray:
        """The base column's sort key: zero fraction, or mean |value| (spec §1.10)."""
        v = self.nodes[self.base]
        if tensor == "sparsity":
            return _safe_div(v[:, F["zeros"]], v[:, F["n"]])
        return _safe_div(v[:, F["abs_sum"]], v[:, F["n"]])

    def change(self, model: str, tensor: str) -> np.ndarray:
        """A model column's sort key and heatmap value, per node (NaN where undefined).

        sparsity: change in the zero fraction (model − base), in [-1, 1];
        weights: Σ|w − w_base| / max(Σ|w|, Σ|w_base|) over compared values, in [0, 2]: the
        share of the layer's L1 mass that moved, independent of the layer's scale;
        activations: ‖a − a_base‖ / max(‖a‖, ‖a_base‖), the relative L2 divergence, in [0, 2].
        """
        memo = self._changes.get((model, tensor))
        if memo is None:
            memo = self._changes[(model, tensor)] = self._change(model, tensor)
        return memo

    def _change(self, model: str, tensor: str) -> np.ndarray:
        if model == self.base:
            return self.base_value(tensor)
        v = self.nodes[model]
        if tensor == "sparsity":
            model_frac = _safe_div(v[:, F["zeros"]], v[:, F["n"]])
            return model_frac - _safe_div(v[:, F["zeros_base"]], v[:, F["n_base"]])
        compared = v[:, F["compared"]] > 0
        if tensor == "weights":
            den = np.maximum(v[:, F["abs_sum_cmp"]], v[:, F["abs_sum_base_cmp"]])
            out = _safe_div(v[:, F["diff_abs_sum"]], den)
            out[compared & (den == 0)] = 0.0  # both all zero: nothing moved
        else:
            den = np.sqrt(np.maximum(v[:, F["sq_sum_cmp"]], v[:, F["sq_sum_base_cmp"]]))
            out = _safe_div(np.sqrt(v[:, F["diff_sq_sum"]]), den)
            out[compared & (den == 0)] = 0.0
        out[~compared] = np.nan
        return out

    def cell(self, model: str, node: int) -> dict[str, float]:
        """Every field of one node for one model, as plain floats."""
        return {name: float(x) for name, x in zip(FIELDS, self.nodes[model][node], strict=True)}

    def shapes(self, model: str, node: int) -> tuple[list | None, list | None] | None:
        """(model shape, base shape) of a tensor node, None for a module."""
        row = self.row_of[model][node]
        if row < 0 or self.tree.children[node]:
            return None
        pair = self.stats[model].shapes[row] if row < len(self.stats[model].shapes) else [None, None]
        return pair[0], pair[1]

    def not_comparable(self, model: str, node: int) -> int:
        """Values of the node that could not be compared with the base (shape or absence)."""
        v = self.nodes[model][node]
        return int(v[F["n"]] - v[F["compared"]] - v[F["nonfinite"]])

    def quantized_at(self, model: str, node: int) -> tuple[str, str] | None:
        """(badge, hover text) when ``model`` stores this node's weights quantized, else None.

        A quantized module and its weight tensor get the storage type ('int8'); a module above
        quantized ones gets 'int8 ×k'. The bias of a quantized Linear stays float: no badge.
        """
        quantized = self.quantized.get(model)
        if not quantized:
            return None
        name = self.tree.names[node]
        own = quantized.get(name if name in quantized else name.removesuffix(".weight"))
        if own:
            return own.split(" ")[0], f"{model} stores {name} as {own}"
        below = self._quantized_below(model).get(name)
        if not below:
            return None
        kinds = {quantized[m].split(" ")[0] for m in below}
        label = kinds.pop() if len(kinds) == 1 else "quantized"
        shown = ", ".join(below[:5]) + (f", … ({len(below) - 5} more)" if len(below) > 5 else "")
        noun = "module" if len(below) == 1 else "modules"
        return f"{label} ×{len(below)}", f"{model}: {len(below)} quantized {noun} below {name}: {shown}"

    def _quantized_below(self, model: str) -> dict[str, list[str]]:
        """Per ancestor name, the quantized modules under it (built once per model)."""
        memo = self._below.get(model)
        if memo is None:
            memo = self._below[model] = {}
            for module in self.quantized.get(model, {}):
                parts = module.split(".")
                for depth in range(1, len(parts)):
                    memo.setdefault(".".join(parts[:depth]), []).append(module)
        return memo

    def structure_at(self, model: str, node: int) -> tuple[str, str] | None:
        """(badge, hover text) where ``model`` lost whole channels of this node, else None.

        A tensor: its removed channels per axis ('−4/16 out'). A module: its weight's badge and
        the parameter and FLOP change (a conv or linear layer's multiply-adds scale with its
        weight count when the spatial size stays, as it does under channel pruning). A container
        above pruned tensors: 'pruned ×k' and the parameter change below it.
        """
        if model == self.base:
            return None
        s, rows = self.stats[model], self.row_of[model]
        under = [int(r) for r in rows[self.tree.data_under(node)] if r >= 0 and s.structure[r]]
        if not under:
            return None
        name = self.tree.names[node]
        v = self.nodes[model][node]
        params = f"parameters {count_text(v[F['n_base']])} → {count_text(v[F['n']])} " \
                 f"({signed_pct(v[F['n']], v[F['n_base']])})"
        tensor = s.names[under[0]]
        if len(under) == 1 and tensor == name:
            rec = s.structure[under[0]]
            return axes_badge(self.source, rec), f"{model}: {removed_text(self.source, name, rec)}"
        weights = [r for r in under if len(s.shapes[r][0] or []) >= 2]
        if len(weights) <= 1 and all(s.names[r].rpartition(".")[0] == name for r in under):
            w = weights[0] if weights else under[0]
            rec = s.structure[w]
            text = f"{model}: {removed_text(self.source, s.names[w], rec)}; {params}"
            if weights:
                ms, bs = s.shapes[w]
                text += (f"; FLOPs {signed_pct(float(np.prod(ms)), float(np.prod(bs)))} (multiply-adds "
                         "scale with the kept weights at the same spatial size)")
            return axes_badge(self.source, rec), text
        modules = sorted({s.names[r].rpartition(".")[0] or s.names[r] for r in under})
        shown = ", ".join(modules[:5]) + (f", … ({len(modules) - 5} more)" if len(modules) > 5 else "")
        return f"pruned ×{len(modules)}", f"{model}: channels removed in {shown}; {params}"

    # histograms -----------------------------------------------------------------------------
    def _tensor_rows(self, model: str, node: int) -> np.ndarray:
        rows = self.row_of[model]
        picked = rows[self.tree.data_under(node)] if self.source == "parameters" else rows[[node]]
        picked = picked[picked >= 0]
        return picked[self.stats[model].bins().nonempty[picked]]

    def histograms(self, node: int, models: list[str] | None = None,
                   max_bins: int = DISPLAY_BINS) -> tuple[Grid, dict[str, np.ndarray]]:
        """Counts (bins × N_CHANGE) of every model for one node, on one shared grid.

        Vectorised over tensors: a container with thousands of tensors costs a few array
        operations per model, not one re-binning per tensor.
        """
        models = models or self.models
        parts = {m: self._tensor_rows(m, node) for m in models}
        grids = np.concatenate([self.stats[m].grids[parts[m]] for m in models])
        if grids.shape[0] == 0:
            return EMPTY_GRID, {m: np.zeros((1, N_CHANGE), dtype=np.int64) for m in models}
        grid = common_grid(grids, max_bins)
        out = {}
        for m in models:
            s, rows = self.stats[m], parts[m]
            total = np.zeros((grid.n, N_CHANGE), dtype=np.int64)
            if rows.size:
                b = s.bins()
                mask = np.isin(b.tensor, rows)
                k = b.ratios(grid.key)[b.code[b.tensor[mask]]]
                np.add.at(total, b.absolute[mask] // k - grid.offset, s.counts[mask])
            out[m] = total
        return grid, out

    def distributions(self, node: int, max_bins: int = 40) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Edges and the fraction of values per bin of every model (change bins summed)."""
        grid, hists = self.histograms(node, max_bins=max_bins)
        fractions = {}
        for m, counts in hists.items():
            col = counts.sum(axis=1).astype(np.float64)
            total = col.sum()
            fractions[m] = col / total if total else col
        return grid.edges(), fractions

    # heatmap --------------------------------------------------------------------------------
    def heatmap(self, tensor: str, nodes: list[int]) -> np.ndarray:
        """(len(nodes), models except the base) values of ``change``, NaN where undefined."""
        others = [m for m in self.models if m != self.base]
        if not nodes or not others:
            return np.zeros((len(nodes), len(others)))
        return np.stack([self.change(m, tensor)[nodes] for m in others], axis=1)


