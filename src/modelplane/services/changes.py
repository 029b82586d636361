"""The change log as the faces read it: what a reconnecting listener missed."""

from __future__ import annotations

from modelplane.domain.changes import Change
from modelplane.store.repositories import ChangeLogRepository
from modelplane.store.unit_of_work import UnitOfWorkFactory


def changes_since(uows: UnitOfWorkFactory, sequence: int, until: int | None = None) -> list[Change]:
    """Changes after ``sequence`` (up to ``until``), oldest first, in one read-only
    transaction."""
    with uows(read_only=True) as uow:
        return ChangeLogRepository(uow.connection).since(sequence, until)
