"""The simulated users of the load test, what they measure, and ``run_load`` that drives them.

Why its own module: the users only need a URL, so they run unchanged against a server this
package starts (``load_serve``) or one already running. Re-exported by ``tests.support.load``.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.load.payloads import (
    PAYLOADS,
    UPDATE,
    end_id,
    fill,
    poll_body,
    selections_in,
    user_selections,
)


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
                # the page itself comes with the layout, as the browser asks for it from the page
                # (server/first_view.py): it carries the user's selection
                referer = {"Referer": f"{run.url.rstrip('/')}{spec['path']}{search}"}
                layout = await _send(run, client, page, "GET", "/_dash-layout", headers=referer)
                if layout is not None and layout.status_code != 200:
                    run.stats.error(f"HTTP {layout.status_code}", f"GET /_dash-layout of {spec['path']}")
                elif layout is not None:
                    _check_state(run, user, {"name": f"{page} layout", "echo": True}, layout.text)
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

