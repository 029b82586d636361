"""A size limit on every request body, API and console alike.

``MODELPLANE_BODY_MAX_BYTES`` (1 MiB) for every endpoint, ``MODELPLANE_IMPORT_MAX_BYTES``
(20 MiB, plus room for a form's multipart framing) for the bulk ones: the two that take an
import document, which check their exact limit themselves, and usage ingestion (a batch of
up to 10,000 events). A body declared larger (``Content-Length``) is refused
before a byte of it is read; one that is sent larger without declaring it is refused as soon
as it passes the limit. Either way the answer is 413, a problem naming the limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelplane.api.problems import BodyTooLarge, body_too_large

BULK_PATHS = frozenset(
    {"/api/v1/import", "/admin/import", "/api/v1/usage", "/admin/auto-router/playground/replay"}
)
MULTIPART_ALLOWANCE = 64 * 1024
"""What a console upload may add to the document: the form's other fields and framing."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, import_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.import_max_bytes = import_max_bytes + MULTIPART_ALLOWANCE

    def limit_for(self, path: str) -> int:
        return self.import_max_bytes if path in BULK_PATHS else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await body_too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)  # answered by the app's problem handler
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


__all__ = ["BodyLimitMiddleware"]
