"""Celery worker entry point for configs with ``background: {manager: celery}``.

    CC_CONFIG=experiments.yaml CC_CACHE_DIR=/srv/cc-cache \\
        celery -A worker:celery_app worker --pool solo --loglevel INFO

Run it from the repository root with the same CC_CONFIG and CC_CACHE_DIR as the web process.
Importing this module builds the app exactly as gunicorn does (``app.create_app``), which
registers every page's background callbacks as Celery tasks under the same names; the worker
then runs them and writes results to the shared cache directory. The inspector's ``device``
decides where they run (``auto``/``cuda`` uses this machine's GPU; CUDA is initialised lazily,
in the process that runs the job, never at import).
"""

from __future__ import annotations

from app import CELERY_KEY, create_server

server = create_server()  # one-line errors and exit 4 (gunicorn's APP_LOAD_ERROR) on a bad config
if CELERY_KEY not in server.config:
    raise SystemExit("worker.py: the config does not use Celery; set 'background: {manager: celery, "
                     "broker_url: ..., result_backend: ...}' (see README, Deploy for a team)")
celery_app = server.config[CELERY_KEY]
