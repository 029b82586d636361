"""Running work that takes a unit of work for a face, so that no face opens or commits a
transaction itself: read-only queries (the experiment and rollout reports), and the writes
of services that do not open their own yet (usage ingestion)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")


def read(uows: UnitOfWorkFactory, query: Callable[[UnitOfWork], T]) -> T:
    """``query`` in one read-only transaction: it never takes SQLite's write lock and, on
    PostgreSQL, sees one consistent snapshot."""
    with uows(read_only=True) as uow:
        return query(uow)


def write(uows: UnitOfWorkFactory, work: Callable[[UnitOfWork], T]) -> T:
    """``work`` in one transaction, committed if it returns."""
    with uows() as uow:
        result = work(uow)
        uow.commit()
    return result
