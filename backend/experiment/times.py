"""When a model was created: one parser and one writer for the ``created`` field.

Why one module: the loader, ``ExperimentLog``, the MLflow importer and the demo's builder all
read or write the same field, so "naive means UTC" and "ISO 8601, seconds" are decided once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

EXAMPLE = "2024-12-07T14:05:30Z"


def parse_created(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (or YAML's own date/datetime), else None.

    A naive time is taken as UTC; ``Z`` and any offset are accepted. YAML turns an unquoted
    ``2024-12-07 14:05:30`` into a datetime (and ``2024-12-07`` into a date) before we see it.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # '0001-01-01T00:00+01:00' is before the first representable time
        return None


def iso_utc(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as ISO 8601 UTC to the second: '2024-12-07T14:05:30Z'."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_epoch_ms(ms: float | int | None) -> str | None:
    """An epoch time in milliseconds (MLflow's start_time) as ``iso_utc`` text, or None."""
    if ms is None or isinstance(ms, bool):
        return None
    try:
        return iso_utc(datetime.fromtimestamp(ms / 1000, UTC))
    except (OverflowError, OSError, ValueError):
        return None
