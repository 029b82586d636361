"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for classifier tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """A local OpenAI-compatible chat-completions server. ``answers`` is a queue of what to
    return, one per request: a dict (sent as the JSON content), a string (sent as the raw
    content), an int (that HTTP status) or a float (sleep that long, then answer)."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append(dict(self.headers))
                answer = server.answers.pop(0) if server.answers else 500
                if isinstance(answer, float):
                    time.sleep(answer)
                    answer = {"primaryCategory": "coding", "complexity": "simple"}
                if isinstance(answer, int):
                    self.send_response(answer)
                    self.end_headers()
                    return
                content = answer if isinstance(answer, str) else json.dumps(answer)
                payload = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
