"""The fork gate: forks taken inside it never inherit SQLite mid-use; its lock semantics."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from backend.infra.fork_gate import GATE, ForkGate, GatedCache


def _fork_children(cache, forks: int) -> int:
    """Fork ``forks`` children (inside the gate) that each write and read the cache while four
    threads of this process hammer it; return how many children failed or hung (a 20 s alarm
    ends a hung child; forking stops after 3 failures, so a broken gate fails fast)."""
    stop = threading.Event()

    def hammer(i: int) -> None:
        k = 0
        while not stop.is_set():
            cache.set(f"t{i}-{k % 50}", b"x" * 100)
            cache.get(f"t{i}-{(k * 7) % 50}")
            k += 1

    threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    failed = 0
    try:
        for n in range(forks):
            with GATE.exclusive():
                pid = os.fork()
            if pid == 0:  # the child: a stuck SQLite mutex or phantom lock would hang here
                signal.alarm(20)
                try:
                    cache.set(f"child-{n}", n)
                    os._exit(0 if cache.get(f"child-{n}") == n else 1)
                except BaseException:
                    os._exit(1)
            _, status = os.waitpid(pid, 0)
            failed += os.waitstatus_to_exitcode(status) != 0
            if failed >= 3:
                break
    finally:
        stop.set()
        for t in threads:
            t.join()
    return failed


def test_forks_inside_the_gate_never_inherit_sqlite_mid_use(tmp_path: Path):
    # Without the gate (plain diskcache.Cache, plain fork) 18 of 20 such children hung here.
    cache = GatedCache(str(tmp_path / "c"))
    assert _fork_children(cache, 40) == 0
    assert cache.get("child-39") == 39


def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


def test_exclusive_waits_for_shared_holders_and_blocks_new_ones():
    gate = ForkGate()
    inside, release, late_reader_in = threading.Event(), threading.Event(), threading.Event()
    seen_by_fork: list[bool] = []

    def reader() -> None:
        with gate.shared():
            inside.set()
            release.wait(10)

    def writer() -> None:
        with gate.exclusive():
            time.sleep(0.1)
            seen_by_fork.append(late_reader_in.is_set())  # a reader arriving meanwhile waits

    def late_reader() -> None:
        with gate.shared():
            late_reader_in.set()

    first = threading.Thread(target=reader)
    first.start()
    assert inside.wait(10)
    w = threading.Thread(target=writer)
    w.start()
    _until(lambda: gate._waiting_writers == 1)  # the fork waits while SQLite is in use
    late = threading.Thread(target=late_reader)
    late.start()
    assert not late_reader_in.wait(0.2)  # the waiting fork goes first
    assert not seen_by_fork
    release.set()
    for t in (first, w, late):
        t.join(10)
    assert seen_by_fork == [False] and late_reader_in.is_set()


def test_a_thread_inside_may_reenter_while_a_fork_waits():
    gate = ForkGate()
    outer, done = threading.Event(), threading.Event()

    def nested() -> None:
        with gate.shared():
            outer.set()
            _until(lambda: gate._waiting_writers == 1)  # a fork is now waiting for us
            with gate.shared():  # diskcache's set() calls transact(): must not deadlock
                done.set()

    t = threading.Thread(target=nested)
    t.start()
    assert outer.wait(10)
    with gate.exclusive():
        assert done.is_set()
    t.join(10)


def test_cache_transaction_holds_the_gate(tmp_path: Path):
    cache = GatedCache(str(tmp_path / "c"))
    entered = threading.Event()
    def fork() -> None:
        with GATE.exclusive():
            entered.set()

    with cache.transact():
        cache.set("a", 1)
        waiter = threading.Thread(target=fork)
        waiter.start()
        assert not entered.wait(0.2)  # no fork while the transaction is open
    waiter.join(5)
    assert entered.is_set() and cache.get("a") == 1
