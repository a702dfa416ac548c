"""Keep fork() out of SQLite: threads use SQLite inside a shared gate, a fork takes it alone.

Why: Dash's DiskcacheManager forks one process per background job from a multi-threaded web
worker. SQLite's in-process state (its mutexes, its record of which connection holds which
file lock) is copied by fork() as it is at that instant. A job forked while another thread of
the worker was inside SQLite inherits a held mutex or a phantom lock and waits forever: under
50 simulated users, jobs were seen (py-spy) stuck in ``sqlite3.connect`` and in
``BEGIN IMMEDIATE``. SQLite's documentation says not to carry connections across fork().

So every diskcache operation of the web process runs inside ``GATE.shared()`` (``GatedCache``),
and the fork runs inside ``GATE.exclusive()``: it waits for the operations in flight to end,
new ones wait for the fork (a few milliseconds). The child starts with a fresh, open gate.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import diskcache


class ForkGate:
    """A readers-writer lock: many threads share it, one exclusive holder (the fork) excludes
    them. A waiting exclusive holder goes first, but a thread already inside may re-enter."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self._local = threading.local()

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the gate with other threads (a SQLite operation)."""
        depth = getattr(self._local, "depth", 0)
        if depth:  # re-entry never waits, or a waiting fork would deadlock us
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the gate alone (around fork()); waits for the shared holders to leave."""
        with self._cond:
            self._waiting_writers += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


GATE = ForkGate()
# The child of a fork holds the gate as its parent did (exclusively, mid-fork): give it a new one.
os.register_at_fork(after_in_child=GATE._reset)

# Every diskcache.Cache method that runs SQL and that this app or Dash's manager calls.
_GATED = ("get", "set", "add", "delete", "touch", "incr", "decr", "pop", "clear", "expire",
          "evict", "cull", "check", "stats", "volume", "read", "push", "pull", "peek", "peekitem",
          "close", "reset", "__contains__", "__getitem__", "__setitem__", "__delitem__", "__len__")


def _gated(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with GATE.shared():
            return method(*args, **kwargs)
    return call


class GatedCache(diskcache.Cache):
    """A diskcache.Cache whose SQLite work never overlaps a fork of this process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with GATE.shared():
            super().__init__(*args, **kwargs)

    @contextmanager
    def transact(self, retry: bool = False) -> Iterator[None]:
        """diskcache's transaction, with the gate held until it commits."""
        with GATE.shared(), super().transact(retry):
            yield


for _name in _GATED:
    if hasattr(diskcache.Cache, _name):
        setattr(GatedCache, _name, _gated(getattr(diskcache.Cache, _name)))
