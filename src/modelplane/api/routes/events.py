"""The change stream: Server-Sent Events, one per committed change."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from modelplane.api.deps import PublicRead, RuntimeDep
from modelplane.bootstrap import Runtime
from modelplane.domain.changes import Change
from modelplane.services.changes import changes_since

router = APIRouter(prefix="/api/v1", tags=["live"])
KEEPALIVE_SECONDS = 15.0
QUEUE_LIMIT = 1000


def sse(event: Change, name: str = "change") -> str:
    return f"id: {event.sequence}\nevent: {name}\ndata: {event.json_text()}\n\n"


@router.get(
    "/events",
    dependencies=[PublicRead],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    summary="Stream every change as it lands",
    description=(
        "Server-Sent Events. Each committed change is one `change` event whose data is "
        "`{sequence, kind, ids}`; `kind` is `model`, `profile`, `router_config`, ... or "
        "`reload` (catch up in full). Send `Last-Event-ID` to replay what you missed."
    ),
)
async def events(
    request: Request,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    live = runtime.live
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Change] = asyncio.Queue(QUEUE_LIMIT)

    def on_change(event: Change) -> None:
        loop.call_soon_threadsafe(_offer, queue, event)

    unsubscribe = live.subscribe(on_change)
    start = live.current.sequence
    missed = await asyncio.to_thread(_missed, runtime, last_event_id, start)

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: 1000\nevent: hello\ndata: {json.dumps({'sequence': start})}\n\n"
            for event in missed:
                yield sse(event)
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if event.sequence > start or event.is_reload:
                    yield sse(event)
        finally:
            unsubscribe()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _offer(queue: asyncio.Queue[Change], event: Change) -> None:
    if queue.full():  # a stalled client: tell it to catch up in full
        while not queue.empty():
            queue.get_nowait()
        event = Change.reload(event.sequence)
    queue.put_nowait(event)


def _missed(runtime: Runtime, last_event_id: str | None, until: int) -> list[Change]:
    if not last_event_id or not last_event_id.isdigit():
        return []
    try:
        return changes_since(runtime.unit_of_work, int(last_event_id), until)
    except Exception:
        return [Change.reload(until)]
