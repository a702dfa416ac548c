"""P1 overview: server time of the map, scatter and selection callbacks; Chromium time to map.

Baselines are the bare data work of the same size done in the same run: plain dicts with the
same fields, a plain Scattergl of the same arrays, plain set operations.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from backend.experiment.loader import load_experiment
from backend.overview.collapse import auto_collapse, visible
from benchmarks.registry import Result, best_of, workload
from tests.support.forests import synthetic_models_doc


def _forest(n: int, folder: Path):
    path = folder / f"forest{n}.json"
    path.write_text(json.dumps(synthetic_models_doc(n)))
    return load_experiment(path).forest, path


def _bare_elements(forest, positions) -> list[dict]:
    colors = ["#777777"] * len(forest)
    out = [
        {
            "data": {"id": m.id, "color": c, "size": 40.0},
            "position": {"x": positions[m.id][0] * 192.0, "y": positions[m.id][1] * 108.0},
        }
        for m, c in zip(forest, colors, strict=True)
        if m.id in positions
    ]
    out += [
        {"data": {"id": f"e{m.id}", "source": m.base, "target": m.id}}
        for m in forest
        if m.base is not None and m.id in positions and m.base in positions
    ]
    return out


@workload("P1")
def p1_server(quick: bool) -> list[Result]:
    """Map elements (layout included, cold), scatter figure and the selection callbacks."""
    from backend.overview import actions, drawing
    from components.overview import details, model_map, scatter, toolbar

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1_000, 10_000):
            forest, _ = _forest(n, Path(tmp))
            collapsed = auto_collapse(forest)
            drawn = len(visible(forest, collapsed)[0])

            def build(forest=forest, collapsed=collapsed) -> None:
                drawing._layout.cache_clear()
                model_map.map_drawing(forest, "Accuracy", "Model Size", "op", collapsed)

            grid, _ = drawing.drawn_layout(forest, "op", collapsed)
            ours = best_of(build, 3)
            base = best_of(lambda forest=forest, grid=grid: _bare_elements(forest, grid.positions), 3)
            rows.append(
                Result(
                    f"P1 map elements {n:,} models ({drawn:,} drawn), layout included",
                    ours,
                    base,
                    "<= 1 s",
                    ours <= 1.0,
                )
            )
            x = np.array([m.metrics["Latency"] for m in forest])
            y = np.array([m.metrics["Accuracy"] for m in forest])
            ours = best_of(
                lambda forest=forest: scatter.scatter_figure(
                    forest, "Latency", "Accuracy", "Accuracy", "Model Size", []
                ),
                3,
            )
            base = best_of(lambda x=x, y=y: go.Figure(go.Scattergl(x=x, y=y, mode="markers")), 3)
            rows.append(
                Result(
                    f"P1 scatter figure {n:,} models (vs bare Scattergl)", ours, base, "<= 1 s", ours <= 1.0
                )
            )
            sel = forest.ids[:16]

            def select(forest=forest, sel=sel) -> None:
                chosen = actions.next_selection(forest, actions.MAP, sel[:3], [{"id": i} for i in sel])
                scatter.selection_patch(forest, "Latency", "Accuracy", chosen).to_plotly_json()
                details.details(forest, chosen)
                toolbar.compare_links(forest, chosen)

            ours = best_of(select, 5)
            ids = np.array(forest.ids, dtype=object)
            base = best_of(lambda ids=ids, sel=sel: np.isin(ids, sel), 5)
            rows.append(
                Result(
                    f"P1 selection callbacks {n:,} models, 16 selected (vs np.isin)",
                    ours,
                    base,
                    "<= 100 ms",
                    ours <= 0.1,
                )
            )
    return rows


def _chromium_time(url: str, count_js: str, expected: int) -> float:
    from tests.support.chromium import headless_chromium

    drv = headless_chromium()
    try:
        t0 = time.perf_counter()
        drv.get(url)
        deadline = t0 + 120
        while not drv.execute_script(f"return ({count_js}) >= {expected};"):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{url}: not ready in 120 s")
            time.sleep(0.02)
        drv.execute_async_script(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));"
        )
        return time.perf_counter() - t0
    finally:
        drv.quit()


@workload("P1")
def p1_chromium(quick: bool) -> list[Result]:
    """Navigation to a drawn, interactive map in headless Chromium, next to a plain page."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        os.sys.stderr.write("P1 Chromium workloads skipped: chromium/chromedriver not installed\n")
        return []
    from tests.support.servers import gunicorn_app

    rows = []
    cy = "(document.querySelector('#overview-map')?._cyreg?.cy?.nodes().length || 0)"
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1_000,) if quick else (1_000, 10_000):
            forest, path = _forest(n, Path(tmp))
            drawn = len(visible(forest, auto_collapse(forest))[0])
            with gunicorn_app(path, Path(tmp) / f"cache{n}") as url:
                _chromium_time(url + "/", cy, 1)  # warm the server's caches once
                ours = min(_chromium_time(url + "/", cy, drawn) for _ in range(2))
                plain = min(
                    _chromium_time(url + "/layers", "document.querySelectorAll('h2').length", 1)
                    for _ in range(2)
                )
            rows.append(
                Result(
                    f"P1 Chromium navigation -> interactive map, {n:,} models ({drawn:,} drawn)",
                    ours,
                    plain,
                    "<= 5 s",
                    ours <= 5.0,
                )
            )
    return rows
