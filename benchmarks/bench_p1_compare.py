"""P1 Compare tab: the server work of one render (engine, simplification, figures, menu, table).

At 10,000 models with 16 selected: a model and its 15 nearest descendants (breadth first), the
first such family whose comparison is chartable and also offers the refinement menu, so every
part of the tab is built. The baseline builds the same bar dicts and table rows from values
computed beforehand: what is left once the comparability engine and the builders cost nothing.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from backend.comparability import format_value
from backend.experiment.loader import load_experiment
from backend.viewstate.refine import encode_refinement
from benchmarks.registry import Result, best_of, workload
from tests.support.forests import synthetic_models_doc

N_MODELS = 10_000
SELECTED = 16


def _family(forest, compute) -> list[str]:
    """The first model (below a root) whose 15 nearest descendants chart with the menu shown."""
    for mid in forest.ids:
        if forest.depth(mid) < 1:
            continue
        below = sorted(forest.descendants(mid), key=forest.depth)
        if len(below) < SELECTED - 1:
            continue
        selection = [mid, *below[: SELECTED - 1]]
        comparison = compute(forest, selection, "")
        if comparison.chartable and comparison.has_menu:
            return selection
    raise RuntimeError("no chartable family of 16 in the synthetic forest")


def _bare(ids: list[str], values: dict[str, list[float]], cells: list[list[str]]) -> list:
    """The same number of bar dicts and table rows, from precomputed values."""
    figures = [{"data": [{"type": "bar", "x": list(range(len(ids))), "y": ys, "customdata": ids}],
                "layout": {"barmode": "group"}} for ys in values.values()]
    return [figures, [list(row) for row in cells]]


@workload("P1")
def p1_compare(quick: bool) -> list[Result]:
    """Compare-tab render at 10,000 models, 16 selected; also with a refinement chip applied."""
    from backend.overview import compare as engine
    from components.overview import compare_tab as cmp
    repeat = 3 if quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "forest.json"
        path.write_text(json.dumps(synthetic_models_doc(N_MODELS)))
        forest = load_experiment(path, cache_dir=Path(tmp) / "cache").forest
        selection = _family(forest, engine.compute)
        plain = engine.compute(forest, selection, "")
        raw = plain.raw
        refinement = encode_refinement({0: [format_value(raw.distinct_values(0)[0])]})

        def render(text: str = "") -> None:
            cmp.compare_body(forest, engine.compute(forest, selection, text))

        def cold() -> None:
            engine._records.cache_clear()
            render()

        metrics = [m.name for m in forest.primary_metrics]
        values = {m: [forest[i].metrics.get(m) for i in selection] for m in metrics}
        cells = [[i, *(format_value(v) for v in vals)] for i, vals in plain.simplified.rows]
        base = best_of(lambda: _bare(selection, values, cells), repeat)
        rows = []
        for name, fn in (
            (f"P1 compare tab {N_MODELS:,} models, {SELECTED} selected (vs bare bar dicts)", render),
            (f"P1 compare tab {N_MODELS:,} models, refined by a chip (re-run engine)",
             lambda: render(refinement)),
            (f"P1 compare tab {N_MODELS:,} models, first request (records cold)", cold),
        ):
            ours = best_of(fn, repeat)
            rows.append(Result(name, ours, base, "<= 100 ms", ours <= 0.1))
    return rows
