"""``python -m benchmarks.load``: simulated users replaying recorded callback payloads (CLI).

The runner (payload templates, the user loop, the gunicorn launcher) is ``tests.support.load``,
shared with the load test; this module only parses arguments and prints the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from tests.support.load import PAYLOADS, REPO, run_load, serve


def _print(summary: dict) -> None:
    lat = summary["latency_ms"]
    print(f"{summary['users']} users x {summary['duration_s']:.0f} s (think {summary['think_s']} s), "
          f"pages {', '.join(summary['pages'])}")
    print(f"requests {summary['requests']} ({summary['requests_per_s']}/s)  errors {summary['errors']}  "
          f"leaks {summary['leaks']}  own-state echoes {summary['own_state_echoes']}  "
          f"keep-alive retries {summary['keepalive_retries']}")
    if lat:
        print(f"latency p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms  max {lat['max']} ms")
    for page, info in summary["by_page"].items():
        pl = info["latency_ms"]
        print(f"  {page:<12} {info['requests']:>6} requests  p50 {pl['p50']} ms  p95 {pl['p95']} ms")
    jobs = summary["jobs"]
    if jobs["started"]:
        took = jobs["duration_ms"]
        print(f"background jobs started {jobs['started']}  completed {jobs['completed']}  "
              f"unfinished at the end {jobs['unfinished_at_end']}"
              + (f"  p50 {took['p50']} ms  p95 {took['p95']} ms" if took else ""))
    for line in summary["error_examples"] + summary["leak_examples"]:
        print(f"  ! {line}")


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when there were no errors and no leaks (latency is reported, not enforced)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a running app; default: serve the demo with gunicorn")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0, help="seconds")
    p.add_argument("--think", type=float, default=1.0, help="mean pause between user actions, s (0: none)")
    p.add_argument("--ramp", type=float, default=5.0, help="seconds over which users start")
    p.add_argument("--timeout", type=float, default=30.0, help="per request, s")
    p.add_argument("--job-timeout", type=float, default=30.0, help="a background job without a result "
                   "after this many seconds is an error")
    p.add_argument("--payloads", type=Path, default=PAYLOADS)
    p.add_argument("--pages", help="comma-separated subset of the file's pages")
    p.add_argument("--basic-auth", help="user:password when the app uses CC_AUTH_USERS_FILE")
    p.add_argument("--header", action="append", default=[], help="'Name: value', e.g. a proxy user header")
    p.add_argument("--config", type=Path, default=REPO / "configs" / "demo.yaml")
    p.add_argument("--cache-dir", type=Path,
                   default=Path(os.environ.get("CC_CACHE_DIR") or REPO / ".cache"))
    p.add_argument("--serve-workers", type=int, default=2)
    p.add_argument("--serve-threads", type=int, default=4)
    p.add_argument("--json", type=Path, help="also write the summary here")
    args = p.parse_args(argv)
    auth = tuple(args.basic_auth.split(":", 1)) if args.basic_auth else None
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    kwargs = dict(users=args.users, duration=args.duration, think=args.think, payloads=args.payloads,
                  pages=args.pages.split(",") if args.pages else None, ramp=args.ramp, timeout=args.timeout,
                  auth=auth, headers=headers, job_timeout=args.job_timeout)
    if args.url:
        summary = asyncio.run(run_load(args.url, **kwargs))
    else:
        try:
            with serve(args.config, args.cache_dir, args.serve_workers, args.serve_threads) as url:
                summary = asyncio.run(run_load(url, **kwargs))
        except RuntimeError as exc:  # gunicorn did not start: its log's tail says why
            raise SystemExit(str(exc)) from None
        summary["server"] = f"gunicorn --workers {args.serve_workers} --threads {args.serve_threads}"
    _print(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 0 if summary["errors"] == 0 and summary["leaks"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
