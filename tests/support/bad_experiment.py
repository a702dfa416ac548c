"""A small real experiment (tiny torch models, real checkpoints) for the robustness tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support import tiny

MODELS = ("root", "a", "b", "c")


def write_experiment(folder: Path, inspector: str = "tests.support.tiny:TinyInspector",
                     options: dict | None = None, ids: dict[str, str] | None = None,
                     metric_names: tuple[str, str] = ("acc", "size"), op_name: str = "prune",
                     name: str = "robustness") -> Path:
    """experiments.yaml + models.yaml + checkpoints in ``folder``; returns the config path.

    ``ids`` renames models (e.g. to hostile strings); tags repeat the id with a prefix.
    """
    ids = {m: (ids or {}).get(m, m) for m in MODELS}
    acc, size = metric_names
    (folder / "ckpt").mkdir(parents=True, exist_ok=True)
    for seed, mid in enumerate(MODELS):
        tiny.save_linear(folder / "ckpt" / f"{mid}.pt", seed=seed)
    values = {"root": (0.91, 10.0, None), "a": (0.85, 5.0, 0.5), "b": (0.80, 3.0, 0.7), "c": (0.60, 1.0, 0.9)}
    models = []
    for mid in MODELS:
        accuracy, megabytes, amount = values[mid]
        entry = {"id": ids[mid], "tag": f"tag {ids[mid]}", "checkpoint": f"ckpt/{mid}.pt",
                 "metrics": {acc: accuracy, size: megabytes}}
        if amount is not None:
            entry["base"] = ids["root"]
            entry["operation"] = {"name": op_name, "parameters": {"amount": amount}}
        models.append(entry)
    (folder / "models.yaml").write_text(yaml.safe_dump({
        "operations": [{"name": op_name, "parameters": {"amount": {"format": ".0%"}}}],
        "metrics": [{"name": acc, "primary": True, "format": ".1%", "higher_is_better": True},
                    {"name": size, "primary": True, "unit": "MB", "higher_is_better": False}],
        "models": models}, sort_keys=False))
    module, _, cls = inspector.partition(":")
    config = {"name": name, "models": "models.yaml",
              "inspector": {"module": module, "class": cls, "device": "cpu", "batch_size": 32,
                            "options": options or {}}}
    path = folder / "experiments.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
