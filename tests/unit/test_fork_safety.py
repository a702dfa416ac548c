"""The Behaviors reduction leaves nothing behind that a forked Dash job could deadlock on.

The reduction also runs in the Dash web process (when a model set's derived arrays are not
cached yet), and Dash's DiskcacheManager forks every background job from that process. With
GNU OpenMP (torch's CPU backend here), a fork after the forking thread ran a multi-threaded
torch op leaves the child a thread pool whose threads do not exist: the child's first parallel
op waits for them forever. Each scenario runs in a fresh interpreter (no torch state from other
tests), builds BehaviorData, forks, and the child must finish a parallel torch op in time.

Finding (torch 2.13+cpu, 2 cores): the reduction is fork-safe. It puts torch on one thread
before its first kernel, so no kernel of it, inline in the calling thread or in a block worker,
opens an OpenMP region. The check is not blind: the same script with the parent running
``torch.rand(2000, 2000).sum(1)`` on 2 threads just before forking timed out (the child hung
in its sum). A parallel op in a *different* thread of the parent did not hang the child
(libgomp's pool belongs to the thread that opened the region), so the single-block case below,
which runs inline in the forking thread, is the sensitive one. Also found: a child forked while
another parent thread held the reduction's lock waited forever in its own first reduction; the
at-fork hook in backend.behaviors.vectors now gives the child a fresh lock and count.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

CHILD_TIMEOUT_S = 60

SCRIPT = r"""
import os, sys, threading, time

import numpy as np
import torch

import backend.behaviors.vectors as bc
from backend.behaviors import build_behavior_data, comparison_vectors
from backend.inference.protocol import COMPARISON_KINDS, ComparisonSpec

scenario, timeout = sys.argv[1], float(sys.argv[2])


def outputs(rng, n, f=50):
    out = {}
    for m in ("a", "b", "c"):
        p = rng.random((n, f))
        out[m] = {"probs": p / p.sum(axis=1, keepdims=True)}
    return out


def build():
    rng = np.random.default_rng(0)
    # 2000 x 50: one block, run inline in this thread (each kernel is above torch's grain size,
    # so it would go parallel if torch were allowed more than one thread); 6000 x 50: several
    # blocks, run by block workers
    for n in (2000, 6000):
        build_behavior_data(("a", "b", "c"), outputs(rng, n), rng.integers(0, 50, n),
                            [str(c) for c in range(50)], np.arange(n),
                            [ComparisonSpec(k, k, "probs") for k in COMPARISON_KINDS])


def child() -> None:
    code = 1
    try:
        torch.set_num_threads(2)  # what SafeDiskcacheManager gives a job
        torch.rand(2000, 2000).sum(1)
        if scenario == "lock_held":
            comparison_vectors("kl_divergence", [o["probs"] for o in outputs(np.random.default_rng(1), 500).values()])
            assert bc._threads_state["users"] == 0
        code = 0
    finally:
        os._exit(code)


def fork_and_wait() -> None:
    pid = os.fork()
    if pid == 0:
        child()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print("child exit", os.waitstatus_to_exitcode(status), flush=True)
            return
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("child timed out: deadlock", flush=True)


if scenario == "two_threads":  # a process where torch may use 2 threads: the reduction must not
    torch.set_num_threads(2)
    build()
    assert torch.get_num_threads() == 2  # restored
    fork_and_wait()
elif scenario == "web":  # the web process: torch on one thread, a request thread builds and forks
    torch.set_num_threads(1)  # server.jobs.web_process_threads
    request = threading.Thread(target=lambda: (build(), fork_and_wait()))
    request.start()
    request.join()
elif scenario == "lock_held":  # another thread is inside a reduction's bookkeeping at the fork
    torch.set_num_threads(2)
    with bc._block_workers():
        with bc._threads_lock:
            fork_and_wait()
"""


@pytest.mark.parametrize("scenario", ["two_threads", "web", "lock_held"])
def test_job_forked_after_a_reduction_does_not_deadlock(scenario: str):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, scenario, str(CHILD_TIMEOUT_S)], cwd=REPO,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S + 120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "child exit 0" in proc.stdout, (proc.stdout, proc.stderr[-3000:])
