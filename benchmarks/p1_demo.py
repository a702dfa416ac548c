"""The embedded demo with cached predictions and layer statistics, for P1's detail-page rows.

Why: the goal for Behaviors and Layers is their first paint when the results are already on
disk (a job's progress is P3's business, not first paint). The demo is built the way a user
builds it (``app.py --build-only``, about a minute the first time, seconds after that) and the
compared models' results are computed once, in this process, before any page is timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "demo.yaml"
BEHAVIORS = ("cnn", "cnn-gprune95-ft", "cnn-iter98-ft")
LAYERS = ("cnn", "cnn-gprune98", "cnn-gprune98-restore-fc1-ft")
# as the pages write them into the address bar (a bookmark)
BEHAVIORS_PATH = "/behaviors?" + urlencode({"models": ",".join(BEHAVIORS), "base": BEHAVIORS[0],
                                           "comparison": "Correctness"})
LAYERS_PATH = "/layers?" + urlencode({"models": ",".join(LAYERS), "base": LAYERS[0]})
# drawn: the grid's rows (with their data) and the histograms; the module tree's rows (the
# tree, the default view, has no chart)
BEHAVIORS_DRAWN = ("document.querySelectorAll('.bh-grid .bh-item').length > 0"
                   " && document.querySelector('.bh-hist .main-svg .cartesianlayer')")
LAYERS_DRAWN = "document.querySelectorAll('#layers-tree .cc-ly-row').length > 0"


def cache_dir() -> Path:
    """Where the demo lives: ``CC_CACHE_DIR`` or the repository's ``.cache`` (as ``python app.py``)."""
    return Path(os.environ.get("CC_CACHE_DIR") or REPO / ".cache")


def prepare(cache: Path) -> None:
    """Build the demo if needed, then cache the compared models' predictions and layer statistics."""
    subprocess.run([sys.executable, str(REPO / "app.py"), "--build-only", "--cache-dir", str(cache)],
                   check=True, capture_output=True, text=True, cwd=REPO, timeout=1800)
    from backend import layers
    from backend.experiment.loader import load_experiment
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache

    exp = load_experiment(CONFIG, cache_dir=cache, build=False)
    spec = exp.inspector
    engine = Engine(exp.forest, make_inspector(spec, exp.config_path.parent, exp.cache_dir),
                    ResultCache(exp.cache_dir / "results"), spec.activation_sample, spec.activation_seed)
    for model in BEHAVIORS:
        engine.predictions(model)
    layers.compute(engine, list(LAYERS), LAYERS[0], "sparsity")
