"""P1 first paint: each page, navigation until drawn and the network quiet, against a bare Dash page.

Baseline: ``benchmarks/p1_bare_app.py``, a bare Dash page that loads the same component bundles
(plotly.js, Cytoscape, AG Grid) and draws nothing, served by gunicorn next to ours. Every
contender is loaded in a fresh headless Chromium (cold cache; the warm rows visit once first),
timed by ``benchmarks/p1_browser.py``; the rounds alternate contenders in a rotated order and
each row is the median of its rounds (7; ``--quick``: 3). Goals (ratio to the bare page): the
Overview at 1,000 models <= 1.5 and at 10,000 <= 2; a 16-model selection with its bar charts <= 1.5; Behaviors
(cached predictions) and Layers (cached statistics) <= 2; a second visit (warm browser cache)
<= 1.2. The second visit is also shown against the bare page's own second visit (no goal).

After the rounds, one traced load of each page prints where its time went
(``benchmarks/p1_breakdown.py``; ``CC_P1_BREAKDOWN=0`` skips it, ``CC_P1_TRACE=<folder>``
keeps the traces). ``--peer mlflow`` adds MLflow's runs table and compare view, timed in the
same rounds (``benchmarks/peer_mlflow.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from backend.experiment.forest import ExperimentForest
from backend.experiment.loader import load_experiment
from backend.overview.collapse import auto_collapse, visible
from backend.viewstate.codec import encode_ids
from benchmarks import p1_bare_app, p1_breakdown, p1_browser, p1_demo
from benchmarks.registry import PEERS, Result, workload
from tests.support.forests import synthetic_models_doc
from tests.support.gunicorn import serve

SCATTER = "document.querySelector('#overview-scatter .main-svg .cartesianlayer')"
BARS = "document.querySelectorAll('#overview-compare .main-svg .bars').length > 0"
BARE = "benchmarks.p1_bare_app:create_server()"


def map_drawn(count: int) -> str:
    """The map holds every drawn node and the scatterplot has its axes."""
    return (f"(document.querySelector('#overview-map')?._cyreg?.cy?.nodes().length || 0) >= {count}"
            f" && {SCATTER}")


@dataclass(frozen=True)
class Case:
    """One page to time: its URL, what "drawn" means there, and its goal against the baseline."""

    name: str
    url: str
    drawn_js: str
    goal: float | None
    warm: bool = False
    baseline: str = "bare"  # the key of the case it is divided by


@contextmanager
def _served(config: Path, cache: Path, target: str = "app:create_server()") -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cc-p1-") as folder:
        with serve(config, cache, workers=1, threads=2, log=Path(folder) / "gunicorn.log",
                   target=target) as url:
            yield url


def comparable_selection(forest: ExperimentForest, size: int = 16) -> list[str]:
    """Up to ``size`` models the Compare tab draws bar charts for: the first root's subtree,
    breadth first, keeping each model that leaves the comparison chartable."""
    from backend.overview.compare import compute

    kids: dict[str | None, list[str]] = {}
    for m in forest:
        kids.setdefault(m.base, []).append(m.id)
    chosen: list[str] = []
    frontier = list(kids.get(None, []))[:1]
    while frontier and len(chosen) < size:
        model = frontier.pop(0)
        frontier += kids.get(model, [])
        if len(chosen) < 1 or compute(forest, [*chosen, model], "").chartable:
            chosen.append(model)
    return chosen


def _forest(n: int, folder: Path) -> tuple[Path, int]:
    path = folder / f"forest{n}.json"
    path.write_text(json.dumps(synthetic_models_doc(n)))
    forest = load_experiment(path).forest
    return path, len(visible(forest, auto_collapse(forest))[0])


def _cases(stack: ExitStack, tmp: Path, quick: bool, selection: list[str]) -> list[Case]:
    bare = stack.enter_context(_served(tmp / "none.json", tmp / "bare", BARE))
    cases = [Case("bare", bare + "/", p1_bare_app.DRAWN_JS, None),
             Case("bare-warm", bare + "/", p1_bare_app.DRAWN_JS, None, warm=True)]
    for n in (1_000,) if quick else (1_000, 10_000):
        path, drawn = _forest(n, tmp)
        url = stack.enter_context(_served(path, tmp / f"cache{n}"))
        cases.append(Case(f"Overview {n:,} models" + (f" ({drawn:,} drawn)" if drawn < n else ""), url + "/",
                          map_drawn(drawn), 1.5 if n <= 1_000 else 2.0))
        if n == 1_000:
            sel = comparable_selection(load_experiment(path).forest)
            selection[:] = sel  # the peer compares the same models
            cases.append(Case(f"Overview {n:,}, 16 selected, bar charts",
                              f"{url}/?sel={encode_ids(sel)}&tab=compare", f"{map_drawn(drawn)} && {BARS}",
                              1.5))
            cases.append(Case(f"Overview {n:,}, second visit (warm)", url + "/",
                              map_drawn(drawn), 1.2, warm=True))
    cache = p1_demo.cache_dir()
    p1_demo.prepare(cache)
    demo = stack.enter_context(_served(p1_demo.CONFIG, cache))
    cases.append(Case("Behaviors 3 models, cached predictions", demo + p1_demo.BEHAVIORS_PATH,
                      p1_demo.BEHAVIORS_DRAWN, 2.0))
    cases.append(Case("Layers 3 models, cached statistics", demo + p1_demo.LAYERS_PATH, p1_demo.LAYERS_DRAWN,
                      2.0))
    return cases


def _rounds(cases: list[Case], rounds: int) -> dict[str, list[float]]:
    """Seconds per case, the cases alternating in a rotated order each round."""
    for case in cases:  # once each, untimed: the servers' caches and the OS's page cache
        p1_browser.timed(case.url, case.drawn_js)
    times: dict[str, list[float]] = {c.name: [] for c in cases}
    for r in range(rounds):
        for case in cases[r % len(cases):] + cases[:r % len(cases)]:
            times[case.name].append(p1_browser.timed(case.url, case.drawn_js, warm=case.warm).ready_ms / 1000)
    return times


def _breakdowns(cases: list[Case]) -> None:
    if os.environ.get("CC_P1_BREAKDOWN", "1") == "0":
        return
    for case in cases:
        if case.warm and case.name != "bare-warm":
            continue
        load = p1_browser.timed(case.url, case.drawn_js, warm=case.warm, trace=True)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(case.url))
        print(f"\n-- {case.name}{' (warm)' if case.warm else ''}: {case.url[len(origin):][:90]}")
        print(p1_breakdown.breakdown(load, origin))
        p1_breakdown.save_trace(load, "".join(ch if ch.isalnum() else "-" for ch in case.name)[:60])


def _rows(cases: list[Case], times: dict[str, list[float]]) -> list[Result]:
    med = {name: statistics.median(v) for name, v in times.items() if v}
    rows = []
    for case in cases:
        if case.goal is None:
            continue
        ours, base = med[case.name], med[case.baseline]
        rows.append(Result(f"P1 paint: {case.name}", ours, base, f"ratio <= {case.goal}",
                           ours / base <= case.goal))
        if case.warm:
            rows.append(Result(f"P1 paint: {case.name} vs bare warm", ours, med["bare-warm"],
                               "shown, no goal", True))
    return rows


@workload("P1")
def p1_first_paint(quick: bool) -> list[Result]:
    """Navigation -> drawn and quiet, each page against the bare Dash page, in one run."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        sys.stderr.write("P1 first-paint workloads skipped: chromium/chromedriver not installed\n")
        return []
    with tempfile.TemporaryDirectory(prefix="cc-p1-") as folder, ExitStack() as stack:
        tmp = Path(folder)
        selection: list[str] = []
        cases = _cases(stack, tmp, quick, selection)
        peer_rows: Callable[[dict[str, float]], list[Result]] | None = None
        if "mlflow" in PEERS:
            from benchmarks import peer_mlflow

            peer = peer_mlflow.start(stack, tmp / "forest1000.json", selection)
            if peer is not None:
                cases += peer.cases
                peer_rows = peer.rows
        times = _rounds(cases, 3 if quick else 7)
        for name, values in times.items():  # the spread behind each median, on a shared machine
            print(f"{name:<52} median {statistics.median(values):6.2f} s, "
                  f"{min(values):.2f}–{max(values):.2f} s over {len(values)}")
        _breakdowns(cases)
        rows = _rows(cases, times)
        if peer_rows is not None:
            rows += peer_rows({name: statistics.median(v) for name, v in times.items()})
    return rows
