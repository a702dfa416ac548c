"""The default background-job manager, hardened for a multi-threaded web process.

Dash's DiskcacheManager forks one process per job from the web worker. Two things go wrong
under load (seen with 50 simulated users): a job forked after the web process ran a parallel
torch (OpenMP) operation hangs in its own first one, and cleaning up a job that has just
exited raises ``psutil.NoSuchProcess`` (an HTTP 500). So the web process keeps torch on one
thread (no OpenMP pool exists to be inherited), each job gets the machine's threads back, and
a job that is already gone counts as terminated. A third hazard, SQLite state copied mid-use,
is closed by forking inside ``backend.infra.fork_gate.GATE`` (its docstring says why).
"""

from __future__ import annotations

import os
from functools import wraps

from dash import DiskcacheManager

from backend.infra.fork_gate import GATE
from server.job_sockets import release_inherited_sockets


def web_process_threads() -> None:
    """Call in a serving process: torch stays single-threaded here (jobs get more)."""
    import torch

    torch.set_num_threads(1)


def _job_threads() -> int:
    return max(1, int(os.environ.get("CC_JOB_THREADS", "0")) or (os.cpu_count() or 1))


class SafeDiskcacheManager(DiskcacheManager):
    """DiskcacheManager whose jobs use every core and whose clean-up tolerates exited jobs."""

    def call_job_fn(self, key, job_fn, args, context):
        """Fork the job as Dash does, first giving torch its threads back in the child."""

        @wraps(job_fn)
        def job_with_threads(*job_args, **job_kwargs):
            import torch

            release_inherited_sockets()  # server/job_sockets.py says why
            torch.set_num_threads(_job_threads())
            return job_fn(*job_args, **job_kwargs)

        with GATE.exclusive():  # no thread of this process is inside SQLite while it forks
            return super().call_job_fn(key, job_with_threads, args, context)

    def terminate_job(self, job) -> None:
        """Kill a job's process tree; one that exited meanwhile is simply done."""
        import psutil

        try:
            super().terminate_job(job)
        except psutil.NoSuchProcess:
            pass
