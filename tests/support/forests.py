"""Deterministic synthetic experiment forests of any size (for P0 and P1 workloads)."""

from __future__ import annotations

import random

OPS = [("magnitude prune", "amount", [0.25, 0.5, 0.75, 0.9]), ("quantize", "precision", ["int8", "fp16"]),
       ("fine-tune", "epochs", [1, 5, 10]), ("distill", "temperature", [2.0, 4.0])]
METRICS = [
    {"name": "Accuracy", "primary": True, "format": ".2%", "min": 0, "max": 1},
    {"name": "Latency", "primary": True, "unit": "ms", "format": ".3~f"},
    {"name": "Model Size", "primary": True, "format": ".3~s", "unit": "B"},
    {"name": "Sparsity", "primary": True, "format": ".1%", "min": 0, "max": 1},
]


def synthetic_models_doc(n: int, roots: int = 4, seed: int = 0) -> dict:
    """A models document with ``n`` models under ``roots`` trees, bushy and up to ~8 deep."""
    rng = random.Random(seed)
    models: list[dict] = []
    depth: dict[str, int] = {}
    for r in range(roots):
        mid = f"root{r}"
        depth[mid] = 0
        models.append({"id": mid, "base": None, "operation": {"name": "train", "parameters": {"epochs": 90}},
                       "metrics": {"Accuracy": 0.9, "Latency": 20.0, "Model Size": 1e8, "Sparsity": 0.0}})
    while len(models) < n:
        parent = models[rng.randrange(len(models))]
        if depth[parent["id"]] >= 8:
            continue
        name, pname, values = OPS[rng.randrange(len(OPS))]
        mid = f"m{len(models)}"
        depth[mid] = depth[parent["id"]] + 1
        pm = parent["metrics"]
        models.append({
            "id": mid, "base": parent["id"], "tag": f"{name} {mid}",
            "operation": {"name": name, "parameters": {pname: rng.choice(values)}},
            "metrics": {"Accuracy": max(0.0, pm["Accuracy"] - rng.random() * 0.05),
                        "Latency": pm["Latency"] * (0.7 + 0.3 * rng.random()),
                        "Model Size": pm["Model Size"] * (0.5 + 0.5 * rng.random()),
                        "Sparsity": min(1.0, pm["Sparsity"] + rng.random() * 0.2)},
        })
    ops = [{"name": "train", "parameters": ["epochs"]}] + [
        {"name": name, "parameters": [pname]} for name, pname, _ in OPS]
    return {"operations": ops, "metrics": METRICS, "models": models}
