"""Runtime wiring of the Dash app: factory, CLI, per-process context, background jobs, Celery, auth."""
