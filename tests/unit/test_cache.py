"""The result cache: atomic array entries, restart reuse, cached digests, killed writers, misses."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from backend.infra.cache import CacheError, ResultCache, result_key
from tests.conftest import REPO


def test_key_is_order_independent_and_sensitive():
    assert result_key(a=1, b=[1, 2]) == result_key(b=[1, 2], a=1)
    assert result_key(a=1) != result_key(a=2)


def test_arrays_roundtrip_and_survive_restart(tmp_path: Path):
    cache = ResultCache(tmp_path)
    arrays = {"logits": np.arange(12, dtype=np.float32).reshape(3, 4), "names/with/slash": np.ones(2)}
    cache.put_arrays("k", arrays, {"model": "m"})
    cache.close()
    again = ResultCache(tmp_path)  # a restart: a new process would see the same
    got = again.get_arrays("k")
    assert set(got) == set(arrays) and np.array_equal(got["logits"], arrays["logits"])
    assert again.array_meta("k") == {"model": "m"} and again.has("k") and not again.has("other")


def test_vanished_files_mean_recompute(tmp_path: Path):
    cache = ResultCache(tmp_path)
    cache.put_arrays("k", {"a": np.zeros(3)})
    for f in (tmp_path / "arrays" / "k").iterdir():
        f.unlink()
    assert cache.get_arrays("k") is None and not cache.has("k")


def test_file_digest_follows_content(tmp_path: Path):
    cache = ResultCache(tmp_path / "c")
    f = tmp_path / "ckpt.pt"
    f.write_bytes(b"one")
    first = cache.file_digest(f)
    assert cache.file_digest(f) == first
    time.sleep(0.01)
    f.write_bytes(b"two")
    assert cache.file_digest(f) != first
    with pytest.raises(FileNotFoundError, match="cannot read"):
        cache.file_digest(tmp_path / "missing.pt")


def test_killed_writer_leaves_no_entry(tmp_path: Path):
    """SIGKILL a process in the middle of writing arrays: no index entry, next write works."""
    script = textwrap.dedent(f"""
        import sys, time, numpy as np
        sys.path.insert(0, {str(REPO)!r})
        import backend.infra.cache as c
        real_save = np.save
        def slow_save(fh, arr, allow_pickle=False):
            real_save(fh, arr, allow_pickle=allow_pickle)
            print("wrote", flush=True)
            time.sleep(30)
        c.np.save = slow_save
        cache = c.ResultCache({str(tmp_path)!r})
        cache.put_arrays("k", {{"a": np.ones(1000), "b": np.ones(1000)}})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "wrote"  # mid-write: one array on disk
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    cache = ResultCache(tmp_path)
    assert cache.get_arrays("k") is None and not cache.has("k")
    assert cache.sweep_temporaries() == 1
    cache.put_arrays("k", {"a": np.ones(3)})
    assert cache.get_arrays("k")["a"].tolist() == [1.0, 1.0, 1.0]


def test_unusable_cache_dir_gives_clear_error(tmp_path: Path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    with pytest.raises(CacheError) as info:
        ResultCache(blocked / "cache")
    assert str(info.value) == f"cache directory {blocked / 'cache'} is not usable: Not a directory"


def test_large_checkpoint_digest_survives_a_restart_small_one_is_rehashed(tmp_path: Path, monkeypatch):
    """Hashing is remembered in the process; in the index only where rehashing costs more."""
    import backend.infra.cache as c

    hashed: list[str] = []
    real = c._sha256
    monkeypatch.setattr(c, "_sha256", lambda path: hashed.append(path.name) or real(path))
    small, large = tmp_path / "small.pt", tmp_path / "large.pt"
    small.write_bytes(b"s" * 10)
    large.write_bytes(b"l" * (c.INDEXED_DIGEST_BYTES + 1))
    cache = ResultCache(tmp_path / "c")
    digests = (cache.file_digest(small), cache.file_digest(large))
    assert (cache.file_digest(small), cache.file_digest(large)) == digests and hashed == ["small.pt", "large.pt"]
    cache.close()
    again = ResultCache(tmp_path / "c")  # a restarted worker
    assert (again.file_digest(small), again.file_digest(large)) == digests
    assert hashed == ["small.pt", "large.pt", "small.pt"]


def test_a_miss_reads_no_index_and_a_vanished_folder_is_not_an_entry(tmp_path: Path):
    """The folder is renamed into place before its index row: without it there is no result."""
    cache = ResultCache(tmp_path)
    cache.put_arrays("k", {"a": np.zeros(3)})
    real_get = cache.index.get
    cache.index.get = lambda *a, **k: pytest.fail("a miss looked in the index")
    assert cache.get_arrays("other") is None
    cache.index.get = real_get
    shutil.rmtree(tmp_path / "arrays" / "k")
    assert cache.get_arrays("k") is None and not cache.has("k")
    cache.put_arrays("k", {"a": np.ones(2)})
    assert cache.has("k") and cache.get_arrays("k")["a"].tolist() == [1.0, 1.0]
