"""A forked background job lets go of the web worker's sockets.

Why: Dash's DiskcacheManager forks each job from a gunicorn worker, so the job inherits every
open socket of the worker: the listening socket and the browsers' keep-alive connections. When
the worker then closes an idle keep-alive connection, the job still holds it open, so no FIN
reaches the browser; the browser sends its next request (the job's progress poll, a cancel) on
that connection, nobody reads it, and the page waits forever (seen on the Behaviors page: no
progress and Cancel without effect while a job ran longer than gunicorn's keep-alive). The job
needs none of these sockets (it talks to the web process through the cache files), so each is
pointed at /dev/null: the socket is released, and its descriptor number stays taken, so Python
objects that still name it can never close a file the job opens later.
"""

from __future__ import annotations

import os
import stat


def _open_fds() -> list[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
        except OSError:
            continue
    return list(range(3, 1024))


def release_inherited_sockets() -> int:
    """Point every socket descriptor of this (just forked) process at /dev/null; how many."""
    released = 0
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in _open_fds():
            if fd == null:
                continue
            try:
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
                    released += 1
            except OSError:  # closed meanwhile (the listing's own descriptor), or not ours
                continue
    finally:
        os.close(null)
    return released
