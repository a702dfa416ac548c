"""The result cache: one ``diskcache.Cache`` index plus array files, shared by every worker.

Keys hash everything that determines a result (kind, model id, checkpoint digest, dataset
fingerprint, inspector version, arguments), so a changed checkpoint or dataset never serves a
stale result. Arrays are written as ``.npy`` files into a temporary folder that is renamed into
place before the index entry is set: a computation killed half-way leaves no entry, and the
next request recomputes. Entries survive restarts because both parts live on disk.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from backend.infra.fork_gate import GatedCache

# Hashing this much takes about as long as an index lookup and write (~0.2 ms): smaller
# files are simply hashed again by a new process.
INDEXED_DIGEST_BYTES = 256 << 10


class CacheError(RuntimeError):
    """The cache directory cannot be used (read-only, full, ...); the message says which."""


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def result_key(**parts: Any) -> str:
    """A stable hex key from keyword parts (JSON with sorted keys, so order never matters)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    """Disk-backed results: small JSON values in diskcache, arrays as files beside it."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._digests: dict[tuple, str] = {}
        try:
            (self.directory / "arrays").mkdir(parents=True, exist_ok=True)
            # cull_limit=0: an index row never expires or gets evicted (that would orphan its
            # folder), so no write pays diskcache's eviction queries.
            self.index = GatedCache(str(self.directory / "index"), cull_limit=0)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"cache directory {self.directory} is not usable: "
                             f"{exc.strerror or exc}") from None

    def close(self) -> None:
        """Close the SQLite handle (tests and forked workers)."""
        self.index.close()

    # --- small values ------------------------------------------------------------------------
    def get_value(self, key: str) -> Any | None:
        """A JSON-like value, or None when absent."""
        return self.index.get(("value", key))

    def put_value(self, key: str, value: Any) -> None:
        """Store a small JSON-like value."""
        self._write(lambda: self.index.set(("value", key), value))

    # --- arrays ------------------------------------------------------------------------------
    def get_arrays(self, key: str, mmap: bool = True) -> dict[str, np.ndarray] | None:
        """Arrays stored under ``key`` (memory-mapped by default), or None when absent/broken."""
        folder = self.directory / "arrays" / key
        if not folder.is_dir():  # renamed into place before its entry is set: a miss costs no SQL
            return None
        entry = self.index.get(("arrays", key))
        if entry is None:
            return None
        try:
            return {name: np.load(folder / f"{i}.npy", mmap_mode="r" if mmap else None,
                                  allow_pickle=False)
                    for i, name in enumerate(entry["names"])}
        except (OSError, ValueError):
            self.index.delete(("arrays", key))  # files vanished or corrupt: recompute
            return None

    def array_meta(self, key: str) -> dict | None:
        """The metadata stored with an array entry."""
        entry = self.index.get(("arrays", key))
        return None if entry is None else entry.get("meta", {})

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
        """Write arrays atomically: files first (temp folder, then rename), index entry last."""
        final = self.directory / "arrays" / key
        tmp = self.directory / "arrays" / f".tmp-{key[:16]}-{uuid.uuid4().hex}"

        def write() -> None:
            tmp.mkdir(parents=True)
            try:
                for i, value in enumerate(arrays.values()):
                    # no fsync: the rename below is what makes a killed writer harmless
                    with open(tmp / f"{i}.npy", "wb") as fh:
                        np.save(fh, np.ascontiguousarray(value), allow_pickle=False)
                if final.exists():
                    shutil.rmtree(final, ignore_errors=True)
                try:
                    os.replace(tmp, final)
                except OSError as exc:
                    # Two workers computed the same result at once and the other renamed first:
                    # the key fixes the content, so its complete folder is as good as ours.
                    if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not final.is_dir():
                        raise
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            self.index.set(("arrays", key), {"names": list(arrays), "meta": meta or {}})

        self._write(write)

    def has(self, key: str) -> bool:
        """Whether an array entry exists (without loading it): its folder and its index row."""
        return (self.directory / "arrays" / key).is_dir() and ("arrays", key) in self.index

    def sweep_temporaries(self) -> int:
        """Remove temp folders left by killed writers; returns how many were removed."""
        removed = 0
        for tmp in (self.directory / "arrays").glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
            removed += 1
        return removed

    # --- checkpoint digests -----------------------------------------------------------------
    def file_digest(self, path: str | Path) -> str:
        """SHA-256 of a file's content, remembered by (path, size, mtime) so it is hashed once.

        Remembered in this process and, for files large enough that hashing costs more than
        an index round trip, in the index too (a restarted worker need not rehash gigabytes).
        """
        path = Path(path)
        try:
            stat = path.stat()
        except OSError as exc:
            raise FileNotFoundError(f"cannot read {path}: {exc.strerror or exc}") from None
        if path.is_dir():  # a save_pretrained folder: its files' names and contents
            return self._folder_digest(path)
        seen = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        digest = self._digests.get(seen)
        if digest is not None:
            return digest
        if stat.st_size <= INDEXED_DIGEST_BYTES:
            digest = _sha256(path)
        else:
            stamp = ("digest", str(path.resolve()), stat.st_size, stat.st_mtime_ns)
            digest = self.index.get(stamp)
            if digest is None:
                digest = _sha256(path)
                self._write(lambda: self.index.set(stamp, digest))
        self._digests[seen] = digest
        return digest

    def _folder_digest(self, folder: Path) -> str:
        """SHA-256 over the sorted relative names and content digests of a folder's files
        (hidden files skipped: editors and tools leave them; they are not the model)."""
        h = hashlib.sha256()
        files = sorted(p for p in folder.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(folder).parts))
        for file in files:
            h.update(file.relative_to(folder).as_posix().encode() + b"\x00")
            h.update(self.file_digest(file).encode())
        return h.hexdigest()

    def _write(self, fn) -> None:
        try:
            fn()
        except (OSError, sqlite3.Error) as exc:  # sqlite: a read-only or full index
            raise CacheError(f"cannot write to cache directory {self.directory}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
