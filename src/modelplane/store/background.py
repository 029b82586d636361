"""Writes that must never hold up a request: queued, batched, written on a thread.

Used for the evidence trails (the routing decision log, parity samples): losing a row when
the database is down is acceptable; making a user wait for it is not. The queue is
bounded; what does not fit is dropped and counted.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from modelplane.store.database import WRITE_OPTION

log = logging.getLogger(__name__)
T = TypeVar("T")
_STOP = object()


class BackgroundWriter(Generic[T]):
    def __init__(
        self,
        engine: Engine,
        write: Callable[[Connection, Sequence[T]], None],
        name: str,
        capacity: int = 10_000,
        batch: int = 500,
    ) -> None:
        self._engine = engine
        self._write = write
        self._name = name
        self._batch = batch
        self._queue: queue.Queue[object] = queue.Queue(capacity)
        self.dropped = 0
        self.written = 0
        self._failing = False
        self._thread = threading.Thread(target=self._run, name=f"modelplane-{name}", daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def flush(self) -> None:
        """Block until everything queued so far has been written (or dropped)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                self._queue.task_done()
                return
            items: list[object] = [first]
            while len(items) < self._batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)  # handled after this batch
                    self._queue.task_done()
                    break
                items.append(more)
            try:
                self._write_batch(items)  # type: ignore[arg-type]
            finally:
                for _ in items:
                    self._queue.task_done()

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
