"""Writes that must never hold up a request: buffered, batched, written on a thread.

Used for the evidence trails (the routing decision log, parity samples, token use): losing
a row when the database is down is acceptable; making a user wait for it is not. The
buffer is bounded; what does not fit is dropped and counted.

Putting an item only appends it to the buffer: the writer thread is not woken per item (a
wake-up per routing decision cost the request path more than the append). It drains the
buffer every ``interval`` seconds, or as soon as ``batch`` items are waiting; ``flush`` and
``close`` write everything put before them, so a clean shutdown loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from modelplane.store.database import WRITE_OPTION

log = logging.getLogger(__name__)
T = TypeVar("T")


class BackgroundWriter(Generic[T]):
    """Thread-safe: ``put`` from any thread."""

    def __init__(
        self,
        engine: Engine,
        write: Callable[[Connection, Sequence[T]], None],
        name: str,
        capacity: int = 10_000,
        batch: int = 500,
        interval: float = 0.2,
    ) -> None:
        self._engine = engine
        self._write = write
        self._name = name
        self._batch = batch
        self._interval = interval
        self._capacity = capacity
        self._items: deque[T] = deque()  # append and popleft are atomic: no lock per item
        self._wake = threading.Event()
        self._stopping = False
        self._writing = threading.Lock()  # one batch at a time: the thread's or a flush's
        self._failing = False
        self.dropped = 0
        self.written = 0
        self._thread = threading.Thread(target=self._run, name=f"modelplane-{name}", daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        """Queue one item. Never blocks; an item that finds the buffer full is dropped and
        counted."""
        items = self._items
        if len(items) >= self._capacity:
            self.dropped += 1
            return
        items.append(item)
        if len(items) == self._batch:  # once per full batch, not per item
            self._wake.set()

    def flush(self) -> None:
        """Block until everything put so far has been written (or dropped)."""
        self._drain()

    def close(self) -> None:
        """Write what is left and stop the writer thread."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)
        self._drain()  # items put while it stopped

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()

    def _drain(self) -> None:
        with self._writing:
            items = self._items
            while items:
                batch: list[T] = []
                try:
                    while len(batch) < self._batch:
                        batch.append(items.popleft())
                except IndexError:
                    pass
                self._write_batch(batch)

    def _write_batch(self, items: list[T]) -> None:
        try:
            with self._engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
                self._write(conn, items)
                conn.commit()
        except Exception as exc:  # the database may be down: evidence is best effort
            self.dropped += len(items)
            if not self._failing:
                log.warning("%s: %d rows not written: %s", self._name, len(items), exc)
            self._failing = True
            return
        self.written += len(items)
        if self._failing:
            log.warning("%s: writing again", self._name)
        self._failing = False
