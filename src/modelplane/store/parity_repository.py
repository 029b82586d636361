"""The parity evidence writer: shadow-mode samples and mismatches, written in batches on
the shared background writer (``store/background.py``) so a sampled request never waits
for them. The comparisons themselves are ``rollout/parity.py``'s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeAlias

from sqlalchemy import Connection, Engine

from modelplane.store.background import BackgroundWriter
from modelplane.store.rollout_repositories import ParityRepository


class Evidence(Protocol):
    """What one shadowed request found: ``parity_samples`` rows (one per source asked) and
    ``parity_mismatches`` rows, by column name."""

    @property
    def samples(self) -> list[dict[str, Any]]: ...

    @property
    def mismatches(self) -> list[dict[str, Any]]: ...


Queued: TypeAlias = Evidence | Callable[[], Evidence]
"""Evidence, or a comparison that finds it, run on the writer's thread."""


class ParityLog:
    """Writes queued evidence through a background writer; a queued comparison runs
    there too, off the request's thread. What cannot keep up, or cannot be written while
    the database is down, is dropped and counted."""

    def __init__(self, engine: Engine, capacity: int = 1000) -> None:
        self._writer: BackgroundWriter[Queued] = BackgroundWriter(
            engine, _write, "parity samples", capacity=capacity, batch=50
        )

    @property
    def dropped(self) -> int:
        return self._writer.dropped

    def record(self, item: Queued) -> None:
        """Queue evidence, or a comparison to run off the request's thread."""
        self._writer.put(item)

    def flush(self) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def _write(conn: Connection, items: Sequence[Queued]) -> None:
    found = [item() if callable(item) else item for item in items]
    repo = ParityRepository(conn)
    for evidence in found:
        repo.add(evidence.samples, evidence.mismatches)


__all__ = ["Evidence", "ParityLog"]
