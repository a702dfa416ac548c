"""A forked job releases the sockets it inherited, so a connection the web worker closes is
really closed (the browser sees it end instead of waiting on it forever)."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from server.job_sockets import release_inherited_sockets


@pytest.mark.skipif(not hasattr(os, "fork"), reason="jobs are forked only where fork exists")
@pytest.mark.parametrize("release", [True, False], ids=["released", "kept (the bug)"])
def test_a_closed_connection_ends_although_a_forked_job_still_runs(release: bool):
    worker_end, browser_end = socket.socketpair()  # a keep-alive connection of the web worker
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the job: release (or not), then keep running until told to stop
        code = 0
        try:
            if release:
                code = 0 if release_inherited_sockets() >= 1 else 3
                if stat.S_ISSOCK(os.fstat(worker_end.fileno()).st_mode):
                    code = 4
            os.write(ready_w, b"x")
            os.read(done_r, 1)
        finally:
            os._exit(code)
    try:
        assert os.read(ready_r, 1) == b"x"
        worker_end.close()  # the worker closes the idle connection
        browser_end.settimeout(2)
        if release:
            assert browser_end.recv(1) == b""  # the end of the connection reaches the browser
        else:
            with pytest.raises(TimeoutError):  # the job holds it open: nothing ever arrives
                browser_end.recv(1)
    finally:
        os.write(done_w, b"x")
        _, status = os.waitpid(pid, 0)
        browser_end.close()
        for fd in (ready_r, ready_w, done_r, done_w):
            os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
