"""Load test: simulated users replaying real callback payloads against the app under gunicorn.

    python -m benchmarks.load                       # 50 users x 60 s on the demo (starts gunicorn)
    python -m benchmarks.load --users 5 --duration 5 --url http://127.0.0.1:8050
    python -m benchmarks.load --serve-workers 2 --serve-threads 4 --json load.json

Without ``--url`` it serves ``configs/demo.yaml`` (``--config``) with gunicorn on a free
loopback port (``--serve-workers`` x ``--serve-threads``, cache from ``--cache-dir`` or
CC_CACHE_DIR or ./.cache; the demo must be built: ``python app.py --build-only``) and stops it.

Each simulated user is an asyncio task with its own HTTP client and its own selection of 3
models (distinct for every user). It loops over the pages of the payload file
(``tests/support/load/recorded/demo.json``, recorded from Chromium by ``capture_payloads.py``),
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

The parts live in ``payloads`` (payload templates, selections), ``run`` (the simulated users,
``Stats``, ``run_load``) and ``tests.support.gunicorn`` (the launcher), re-exported here for
the load test, ``benchmarks/load.py`` (the CLI) and ``benchmarks/capture_payloads.py``.
"""

from __future__ import annotations

from tests.support.gunicorn import REPO, serve
from tests.support.load.payloads import (
    PAYLOADS,
    UPDATE,
    decode_ids,
    encode_ids,
    end_id,
    fill,
    poll_body,
    selections_in,
    user_selections,
)
from tests.support.load.run import Run, Stats, _check_state, run_load

__all__ = ["PAYLOADS", "REPO", "UPDATE", "Run", "Stats", "_check_state", "decode_ids", "encode_ids",
           "end_id", "fill", "poll_body", "run_load", "selections_in", "serve", "user_selections"]
