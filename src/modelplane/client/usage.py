"""Record usage (and feedback on routing decisions) from an app in one line; a background
thread sends it in batches.

>>> recorder = UsageRecorder("https://modelplane.internal", token)      # doctest: +SKIP
>>> recorder.record("openai:gpt-5-mini", feature="chat", input_tokens=1200,
...                 output_tokens=350, latency_ms=840)                  # doctest: +SKIP
>>> recorder.feedback(answer["decisionId"], "thumbs", 1)               # doctest: +SKIP
>>> recorder.close()                                                    # doctest: +SKIP

Memory is bounded: at most ``max_queue`` events wait, plus one batch in flight. When the
queue is full the OLDEST waiting event is dropped and counted in ``stats.dropped``: when
the server has been unreachable that long, the newest events are the ones worth keeping,
and ``record`` never blocks or raises on the app's request path.

Each event is stamped with a fresh UUID (``eventId``) when ``record`` takes it, so a batch
resent after a timeout or a 5xx carries the same ids, and the server stores each event
once even if an earlier attempt had committed before its answer was lost.

A batch the server refuses as invalid (422) names its bad items; those are dropped
(``stats.rejected``) and the rest resent. A batch that cannot be delivered after
``max_attempts`` tries is given up (``stats.failed``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx

log = logging.getLogger(__name__)

_PATH = "/api/v1/usage"
_FEEDBACK_PATH = "/api/v1/feedback"


@dataclass
class RecorderStats:
    accepted: int = 0
    """Events ``record`` took."""
    sent: int = 0
    """Events the server stored, each once, however many attempts that took."""
    duplicates: int = 0
    """Of ``sent``, events the server already held: an earlier attempt had stored them
    but its answer never arrived."""
    dropped: int = 0
    """Events dropped, oldest first, because the queue was full."""
    rejected: int = 0
    """Events the server refused as invalid (an unknown model, say)."""
    failed: int = 0
    """Events given up after ``max_attempts`` failed deliveries."""


class UsageRecorder:
    """Batches usage events and posts them to ``POST /api/v1/usage`` from a daemon thread.

    Use it as a context manager, or call ``close()`` at shutdown so the last events go."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        batch_size: int = 500,
        flush_interval: float = 2.0,
        max_queue: int = 10_000,
        max_attempts: int = 5,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        if batch_size < 1 or max_queue < 1 or flush_interval <= 0:
            raise ValueError("batch_size, max_queue and flush_interval must be positive")
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._batch_size = min(batch_size, 10_000)
        self._interval = flush_interval
        self._max_queue = max_queue
        self._max_attempts = max_attempts
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._in_flight = 0
        self._flush_wanted = False
        self._closing = False
        self._lock = threading.Condition()
        self.stats = RecorderStats()
        self._thread = threading.Thread(target=self._run, name="usage-recorder", daemon=True)
        self._thread.start()

    # The app's side ----------------------------------------------------------------------

    def record(
        self,
        model_id: str,
        *,
        feature: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        latency_ms: int = 0,
        success: bool = True,
        error: str | None = None,
        user_id: str | None = None,
        routing_decision_id: int | None = None,
        decision_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Queue one event, stamped now unless ``at`` is given. Never waits for the network;
        raises only when called after ``close()``."""
        event: dict[str, Any] = {
            "eventId": str(uuid.uuid4()),
            "modelId": model_id,
            "feature": feature,
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "cachedTokens": cached_tokens,
            "reasoningTokens": reasoning_tokens,
            "latencyMs": latency_ms,
            "success": success,
            "at": (at or datetime.now(UTC)).isoformat(),
        }
        optional = (
            ("error", error),
            ("userId", user_id),
            ("routingDecisionId", routing_decision_id),
            ("decisionId", decision_id),
        )
        event.update({k: v for k, v in optional if v is not None})
        self._enqueue(_PATH, event)

    def feedback(
        self,
        decision_id: str,
        signal: str,
        value: float,
        *,
        comment: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Queue a verdict on the decision a route answer's ``decisionId`` names (signal
        ``thumbs``, ``rating``, ``regenerated``, ``task_success`` or ``judge``), sent to
        ``POST /api/v1/feedback`` in batches like usage. Never waits for the network."""
        event: dict[str, Any] = {
            "eventId": str(uuid.uuid4()),
            "decisionId": decision_id,
            "signal": signal,
            "value": value,
            "at": (at or datetime.now(UTC)).isoformat(),
        }
        if comment is not None:
            event["comment"] = comment
        self._enqueue(_FEEDBACK_PATH, event)

    def _enqueue(self, path: str, event: dict[str, Any]) -> None:
        with self._lock:
            if self._closing:
                raise RuntimeError("the recorder is closed")
            if len(self._queue) >= self._max_queue:
                self._queue.popleft()
                self.stats.dropped += 1
            self._queue.append((path, event))
            self.stats.accepted += 1
            if len(self._queue) >= self._batch_size:
                self._lock.notify_all()

    @property
    def pending(self) -> int:
        """Events waiting or in flight."""
        with self._lock:
            return len(self._queue) + self._in_flight

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; ``False`` if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._flush_wanted = True
            self._lock.notify_all()
            while self._queue or self._in_flight:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def close(self, timeout: float | None = 30.0) -> None:
        """Flush, stop the thread, and close the HTTP client if the recorder made it."""
        self.flush(timeout)
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        self._thread.join(timeout)
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # The thread's side -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            taken = self._next_batch()
            if taken is None:
                return
            try:
                self._deliver(*taken)
            finally:
                with self._lock:
                    self._in_flight = 0
                    self._lock.notify_all()

    def _next_batch(self) -> tuple[str, list[dict[str, Any]]] | None:
        """Wait for a full batch, the interval, a flush or close; take up to one batch,
        of events for the same endpoint as the oldest waiting one."""
        with self._lock:
            deadline = time.monotonic() + self._interval
            while len(self._queue) < self._batch_size and not (self._flush_wanted or self._closing):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            if not self._queue:
                self._flush_wanted = False
                return None if self._closing else (_PATH, [])
            path = self._queue[0][0]
            batch: list[dict[str, Any]] = []
            while self._queue and len(batch) < self._batch_size and self._queue[0][0] == path:
                batch.append(self._queue.popleft()[1])
            self._in_flight = len(batch)
            return path, batch

    def _deliver(self, path: str, batch: list[dict[str, Any]]) -> None:
        attempt = 0
        while batch:
            attempt += 1
            try:
                response = self._client.post(
                    self._base + path, json={"events": batch}, headers=self._headers
                )
            except httpx.HTTPError as exc:
                response = None
                log.warning("usage not sent (%s), attempt %d", exc.__class__.__name__, attempt)
            if response is not None and response.status_code == 200:
                self._count("sent", len(batch))
                self._count("duplicates", _duplicates(response))
                return
            if response is not None and response.status_code == 422:
                bad = _bad_items(response, len(batch))
                if bad:
                    self._count("rejected", len(bad))
                    batch = [e for i, e in enumerate(batch) if i not in bad]
                    continue
            if response is not None and response.status_code < 500 and response.status_code != 429:
                log.warning("usage refused with %d; dropping %d", response.status_code, len(batch))
                self._count("failed", len(batch))
                return
            if attempt >= self._max_attempts:
                self._count("failed", len(batch))
                return
            with self._lock:
                if not self._closing:
                    self._lock.wait(min(0.2 * 2**attempt, 10.0))

    def _count(self, what: str, n: int) -> None:
        with self._lock:
            setattr(self.stats, what, getattr(self.stats, what) + n)


def _duplicates(response: httpx.Response) -> int:
    """The ``duplicates`` count of a 200, or 0 if the server did not say."""
    try:
        body = response.json()
    except ValueError:
        return 0
    count = body.get("duplicates", 0) if isinstance(body, dict) else 0
    return count if isinstance(count, int) else 0


def _bad_items(response: httpx.Response, size: int) -> set[int]:
    """Indexes named by a 422's ``errors[].path`` (``events[3].modelId`` -> 3)."""
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        return set()
    found = set()
    for error in errors:
        path = str(error.get("path", ""))
        if path.startswith("events[") and "]" in path:
            index = path[len("events[") : path.index("]")]
            if index.isdigit() and int(index) < size:
                found.add(int(index))
    return found


__all__ = ["RecorderStats", "UsageRecorder"]
