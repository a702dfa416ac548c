"""``python -m benchmarks [--quick] [--only CODE] [--peer NAME]``: run workloads, print a table,
write JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from benchmarks import registry
from benchmarks.registry import REGISTRY, Result

RESULTS = Path(__file__).with_name("results.json")


def _load_workload_modules() -> None:
    """Import every ``benchmarks/bench_*.py`` so its workloads register themselves."""
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{info.name}")


def _print_table(results: list[Result]) -> None:
    header = f"{'workload':<58} {'ours s':>10} {'base s':>10} {'ratio':>8}  {'goal':<22} met"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<58} {r.ours_s:>10.4f} {r.baseline_s:>10.4f} {r.ratio:>8.3f}  "
            f"{r.goal:<22} {'yes' if r.goal_met else 'NO'}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the selected workloads; exit 0 even when a goal is missed (the table says so)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", action="append", default=[], help="goal code, e.g. P3")
    parser.add_argument("--peer", action="append", default=[], choices=["mlflow"],
                        help="also time a peer tool next to ours where a workload supports it (P1: mlflow)")
    args = parser.parse_args(argv)
    registry.PEERS.update(args.peer)
    _load_workload_modules()
    codes = sorted(REGISTRY) if not args.only else [c.upper() for c in args.only]
    unknown = [c for c in codes if c not in REGISTRY]
    if unknown:
        print(f"unknown workload code(s): {', '.join(unknown)}; known: {', '.join(sorted(REGISTRY))}",
              file=sys.stderr)
        return 2
    results: list[Result] = []
    for code in codes:
        for fn in REGISTRY[code]:
            results.extend(fn(args.quick))
    _print_table(results)
    RESULTS.write_text(json.dumps({"workloads": [r.as_json() for r in results]}, indent=2))
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
