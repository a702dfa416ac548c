"""Add, edit, delete and list annotations; every database failure becomes one line.

A store is per process (gunicorn workers each open their own engine); writes are single short
transactions, so concurrent workers neither lose nor duplicate notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.annotations.connect import WRITE, AnnotationsUnavailable, describe_url, make_engine, one_line
from backend.annotations.migrate import upgrade
from backend.annotations.records import (
    GLOBAL_SCOPE,
    Annotation,
    AnnotationError,
    check_author,
    check_note,
    check_status,
    check_target,
    statuses_for,
)
from backend.annotations.tables import AnnotationRow

T = TypeVar("T")
MAX_LIST = 100_000


def _utc(value: datetime) -> datetime:
    """SQLite hands times back without their zone; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _record(row: AnnotationRow) -> Annotation:
    return Annotation(row.id, row.target, row.model_id, row.instance_id, row.scope, row.status, row.note,
                      row.author, _utc(row.created_at), _utc(row.updated_at))


class AnnotationStore:
    """Annotations in one database; ``statuses`` are the names a note may carry."""

    def __init__(self, engine: Engine, statuses: Iterable[str] = ()) -> None:
        self.engine = engine
        self.statuses = statuses_for(statuses)
        self.where = describe_url(engine.url)

    def _run(self, work: Callable[[Session], T], write: bool = False) -> T:
        """Run ``work`` in one transaction; database errors become AnnotationsUnavailable."""
        try:
            bind = self.engine.execution_options(**{WRITE: True}) if write else self.engine
            with Session(bind, expire_on_commit=False) as session, session.begin():
                return work(session)
        except SQLAlchemyError as exc:
            raise AnnotationsUnavailable(f"annotations: {self.where}: {one_line(exc)}") from None

    def add(self, model_id: str, status: str, note: str, author: str, *, target: str = "model",
            instance_id: str | None = None, scope: str = GLOBAL_SCOPE) -> Annotation:
        """Store a new note; AnnotationError (one line) when a field is refused."""
        target, model_id, instance_id, scope = check_target(target, model_id, instance_id, scope)
        status = check_status(status, self.statuses)
        note, author = check_note(note), check_author(author)
        now = datetime.now(UTC)
        row = AnnotationRow(target=target, model_id=model_id, instance_id=instance_id, scope=scope,
                            status=status, note=note, author=author, created_at=now, updated_at=now)

        def work(session: Session) -> Annotation:
            session.add(row)
            session.flush()
            return _record(row)

        return self._run(work, write=True)

    def update(self, annotation_id: int, *, status: str | None = None, note: str | None = None) -> Annotation:
        """Change a note's status and/or text; AnnotationError when there is no such note."""
        new_status = None if status is None else check_status(status, self.statuses)
        new_note = None if note is None else check_note(note)

        def work(session: Session) -> Annotation:
            row = session.get(AnnotationRow, annotation_id)
            if row is None:
                raise AnnotationError(f"annotation {annotation_id}: no such annotation")
            if new_status is not None:
                row.status = new_status
            if new_note is not None:
                row.note = new_note
            row.updated_at = datetime.now(UTC)
            session.flush()
            return _record(row)

        return self._run(work, write=True)

    def delete(self, annotation_id: int) -> bool:
        """Remove a note; False when it was not there."""
        def work(session: Session) -> bool:
            result = session.execute(delete(AnnotationRow).where(AnnotationRow.id == annotation_id))
            return bool(result.rowcount)

        return self._run(work, write=True)

    def get(self, annotation_id: int) -> Annotation | None:
        """One note by id, or None."""
        def work(session: Session) -> Annotation | None:
            row = session.get(AnnotationRow, annotation_id)
            return None if row is None else _record(row)

        return self._run(work)

    def list(self, *, status: str | None = None, model_id: str | None = None,
             models: Iterable[str] | None = None, target: str | None = None,
             scope: str | None = None, limit: int = MAX_LIST) -> list[Annotation]:
        """Notes in the order they were written, filtered by any of the given fields."""
        query = select(AnnotationRow).order_by(AnnotationRow.id).limit(max(0, min(limit, MAX_LIST)))
        if status is not None:
            query = query.where(AnnotationRow.status == status)
        if model_id is not None:
            query = query.where(AnnotationRow.model_id == model_id)
        if models is not None:
            query = query.where(AnnotationRow.model_id.in_(list(models)))
        if target is not None:
            query = query.where(AnnotationRow.target == target)
        if scope is not None:
            query = query.where(AnnotationRow.scope == scope)
        return self._run(lambda session: [_record(r) for r in session.scalars(query)])

    def model_statuses(self) -> dict[str, str]:
        """Each model's latest model-level status (the map's badges, the URL's ``flag=``)."""
        latest: dict[str, str] = {}
        for note in self.list(target="model"):
            latest[note.model_id] = note.status
        return latest

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()


def open_store(url: str, statuses: Iterable[str] = ()) -> AnnotationStore:
    """A store on ``url`` with its schema at head; AnnotationsUnavailable (one line) if it cannot be."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise AnnotationsUnavailable(f"annotations: {describe_url(url)}: {one_line(exc)}") from None
    return AnnotationStore(engine, statuses)
