"""Load test: simulated users replaying real callback payloads against the app under gunicorn.

    python -m benchmarks.load                       # 50 users x 60 s on the demo (starts gunicorn)
    python -m benchmarks.load --users 5 --duration 5 --url http://127.0.0.1:8050
    python -m benchmarks.load --serve-workers 2 --serve-threads 4 --json load.json

Without ``--url`` it serves ``configs/demo.yaml`` (``--config``) with gunicorn on a free
loopback port (``--serve-workers`` x ``--serve-threads``, cache from ``--cache-dir`` or
CC_CACHE_DIR or ./.cache; the demo must be built: ``python app.py --build-only``) and stops it.

Each simulated user is an asyncio task with its own HTTP client and its own selection of 3
models (distinct for every user). It loops over the pages of the payload file
(``benchmarks/payloads/demo.json``, recorded from Chromium by ``capture_payloads.py``),
starting at a different page for each user; it loads the page (``GET``, which issues a
fresh Dash ``endId``), then sends each recorded ``POST /_dash-update-component`` with its
selection filled in, phase by phase, pausing a random 0.5-1.5 x ``--think`` seconds between
phases (user actions). A background job is polled every ``interval_ms`` as Dash's renderer
does, until its result arrives.

Checks on every response: a status other than the recorded one (200, or 204 for a callback
that declines to update) is an error, as is a transport error or timeout. The user's state
must come back where the recording saw it (``echo`` steps), and no response may carry a
selection of another user (the ``sel=``/``models=`` query values and ``models`` lists found in
the response are compared with every user's selection): that count is ``leaks``.

Pages come from the JSON (now overview, Behaviors and Layers): a page whose callbacks change
is re-recorded with the capture script, and a new page added there, without changing this
script. The run is bounded: no new request starts after ``--duration`` seconds, a request in
flight has ``--timeout`` seconds, and a background job without a result after
``--job-timeout`` seconds is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

import httpx

REPO = Path(__file__).resolve().parents[1]
PAYLOADS = Path(__file__).with_name("payloads") / "demo.json"
UPDATE = "/_dash-update-component"
_QUERY_SELECTION = re.compile(r"[?&](?:sel|models)=([^&#\"'\s]*)")


# --- payload templates ------------------------------------------------------------------------


def encode_ids(ids: list[str]) -> str:
    """As backend.urlstate.encode_ids: ids joined by commas, their own commas escaped."""
    return ",".join(i.replace("%", "%25").replace(",", "%2C") for i in ids)


def decode_ids(value: str) -> list[str]:
    """Inverse of ``encode_ids`` on a once-decoded query value."""
    return [part.replace("%2C", ",").replace("%25", "%") for part in value.split(",") if part]


def fill(value: Any, selection: list[str]) -> Any:
    """A recorded body with one user's selection in place of the placeholders."""
    if value == "$SEL":
        return list(selection)
    if value == "$BASE":
        return selection[0]
    if isinstance(value, str) and value.startswith("$M") and value[2:].isdigit():
        return selection[int(value[2:])]
    if isinstance(value, list):
        return [fill(v, selection) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, selection) for k, v in value.items()}
    if isinstance(value, str):
        plain = encode_ids(selection)
        return (value.replace("{sel_q}", quote(plain, safe="")).replace("{sel}", plain)
                .replace("{base_q}", quote(selection[0], safe="")))
    return value


def poll_body(body: dict) -> dict:
    """What the renderer re-sends while polling a job: the same body, values nulled."""
    out = json.loads(json.dumps(body))
    for key in ("inputs", "state"):
        for item in out.get(key) or []:
            if isinstance(item, dict):
                item["value"] = None
    return out


def end_id(html: str) -> str | None:
    """The page load's signed ``end_id`` from the ``_dash-config`` script of the index page."""
    marker = '<script id="_dash-config" type="application/json">'
    start = html.find(marker)
    if start < 0:
        return None
    text = html[start + len(marker):html.index("</script>", start)]
    return json.loads(text).get("end_id")


def selections_in(text: str) -> list[frozenset[str]]:
    """Every model selection a response carries: query values and ``models`` lists."""
    found = [frozenset(decode_ids(unquote_plus(m))) for m in _QUERY_SELECTION.findall(text)]
    try:
        doc = json.loads(text)
    except ValueError:
        return found

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("models", "sel") and isinstance(value, list) and value \
                        and all(isinstance(v, str) for v in value):
                    found.append(frozenset(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return found


def user_selections(models: list[str], users: int, size: int = 3, seed: int = 0) -> list[list[str]]:
    """``users`` distinct selections of ``size`` models (seeded, so runs are comparable)."""
    rng = random.Random(seed)
    chosen: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    attempts = 0
    while len(chosen) < users:
        attempts += 1
        if attempts > 100 * users + 1000:
            raise SystemExit(f"cannot draw {users} distinct selections of {size} from {len(models)} models")
        pick = rng.sample(models, size)
        if frozenset(pick) not in seen:
            seen.add(frozenset(pick))
            chosen.append(pick)
    return chosen


# --- the simulated users ----------------------------------------------------------------------


@dataclass
class Stats:
    """Everything measured in one run."""

    latencies: dict[str, list[float]] = field(default_factory=dict)  # page -> seconds per request
    errors: Counter = field(default_factory=Counter)  # kind -> count
    error_examples: list[str] = field(default_factory=list)
    leaks: int = 0
    leak_examples: list[str] = field(default_factory=list)
    echoes: int = 0  # responses that carried the user's own selection where expected
    retries: int = 0  # requests re-sent once after the server closed a kept-alive connection
    jobs: list[float] = field(default_factory=list)  # background job durations (start to result)
    jobs_started: int = 0
    jobs_unfinished: int = 0  # still running when the run ended (not an error)
    iterations: Counter = field(default_factory=Counter)  # user -> completed page visits

    def request(self, page: str, seconds: float) -> None:
        self.latencies.setdefault(page, []).append(seconds)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_examples) < 10:
            self.error_examples.append(f"{kind}: {detail}"[:300])

    def summary(self, duration: float) -> dict:
        every = [s for values in self.latencies.values() for s in values]
        out = {
            "requests": len(every),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "error_examples": self.error_examples,
            "leaks": self.leaks,
            "leak_examples": self.leak_examples,
            "own_state_echoes": self.echoes,
            "keepalive_retries": self.retries,
            "requests_per_s": round(len(every) / duration, 1) if duration else 0.0,
            "latency_ms": _percentiles(every),
            "by_page": {page: {"requests": len(v), "latency_ms": _percentiles(v)}
                        for page, v in sorted(self.latencies.items())},
            "jobs": {"started": self.jobs_started, "completed": len(self.jobs),
                     "unfinished_at_end": self.jobs_unfinished, "duration_ms": _percentiles(self.jobs)},
            "page_visits": sum(self.iterations.values()),
        }
        return out


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(1000 * ordered[-1], 1),
            "mean": round(1000 * statistics.fmean(ordered), 1)}


@dataclass
class Run:
    """What every user shares: the target, the recorded pages, the selections, the clock."""

    url: str
    pages: dict[str, dict]
    selections: list[list[str]]
    deadline: float
    think: float
    timeout: float
    stats: Stats
    job_timeout: float = 30.0
    auth: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def left(self) -> float:
        return self.deadline - time.monotonic()


async def _send(run: Run, client: httpx.AsyncClient, page: str, method: str, path: str,
                **kwargs) -> httpx.Response | None:
    """One timed request; a transport error or timeout is recorded and gives None.

    A connection the server closed just as the request went out (a keep-alive race) is retried
    once, as browsers do; such retries are counted, and the latency includes both attempts.
    """
    t0 = time.perf_counter()
    for attempt in (1, 2):
        try:
            response = await client.request(method, path, **kwargs)
            break
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if attempt == 1:
                run.stats.retries += 1
                continue
            failure: Exception = exc
        except httpx.HTTPError as exc:
            failure = exc
        run.stats.request(page, time.perf_counter() - t0)
        run.stats.error(type(failure).__name__, f"{method} {path}: {failure}")
        return None
    run.stats.request(page, time.perf_counter() - t0)
    return response


def _check_state(run: Run, user: int, step: dict, text: str) -> None:
    own = frozenset(run.selections[user])
    found = selections_in(text)
    others = {frozenset(s) for i, s in enumerate(run.selections) if i != user}
    for sel in found:
        if sel != own and sel in others:
            run.stats.leaks += 1
            if len(run.stats.leak_examples) < 10:
                run.stats.leak_examples.append(
                    f"user {user} ({sorted(own)}) got {sorted(sel)} in {step['name']}")
    if step.get("echo"):
        if own in found:
            run.stats.echoes += 1
        else:
            run.stats.error("missing own state", f"user {user}: {step['name']} did not carry {sorted(own)}")


async def _step(run: Run, client: httpx.AsyncClient, user: int, page: str, step: dict,
                token: str | None) -> None:
    body = fill(step["body"], run.selections[user])
    params = {"endId": token} if token else {}
    response = await _send(run, client, page, "POST", UPDATE, params=params, json=body)
    if response is None:
        return
    expected = step.get("status", 200)
    if response.status_code != expected:
        run.stats.error(f"HTTP {response.status_code}", f"{step['name']} (expected {expected}) for "
                        f"{','.join(run.selections[user])}: {response.text[:120]}")
        return
    if step.get("background") and response.status_code == 200:
        await _job(run, client, user, page, step, body, params, response)
        return
    _check_state(run, user, step, response.text)


async def _job(run: Run, client: httpx.AsyncClient, user: int, page: str, step: dict, body: dict,
               params: dict, started: httpx.Response) -> None:
    """Poll a background job as the renderer does, until its result (or the end of the run).

    A job without a result after ``job_timeout`` seconds is an error ("job timeout").
    """
    t0 = time.monotonic()
    try:
        handles = started.json()
        params = {**params, "cacheKey": handles["cacheKey"], "job": handles["job"]}
    except (ValueError, KeyError):
        run.stats.error("bad job start", f"{step['name']}: {started.text[:120]}")
        return
    run.stats.jobs_started += 1
    polled = poll_body(body)
    interval = step.get("interval_ms", 1000) / 1000
    while True:
        if time.monotonic() - t0 > run.job_timeout:
            run.stats.error("job timeout", f"user {user}: {step['name']}: no result in {run.job_timeout} s")
            return
        if run.left() <= interval:
            run.stats.jobs_unfinished += 1
            return
        await asyncio.sleep(interval)
        response = await _send(run, client, page, "POST", UPDATE, params=params, json=polled)
        if response is None:
            return
        if response.status_code != 200:
            run.stats.error(f"HTTP {response.status_code}", f"{step['name']} poll: {response.text[:120]}")
            return
        try:
            done = "response" in response.json()
        except ValueError:
            run.stats.error("bad poll answer", response.text[:120])
            return
        if done:
            run.stats.jobs.append(time.monotonic() - t0)
            _check_state(run, user, step, response.text)
            return


async def _user(run: Run, user: int, start_after: float) -> None:
    # idle connections are dropped before gunicorn's 2 s keep-alive ends, so that a request
    # never races the server closing the connection it was sent on (a browser retries those)
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=run.url, timeout=run.timeout, auth=run.auth, headers=run.headers,
                                 limits=limits) as client:
        await asyncio.sleep(start_after)
        rng = random.Random(user)
        names = list(run.pages)
        order = names[user % len(names):] + names[:user % len(names)]  # users spread over pages
        while run.left() > 0:
            for page in order:
                spec = run.pages[page]
                if run.left() <= 0:
                    return
                search = fill(spec.get("search", ""), run.selections[user])
                response = await _send(run, client, page, "GET", spec["path"] + search)
                if response is None or response.status_code != 200:
                    if response is not None:
                        run.stats.error(f"HTTP {response.status_code}", f"GET {spec['path']}")
                    await asyncio.sleep(1)
                    continue
                token = end_id(response.text)
                phase = None
                for step in spec["steps"]:
                    if run.left() <= 0:
                        return
                    if phase is not None and step.get("phase") != phase and run.think > 0:
                        await asyncio.sleep(run.think * rng.uniform(0.5, 1.5))
                    phase = step.get("phase")
                    await _step(run, client, user, page, step, token)
                run.stats.iterations[user] += 1
                if run.think > 0:
                    await asyncio.sleep(run.think * rng.uniform(0.5, 1.5))


async def run_load(url: str, users: int = 50, duration: float = 60.0, think: float = 1.0,
                   payloads: Path = PAYLOADS, pages: list[str] | None = None, ramp: float = 5.0,
                   timeout: float = 30.0, auth: tuple[str, str] | None = None,
                   headers: dict[str, str] | None = None, seed: int = 0, job_timeout: float = 30.0) -> dict:
    """Run the simulated users against ``url``; return the summary (see ``Stats.summary``)."""
    doc = json.loads(Path(payloads).read_text())
    chosen = {name: spec for name, spec in doc["pages"].items() if not pages or name in pages}
    if not chosen:
        raise SystemExit(f"no pages {pages} in {payloads} (it has {sorted(doc['pages'])})")
    stats = Stats()
    run = Run(url.rstrip("/"), chosen, user_selections(doc["models"], users, seed=seed),
              time.monotonic() + duration, think, timeout, stats, job_timeout, auth, dict(headers or {}))
    t0 = time.monotonic()
    ramp = min(ramp, duration / 4)
    await asyncio.gather(*(_user(run, i, ramp * i / max(1, users)) for i in range(users)))
    summary = stats.summary(time.monotonic() - t0)
    summary.update({"users": users, "duration_s": duration, "think_s": think, "pages": list(chosen)})
    return summary


# --- serving the demo -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(config: Path, cache_dir: Path, workers: int = 2, threads: int = 4,
          env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """gunicorn ``app:create_server()`` on a free loopback port; yield its URL; always stop it.

    Its output goes to ``log`` (default: a temporary file, named on stderr if it is not empty).
    """
    port = _free_port()
    full_env = {**os.environ, "CC_CONFIG": str(config), "CC_CACHE_DIR": str(cache_dir), **(env or {})}
    if log is None:
        fd, name = tempfile.mkstemp(prefix="cc-load-gunicorn-", suffix=".log")
        os.close(fd)
        log = Path(name)
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:create_server()", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "120"],
            cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 120 s") from None
                time.sleep(0.3)
        yield url
    finally:
        _stop_tree(proc)
        sys.stderr.write(f"gunicorn log: {log}\n")


def _stop_tree(proc: subprocess.Popen) -> None:
    """Stop gunicorn, then whatever it left behind (background-job processes stuck in a worker
    would otherwise hold it for its 30 s graceful timeout, or outlive it)."""
    try:
        import psutil  # comes with dash[diskcache]

        family = psutil.Process(proc.pid).children(recursive=True)
    except Exception:
        family = []
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for child in family:
        try:
            child.kill()
        except Exception:
            pass


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
        with serve(args.config, args.cache_dir, args.serve_workers, args.serve_threads) as url:
            summary = asyncio.run(run_load(url, **kwargs))
        summary["server"] = f"gunicorn --workers {args.serve_workers} --threads {args.serve_threads}"
    _print(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 0 if summary["errors"] == 0 and summary["leaks"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
