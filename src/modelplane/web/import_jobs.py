"""Console imports applied in the background, and how far each has got.

An apply of thousands of models takes seconds. The console starts it on a thread of this
process (``start``) and sends the browser to the job's page, which shows its phase and how
many models are written until it ends; then the result, or the error (nothing written: the
apply is still one transaction, ``services/bulk``).

Jobs live in this process's memory only: a job is known to the process that runs it, for an
hour after it ends and among the last ``KEPT`` jobs. After a restart, or on another process
behind a load balancer without sticky sessions, its page says the job is unknown here (the
import's outcome is in the history either way).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

KEPT = 50
"""How many jobs a process remembers (the oldest ended ones are forgotten first)."""
MAX_AGE_SECONDS = 3600
"""How long an ended job is remembered."""
WORKERS = 2
"""Applies running at once in one process; more wait their turn (shown as queued)."""

RUNNING, DONE, REFUSED, FAILED = "running", "done", "refused", "failed"


@dataclass
class Job:
    """One apply: who started it, its progress, and (once ended) its outcome."""

    id: str
    owner: str
    """The username of who started it: only they, or an admin, may see it."""
    started: float = field(default_factory=time.time)
    state: str = RUNNING
    phase: str = "queued"
    done: int = 0
    total: int = 0
    models_written: int = 0
    models_total: int = 0
    ended: float | None = None
    outcome: dict[str, Any] = field(default_factory=dict)
    """What the page shows once it ended (the route's to fill: report, errors, message...)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, phase: str, done: int, total: int) -> None:
        """A ``services.bulk.Progress``: called on the applying thread."""
        with self._lock:
            self.phase, self.done, self.total = phase, done, total
            if phase == "models":
                self.models_written, self.models_total = done, total

    def end(self, state: str, **outcome: Any) -> None:
        with self._lock:
            self.state = state
            self.outcome = outcome
            self.ended = time.time()

    def status(self) -> dict[str, Any]:
        """The job's state as the page's script polls it."""
        with self._lock:
            return {
                "id": self.id,
                "state": self.state,
                "phase": self.phase,
                "done": self.done,
                "total": self.total,
                "modelsWritten": self.models_written,
                "modelsTotal": self.models_total,
                "elapsedSeconds": round((self.ended or time.time()) - self.started, 1),
            }


class Jobs:
    """This process's jobs, by id."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def start(self, owner: str, work: Callable[[Job], None]) -> Job:
        """Run ``work(job)`` in the background; it reports through ``job.advance`` and ends
        the job with ``job.end``. Whatever it raises ends the job as failed."""
        job = Job(secrets.token_hex(16), owner)
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
            if self._pool is None:
                self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="console-import")
            pool = self._pool
        pool.submit(_run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _forget_old(self) -> None:
        now = time.time()
        ended = [j for j in self._jobs.values() if j.ended is not None]
        for job in ended:
            if job.ended is not None and now - job.ended > MAX_AGE_SECONDS:
                del self._jobs[job.id]
        ended = sorted(
            (j for j in self._jobs.values() if j.ended is not None), key=lambda j: j.started
        )
        while len(self._jobs) >= KEPT and ended:
            del self._jobs[ended.pop(0).id]


def _run(job: Job, work: Callable[[Job], None]) -> None:
    job.advance("checking", 0, 0)
    try:
        work(job)
    except Exception:  # the page must say it ended; the log keeps the why
        log.exception("console import job %s failed", job.id)
        job.end(FAILED, message="the import failed unexpectedly; nothing was written")
    else:
        if job.state == RUNNING:
            job.end(FAILED, message="the import ended without an outcome")


JOBS = Jobs()
"""The process's jobs (one console per process)."""

__all__ = ["DONE", "FAILED", "JOBS", "REFUSED", "RUNNING", "Job", "Jobs"]
