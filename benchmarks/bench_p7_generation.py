"""P7: generated answers through the engine vs a plain ``model.generate`` loop on the same model.

The text demo's base T5 (built into ``.cache`` on first use) answers its evaluation questions.
Contenders, alternating round by round (``bench_p3_inference._alternating``):

- the engine, cold: a fresh ``Engine`` asked for a model it has never seen (its own copy of
  the checkpoint folder), so it pays the fingerprint, hashing the folder, loading the model
  and tokenizer, every batch of generation, scoring F1/EM and the atomic cache write;
- the plain loop a user writes: ``from_pretrained`` (model and tokenizer), the same prompts
  in the same batches, ``generate`` with the same settings, ``batch_decode``.

Goal: ratio ≤ 1.10 (the engine adds scoring and persistence; they must stay small beside
generation). Warm: the cached answers read back, ≥ 50× faster than the engine's cold run.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.bench_p3_inference import _alternating
from benchmarks.registry import Result, best_of, workload

GOAL = 1.10


def _plain_loop(folder: Path, prompts: list[str], batch: int, max_new_tokens: int) -> list[str]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder, local_files_only=True).eval()
    out: list[str] = []
    with torch.inference_mode():
        for start in range(0, len(prompts), batch):
            enc = tok(prompts[start:start + batch], return_tensors="pt", padding=True, truncation=True,
                      max_length=512)
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tok.pad_token_id)
            out += [t.strip() for t in tok.batch_decode(ids, skip_special_tokens=True)]
    return out


@workload("P7")
def p7_generation(quick: bool) -> list[Result]:
    """The text demo's base T5 on its evaluation questions: engine cold vs plain generate loop."""
    import transformers

    from backend.experiment.forest import ExperimentForest, Model
    from backend.experiment.loader import load_experiment
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache

    transformers.utils.logging.disable_progress_bar()  # as in the engine: no bar in either contender
    root_dir = Path(__file__).resolve().parents[1]
    exp = load_experiment(root_dir / "configs" / "demo-text.yaml", default_cache_dir=root_dir / ".cache")
    base = exp.forest[exp.forest.roots[0]]
    inspector = make_inspector(exp.inspector, exp.config_path.parent, exp.cache_dir)
    rows = np.arange(len(inspector.dataset()))
    if quick:
        rows = rows[:128]
    prompts = inspector.prompts(rows)
    batch, steps = inspector.batch_size, inspector.max_new_tokens
    rounds = 3 if quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models = {}
        for mid in [f"m{r}" for r in range(rounds)] + ["warm"]:
            shutil.copytree(base.checkpoint, root / "ckpt" / mid)
            models[mid] = Model(mid, None, None, None, {}, root / "ckpt" / mid)
        forest = ExperimentForest("p7", models, {}, [])
        if quick:  # a subset of the questions: the inspector reads only these rows
            inspector.items = [inspector.items[i] for i in rows.tolist()]
        cache = ResultCache(root / "cache")
        cache.put_value("opened", True)

        def engine_run(r: int):
            engine = Engine(forest, inspector, cache)
            return lambda: engine.predictions(f"m{r}")

        gc.collect()
        gc.freeze()
        try:
            def loop_run(_r: int):
                return lambda: _plain_loop(base.checkpoint, prompts, batch, steps)

            times = _alternating({"engine": engine_run, "loop": loop_run}, rounds)
            eng = Engine(forest, inspector, cache)
            first = eng.predictions("warm")
            same = first["text"].tolist() == _plain_loop(base.checkpoint, prompts, batch, steps)
            hit = best_of(lambda: eng.predictions("warm")["f1"].sum(), rounds * 3)
        finally:
            gc.unfreeze()
            cache.close()
    ours, loop = min(times["engine"]), min(times["loop"])
    label = f"{len(prompts)} questions, T5 demo base, batch {batch}"
    return [
        Result(f"P7 generation through the engine, {label} (vs plain generate loop)", ours, loop,
               f"ratio <= {GOAL:.2f}", ours / loop <= GOAL),
        Result(f"P7 the engine's answers equal the plain loop's ({'yes' if same else 'NO'})", ours, loop,
               "identical answers", same),
        Result("P7 warm cache hit of the answers (vs recompute)", hit, ours, ">= 50x faster (ratio <= 0.02)",
               hit / ours <= 0.02),
    ]
