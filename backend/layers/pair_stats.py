"""Per-pair layer statistics: one model streamed tensor by tensor against a base.

Why its own module: the statistics of a (model, base) pair are what the cache stores and what
every summary is built from; they depend on neither the engine nor the page. ``backend.layers``
re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from backend.layers.channel_match import ChannelMatch, match_channels, matchable
from backend.layers.tensor_stats import FIELDS, N_CHANGE, WEIGHT_BINS, F, FileTensor, read_whole, tensor_stats
from backend.present.bins import Grid, step_ratio

Progress = Callable[[float, float, str], None]  # (done, total, message): every long step reports


def no_progress(_done: float, _total: float, _message: str) -> None:
    """The default Progress: report nothing (tests, benchmarks, cache-only reads)."""
    return None


@dataclass
class Stats:
    """Per-tensor statistics of one model against a base (the base alone for its own column)."""

    names: list[str]
    fields: np.ndarray  # (T, len(FIELDS)) float64
    grids: np.ndarray  # (T, 4) int64: mant, exp, offset, n
    starts: np.ndarray  # (T + 1,) row offsets of each tensor's bins in counts
    counts: np.ndarray  # (sum of n, N_CHANGE) int64
    shapes: list[list]  # per tensor: [model shape or None, base shape or None]
    # per tensor: the structured-pruning match (ChannelMatch.as_record) of a narrower tensor, or None
    structure: list[dict | None] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    _bins: _Bins | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.index = {name: i for i, name in enumerate(self.names)}
        if len(self.structure) != len(self.names):
            self.structure = [None] * len(self.names)

    def grid(self, i: int) -> Grid:
        """The histogram grid of tensor i."""
        return Grid.from_row(self.grids[i])

    def hist(self, i: int) -> np.ndarray:
        """(bins, N_CHANGE) counts of tensor i."""
        return self.counts[self.starts[i]:self.starts[i + 1]]

    def bins(self) -> _Bins:
        """Per-bin lookup arrays (built once), for re-binning many tensors at a time."""
        if self._bins is None:
            self._bins = _Bins(self)
        return self._bins

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in the cache (no pickles: names as a unicode array)."""
        return {"names": np.asarray(self.names, dtype=str) if self.names else np.zeros(0, dtype="<U1"),
                "fields": self.fields, "grids": self.grids, "starts": self.starts, "counts": self.counts}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: dict) -> Stats:
        """Inverse of ``to_arrays`` (+ the shapes and structure kept in the entry's metadata)."""
        return cls([str(n) for n in arrays["names"]], np.asarray(arrays["fields"]),
                   np.asarray(arrays["grids"]), np.asarray(arrays["starts"]),
                   np.asarray(arrays["counts"]), list(meta.get("shapes", [])),
                   list(meta.get("structure") or []))

    @classmethod
    def assemble(cls, names: list[str], results: list, shapes: list[list],
                 structure: list[dict | None] | None = None) -> Stats:
        """Stack per-tensor results (TensorResult) into one Stats."""
        sizes = [r.grid.n for r in results]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        counts = (np.concatenate([r.counts for r in results]) if results
                  else np.zeros((0, N_CHANGE), dtype=np.int64))
        fields = (np.stack([r.fields for r in results]) if results
                  else np.zeros((0, len(FIELDS))))
        grids = (np.asarray([r.grid.as_row() for r in results], dtype=np.int64) if results
                 else np.zeros((0, 4), dtype=np.int64))
        return cls(list(names), fields, grids, starts, counts, shapes, list(structure or []))


class _Bins:
    """For every histogram row of a Stats: its tensor and absolute bin; per tensor its step."""

    def __init__(self, stats: Stats) -> None:
        sizes = stats.grids[:, 3]
        self.tensor = np.repeat(np.arange(len(sizes)), sizes)
        within = np.arange(len(self.tensor)) - stats.starts[self.tensor]
        self.absolute = stats.grids[self.tensor, 2] + within
        keys = [(int(a), int(b)) for a, b in stats.grids[:, :2]]
        self.steps = sorted(set(keys))
        lookup = {s: i for i, s in enumerate(self.steps)}
        self.code = np.asarray([lookup[k] for k in keys], dtype=np.int64)
        totals = np.add.reduceat(stats.counts.sum(axis=1), stats.starts[:-1]) if len(sizes) else np.zeros(0)
        self.nonempty = np.asarray(totals > 0) & (sizes > 0)
        self._ratios: dict[tuple[int, int], np.ndarray] = {}

    def ratios(self, coarse: tuple[int, int]) -> np.ndarray:
        """coarse step / each distinct step (all whole numbers), indexed by step code."""
        if coarse not in self._ratios:
            self._ratios[coarse] = np.asarray([step_ratio(s, coarse) or 1 for s in self.steps],
                                              dtype=np.int64)
        return self._ratios[coarse]


def _shape(a) -> list[int]:
    return [int(s) for s in a.shape]


def self_stats(arrays: Mapping[str, np.ndarray], target: int = WEIGHT_BINS,
               progress: Progress = no_progress) -> Stats:
    """The base's own column: each tensor streamed once, as if compared with itself."""
    names = list(arrays)
    total = sum(int(arrays[n].size) for n in names) or 1
    done, results, shapes = 0, [], []
    for name in names:
        source = FileTensor.of(arrays[name])
        r = tensor_stats(source, None, None, target=target)
        f = r.fields
        for own, base in (("n", "n_base"), ("zeros", "zeros_base"), ("zeros", "zero_both"),
                          ("abs_sum", "abs_sum_base"), ("sq_sum", "sq_sum_base"),
                          ("abs_sum", "abs_sum_cmp"), ("sq_sum", "sq_sum_cmp"),
                          ("abs_sum", "abs_sum_base_cmp"), ("sq_sum", "sq_sum_base_cmp")):
            f[F[base]] = f[F[own]]
        f[F["compared"]] = f[F["n"]] - f[F["nonfinite"]]
        results.append(r)
        shapes.append([_shape(source), _shape(source)])
        done += int(source.size)
        progress(done, total, name)
    return Stats.assemble(names, results, shapes)


def pair_stats(model_arrays: Mapping[str, np.ndarray], base_arrays: Mapping[str, np.ndarray],
               base_self: Stats, target: int = WEIGHT_BINS, progress: Progress = no_progress) -> Stats:
    """One model against the base, tensor by tensor (base order, then the model's new tensors).

    Same shape: elementwise comparison on the base tensor's grid. Narrower on one or two axes
    (structured pruning): the kept channels are matched to the base's by weight similarity
    (``backend.layers.channel_match``), the base cut to them is compared element by element,
    and the match is recorded; the base's totals stay those of the whole base tensor, so the
    parameter delta counts the removed channels. Another shape, or a tensor the base lacks:
    the model's own statistics, values in the NOT_COMPARABLE change bin, with the base's
    totals copied from ``base_self`` so parents still add up.
    """
    names = list(base_arrays) + [n for n in model_arrays if n not in base_arrays]
    total = sum(int(model_arrays[n].size) for n in names if n in model_arrays) or 1
    done, results, shapes, structure = 0, [], [], []
    hints = _Hints()
    for name in names:
        model = FileTensor.of(model_arrays[name]) if name in model_arrays else None
        base = FileTensor.of(base_arrays[name]) if name in base_arrays else None
        bi = base_self.index.get(name)
        grid = base_self.grid(bi) if bi is not None else None
        match = None
        if model is None:
            r = tensor_stats(np.zeros(0, dtype=np.float32), None, grid, target=target)
        elif base is not None and tuple(model.shape) == tuple(base.shape):
            finite = bool(base_self.fields[bi, F["nonfinite"]] == 0) if bi is not None else None
            r = tensor_stats(model, base, grid, base_finite=finite, target=target,
                             base_totals=base_self.fields[bi] if bi is not None else None)
        elif base is not None and matchable(tuple(model.shape), tuple(base.shape)):
            whole_model, whole_base = read_whole(model), read_whole(base)
            match = match_channels(whole_model, whole_base, hints.for_tensor(name, whole_model.shape,
                                                                                whole_base.shape))
            if match is None:
                r = tensor_stats(model, None, grid, alone=True, target=target)
            else:
                r = tensor_stats(whole_model, match.select(whole_base), grid, target=target)
                hints.remember(name, match)
                if bi is not None:  # the whole base tensor: the removed channels count as removed
                    for key in ("n_base", "zeros_base", "abs_sum_base", "sq_sum_base"):
                        r.fields[F[key]] = base_self.fields[bi, F[key]]
                    r.fields[F["zero_base_only"]] = r.fields[F["zeros_base"]] - r.fields[F["zero_both"]]
        else:
            r = tensor_stats(model, None, grid, alone=True, target=target)
        if bi is not None and (model is None or r.fields[F["compared"]] == 0):
            for key in ("n_base", "zeros_base", "abs_sum_base", "sq_sum_base"):
                r.fields[F[key]] = base_self.fields[bi, F[key]]
        results.append(r)
        shapes.append([_shape(model) if model is not None else None,
                       _shape(base) if base is not None else None])
        structure.append(match.as_record() if match is not None else None)
        if model is not None:
            done += int(model.size)
            progress(done, total, name)
    return Stats.assemble(names, results, shapes, structure)


class _Hints:
    """What matched tensors tell the next ones (``channel_match`` says why they help).

    A vector or a weight of the same module shares the module's output channels; a tensor's
    input axis is the last matched output axis of the same widths, or of widths a whole factor
    smaller (a channel-major flatten between a conv and a linear layer).
    """

    def __init__(self) -> None:
        self.module_out: dict[str, np.ndarray] = {}
        self.outputs: list[tuple[int, int, np.ndarray, str]] = []  # (model width, base width, kept, module)

    def remember(self, name: str, match: ChannelMatch) -> None:
        module = name.rpartition(".")[0]
        kept = match.kept.get(0)
        if kept is None:
            return
        self.module_out.setdefault(module, kept)
        self.outputs.append((len(kept), match.base_shape[0], kept, module))

    def for_tensor(self, name: str, model_shape: tuple, base_shape: tuple) -> dict[int, np.ndarray]:
        module = name.rpartition(".")[0]
        out: dict[int, np.ndarray] = {}
        own = self.module_out.get(module)
        if own is not None and len(own) == model_shape[0]:
            out[0] = own
        elif len(model_shape) == 1:
            last = self._last(model_shape[0], base_shape[0], module, same_module=True)
            if last is not None:
                out[0] = last
        if len(model_shape) >= 2 and model_shape[1] != base_shape[1]:
            last = self._last(model_shape[1], base_shape[1], module, same_module=False)
            if last is not None:
                out[1] = last
        return out

    def _last(self, width: int, base_width: int, module: str, same_module: bool) -> np.ndarray | None:
        for m_w, b_w, kept, mod in reversed(self.outputs):
            if not same_module and mod == module:
                continue
            if (m_w, b_w) == (width, base_width):
                return kept
            k, rest = divmod(base_width, b_w)
            if k > 1 and not rest and m_w * k == width:  # flattened: channel c → columns c·k … c·k+k−1
                return (kept[:, None] * k + np.arange(k)[None, :]).reshape(-1)
        return None
