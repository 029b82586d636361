"""Writes run on threads of their own, so that a hanging database never starves reads.

FastAPI runs a synchronous handler on anyio's one shared pool of threads. A write waits for
the database; while it is silent, every write holds a thread until its deadline, and enough
of them would leave none for the reads and routing that need no database at all. So the
handlers that write (``DatabaseRoute``'s POST, PUT, PATCH and DELETE, and ``run_write``) run
on a separate, bounded ``CapacityLimiter`` (``Settings.db_write_threads``): when it is full,
further writes wait without holding a thread, and the shared pool stays free.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from fastapi.routing import APIRoute

T = TypeVar("T")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_tokens = 10
_limiters: WeakKeyDictionary[object, anyio.CapacityLimiter] = WeakKeyDictionary()


def configure(threads: int) -> None:
    """How many threads the writes get (``create_app`` from the settings)."""
    global _tokens
    _tokens = threads
    for limiter in _limiters.values():
        limiter.total_tokens = threads


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()  # a limiter belongs to its event loop
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(_tokens)
    return limiter


async def run_write(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` on a write thread (for an async handler's database work)."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args), limiter=_limiter())


def on_write_threads(endpoint: Callable[..., T]) -> Callable[..., Any]:
    """An async endpoint that runs the synchronous ``endpoint`` on a write thread, with the
    same (resolved) signature for FastAPI to read its parameters from."""

    @functools.wraps(endpoint)
    async def run(**kwargs: Any) -> T:
        return await run_write(functools.partial(endpoint, **kwargs))

    run.__signature__ = inspect.signature(endpoint, eval_str=True)  # type: ignore[attr-defined]
    return run


class DatabaseRoute(APIRoute):
    """A route whose synchronous write handlers run on the write threads."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        if methods & WRITE_METHODS and not inspect.iscoroutinefunction(endpoint):
            endpoint = on_write_threads(endpoint)
        super().__init__(path, endpoint, **kwargs)
