"""The process's live catalogue: the current snapshot, kept fresh by a watcher thread.

PostgreSQL: LISTEN on the channel that every write NOTIFYs on commit; bursts coalesce into
one reload. A cheap sequence check every ``safety_interval`` seconds catches anything a
dropped connection missed. SQLite: a cheap poll of the change sequence.
If the database goes away, the last snapshot keeps serving (``degraded``) while the watcher
reconnects with backoff; a process that starts without a database serves the static tables.

Health is the watcher's last successful round trip, not only its last error: the watcher
pings every ``safety_interval`` seconds (PostgreSQL: on its LISTEN connection, which has a
short deadline for any answer), and more than ``stale_after`` seconds without a successful
one is ``degraded`` even while a query hangs. Failures and successes also go to the
engine's ``Liveness``, so that writes fail fast while the database is away.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from modelplane.domain.changes import Change
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import DatabaseUnavailable, ModelplaneError
from modelplane.live.snapshot import Snapshot, load_snapshot, static_snapshot
from modelplane.store.database import describe_failure, redacted
from modelplane.store.live_reads import (
    READ_FAILURES,
    ChangeNotifications,
    changes_between,
    current_sequence,
    edits_since,
    notifies,
)
from modelplane.store.liveness import liveness_of

log = logging.getLogger(__name__)
Listener = Callable[[Change], None]
_FAILURES = (*READ_FAILURES, ModelplaneError)
_NOT_STARTED = "not started"
_INCREMENTAL_LIMIT = 200
"""More changed models (or profiles) than this in one catch-up: reload in full instead."""


class LiveCatalog:
    def __init__(
        self,
        engine: Engine,
        poll_interval: float = 0.2,
        safety_interval: float = 1.0,
        coalesce_seconds: float = 0.003,
        max_backoff: float = 2.0,
        stale_after: float = 2.5,
    ) -> None:
        self._engine = engine
        self._url = engine.url.render_as_string(hide_password=False)
        self._poll_interval = poll_interval
        self._safety_interval = safety_interval
        self._coalesce = coalesce_seconds
        self._max_backoff = max_backoff
        self._stale_after = stale_after
        self._liveness = liveness_of(engine)
        self._last_ok: float | None = None
        self._down = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reload_lock = threading.Lock()
        self._changed = threading.Condition()
        self._listeners: list[Listener] = []
        self.current: Snapshot = static_snapshot()
        self.last_error: str | None = _NOT_STARTED

    # Health ------------------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """Serving without the database: its last round trip failed, or the last
        successful one is more than ``stale_after`` seconds old."""
        return self._down or self.silent_for() > self._stale_after

    def silent_for(self) -> float:
        """Seconds since the last successful round trip (infinite before the first)."""
        last = self._last_ok
        return float("inf") if last is None else time.monotonic() - last

    @property
    def problem(self) -> str | None:
        """Why ``degraded``, if it is."""
        if self._down:
            return self.last_error
        silent = self.silent_for()
        if silent > self._stale_after:
            return f"no answer from database {redacted(self._url)} for {silent:.1f}s"
        return None

    def _answered(self) -> None:
        self._last_ok = time.monotonic()
        self._liveness.ok()

    # Life cycle --------------------------------------------------------------------------

    def start(self) -> LiveCatalog:
        """Load the first snapshot (or the static tables if that fails) and start watching."""
        self._liveness.watched = True
        self.refresh()
        self._thread = threading.Thread(target=self._watch, name="modelplane-live", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._liveness.watched = False

    # Listeners (the change stream) -------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def wait_for(self, sequence: int, timeout: float) -> bool:
        """Block until the snapshot reaches ``sequence`` (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.current.sequence < sequence or self.current.source != "db":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    # Reloading ---------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Swap in a new snapshot if the database moved on. True if one was swapped in."""
        with self._reload_lock:
            try:
                changed = self._reload_if_newer(force)
            except _FAILURES as exc:
                self._mark_down(exc)
                return False
            self._answered()
            if self._down and self.last_error != _NOT_STARTED:
                log.warning(
                    "database %s reachable again; serving it (sequence %d)",
                    redacted(self._url),
                    self.current.sequence,
                )
            self._down = False
            self.last_error = None
            return changed

    def _reload_if_newer(self, force: bool) -> bool:
        old = self.current
        sequence = current_sequence(self._engine)
        if not force and old.source == "db" and sequence == old.sequence:
            return self._apply_due_prices(old)
        update = None if force else self._incremental(old)
        if update is not None:
            snapshot, events = update
        else:
            snapshot = load_snapshot(self._engine)
            events = self._events_between(old, snapshot)
        with self._changed:
            self.current = snapshot
            self._changed.notify_all()
        for event in events:
            self._publish(event)
        return True

    def _apply_due_prices(self, old: Snapshot) -> bool:
        """No write since ``old``, but a scheduled price may have started: it applies now,
        here and in every other process, each by its own clock (no database needed)."""
        due = old.with_due_prices(utcnow())
        if due is None:
            return False
        with self._changed:
            self.current = due
            self._changed.notify_all()
        return True

    def _incremental(self, old: Snapshot) -> tuple[Snapshot, list[Change]] | None:
        """When every change since ``old`` is of a kind a snapshot follows and none is
        missing, re-read only the rows they touched (one consistent read) and share the rest
        of ``old``; else ``None``, and the caller reloads in full. This keeps propagation
        cheap at any catalogue size."""
        if old.source != "db":
            return None
        edits = edits_since(self._engine, old.sequence, _INCREMENTAL_LIMIT)
        if edits is None:
            return None
        return old.with_edits(edits), edits.changes

    def _events_between(self, old: Snapshot, new: Snapshot) -> list[Change]:
        if old.source != "db" or new.sequence < old.sequence:
            return [Change.reload(new.sequence)]
        return changes_between(self._engine, old.sequence, new.sequence)

    def _publish(self, event: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not stop propagation
                log.exception("change listener failed")

    def _mark_down(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, ModelplaneError) else describe_failure(self._url, exc)
        if not self._down or self.last_error != message:
            log.warning(
                "%s; serving snapshot %d (%s) until it is back",
                message,
                self.current.sequence,
                self.current.source,
            )
        self._down = True
        self.last_error = message
        self._liveness.down(message)

    # Watching ----------------------------------------------------------------------------

    def _watch(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                if notifies(self._engine):
                    self._listen()
                else:
                    self._poll()
                backoff = 0.1
            except _FAILURES as exc:
                self._mark_down(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            except Exception as exc:  # psycopg errors outside SQLAlchemy, and the unforeseen
                self._mark_down(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    def _wait_seconds(self) -> float:
        """Until the next sequence check: at most ``safety_interval``, less when a
        scheduled price starts sooner."""
        upcoming = self.current.next_price_change
        if upcoming is None:
            return self._safety_interval
        left = (upcoming - utcnow()).total_seconds()
        return min(self._safety_interval, max(left, 0.005))

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_interval):
            self.refresh()
            if self._down:
                raise DatabaseUnavailable(self.last_error or "database unreachable")

    def _listen(self) -> None:
        with ChangeNotifications(self._url, self._liveness.timeouts) as notifications:
            # Anything committed while we were not listening is picked up here.
            self._ping(notifications)
            self.refresh()
            if self._down:
                raise DatabaseUnavailable(self.last_error or "database unreachable")
            while not self._stop.is_set():
                if notifications.wait(self._wait_seconds()):
                    # Coalesce a burst: drain what else arrives within a few milliseconds.
                    notifications.drain(self._coalesce)
                sequence = self._ping(notifications)
                if sequence != self.current.sequence or self.current.source != "db":
                    self.refresh()
                else:
                    self._apply_due_prices(self.current)
                if self._down:
                    raise DatabaseUnavailable(self.last_error or "database unreachable")

    def _ping(self, notifications: ChangeNotifications) -> int:
        """The sequence, read on the LISTEN connection: a silent database fails it within
        its short deadline, whatever the pool is waiting for (the caller reconnects). An
        answer clears the engine's failure first, so that a refresh may use the pool."""
        sequence = notifications.sequence()
        self._answered()
        return sequence
