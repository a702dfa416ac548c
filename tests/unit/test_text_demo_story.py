"""The README's text-demo story, read from the really built text demo: every figure the README
quotes is computed here from the models file the build measured, so the README cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(text_demo_cache: Path):
    from backend.experiment.loader import load_experiment

    forest = load_experiment(REPO / "configs" / "demo-text.yaml", cache_dir=text_demo_cache).forest
    return {m.id: m.metrics for m in forest}


@pytest.fixture(scope="module")
def readme() -> str:
    return " ".join((REPO / "README.md").read_text().split())  # line breaks read as spaces


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_exact_match_figures(built, readme):
    em = {m: v["Exact Match"] for m, v in built.items()}
    for quoted in (f"all 500 questions (EM {_pct(em['t5'])})", f"up to 30 % (EM {_pct(em['t5-prune30'])})",
                   f"at 50 % (EM {_pct(em['t5-prune50'])}", f"at 70 % (EM {_pct(em['t5-prune70'])})",
                   f"leaves EM {_pct(em['t5-attn70'])}", f"keeps EM {_pct(em['t5-ffn90'])}",
                   f"(EM {_pct(em['t5-lprune70'])} against {_pct(em['t5-prune70'])})",
                   f"int8 is lossless (EM {_pct(em['t5-int8'])})", f"back to EM {_pct(em['t5-prune70-retrain'])}"):
        assert quoted in readme, quoted
    assert em["t5"] == 1.0 and em["t5-int8"] == em["t5"]  # "all 500", "lossless"
    assert em["t5-prune90"] == 0.0  # "only padding, an empty answer"


def test_sizes_sparsity_and_norm_figures(built, readme):
    size = built["t5"]["Model Size"] / built["t5-int8"]["Model Size"]
    assert f"at {size:.1f}× smaller" in readme
    assert f"attention weights only ({_pct(built['t5-attn70']['Sparsity'])} of the model)" in readme
    assert f"until 99 % ({_pct(built['t5-prune99']['Zeroed Norm Gains'])} of them zeroed)" in readme
    for m in ("t5-prune30", "t5-prune50", "t5-prune70", "t5-prune90"):
        assert built[m]["Zeroed Norm Gains"] == 0.0, m
    assert abs(built["t5-prune99-restore-norms"]["Exact Match"] - built["t5-prune99"]["Exact Match"]) < 0.01


def test_the_broken_model_repeats_words(text_demo_cache: Path):
    """The quoted repetition: a 70 %-pruned answer that repeats one word, shown whole."""
    from backend.experiment.loader import load_experiment
    from backend.inference.engine import Engine
    from backend.inference.loading import make_inspector
    from backend.infra.cache import ResultCache

    exp = load_experiment(REPO / "configs" / "demo-text.yaml", cache_dir=text_demo_cache)
    engine = Engine(exp.forest, make_inspector(exp.inspector, exp.config_path.parent, exp.cache_dir),
                    ResultCache(exp.cache_dir / "results"))
    answers = engine.predictions("t5-prune70")["text"].tolist()
    assert "doctor doctor doctor doctor doctor doctor" in answers
    assert all(a == "" for a in engine.predictions("t5-prune90")["text"].tolist())
