"""HTTP side of the live snapshot: pin one snapshot per request, expose its sequence,
and answer conditional GETs.

- Every response carries ``X-Modelplane-Sequence``: the snapshot it was served from.
- A GET answered without an ETag of its own (a collection) gets ``ETag: "s<sequence>"``;
  single resources set their own version as ETag (the one ``If-Match`` checks).
- ``If-None-Match`` matching the ETag gets 304 with no body.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelplane.bootstrap import Runtime
from modelplane.live.source import pin, unpin

SEQUENCE_HEADER = "X-Modelplane-Sequence"


def collection_etag(sequence: int) -> str:
    return f'"s{sequence}"'


class SnapshotMiddleware:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.runtime.live_reads:
            await self.app(scope, receive, send)
            return
        snapshot = self.runtime.live.current
        token = pin(snapshot)
        request_headers = Headers(scope=scope)
        conditional = scope["method"] in ("GET", "HEAD") and "if-none-match" in request_headers
        wanted = {t.strip() for t in request_headers.get("if-none-match", "").split(",")}
        not_modified = False

        async def send_with_headers(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                reading = scope["method"] in ("GET", "HEAD")
                # A write answers with the sequence it produced (its process is refreshed).
                sequence = snapshot.sequence if reading else self.runtime.live.current.sequence
                headers[SEQUENCE_HEADER] = str(sequence)
                ok = message["status"] == 200 and reading
                if ok and "etag" not in headers:
                    headers["ETag"] = collection_etag(snapshot.sequence)
                if conditional and ok and (headers.get("etag") in wanted or "*" in wanted):
                    not_modified = True
                    message["status"] = 304
                    for name in ("content-length", "content-type"):
                        if name in headers:
                            del headers[name]
            elif message["type"] == "http.response.body" and not_modified:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            unpin(token)
