"""A webhook receiver for tests: a tiny HTTP server on loopback that keeps what it gets and
checks signatures the way the README tells a receiver to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body, parse_float=Decimal)
        return data

    def signed_by(self, secret: str) -> bool:
        """The README's verification: HMAC-SHA256 over ``id.timestamp.body`` with the
        secret (its base64 payload when written ``whsec_…``), compared in constant time."""
        key = (
            base64.b64decode(secret.removeprefix("whsec_"))
            if secret.startswith("whsec_")
            else secret.encode()
        )
        signed = f"{self.headers['webhook-id']}.{self.headers['webhook-timestamp']}.".encode()
        expected = base64.b64encode(hmac.new(key, signed + self.body, hashlib.sha256).digest())
        sent = [s.split(",", 1)[1] for s in self.headers["webhook-signature"].split()]
        return any(hmac.compare_digest(expected.decode(), s) for s in sent)


class Receiver:
    """``statuses``: the answers to give, in order (the last repeats); ``delay``: seconds
    to wait before answering."""

    def __init__(self, statuses: tuple[int, ...] = (200,), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Received(headers, body, time.time()))
                    status = (
                        receiver.statuses.pop(0)
                        if len(receiver.statuses) > 1
                        else (receiver.statuses[0])
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def of_kind(self, kind: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.payload["type"] == kind]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
