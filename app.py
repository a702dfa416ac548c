"""Compress & Compare: the entry point (the code lives in ``server/``).

    python app.py [--config PATH] [--host 127.0.0.1] [--port 8050] [--cache-dir DIR]
                  [--debug] [--check] [--print-schema] [--build-only] [--snapshot URL -o FILE]
    gunicorn "app:create_server()"          # config from CC_CONFIG, cache from CC_CACHE_DIR
"""

from __future__ import annotations

from server.cli import main
from server.factory import (
    CELERY_KEY,
    DEFAULT_CACHE,
    DEFAULT_CONFIG,
    GUNICORN_APP_LOAD_ERROR,
    ROOT,
    background_manager,
    create_app,
    create_server,
    load,
    load_path,
)

__all__ = ["CELERY_KEY", "DEFAULT_CACHE", "DEFAULT_CONFIG", "GUNICORN_APP_LOAD_ERROR", "ROOT",
           "background_manager", "create_app", "create_server", "load", "load_path", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
