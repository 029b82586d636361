"""Reads and routing through a silent partition between the server and PostgreSQL.

A server process reaches PostgreSQL through a relay that, for ``--seconds``, keeps
accepting connections but forwards nothing (``tests/support.TcpProxy.freeze``). Steady
reads (GET a model) and routes (POST /api/v1/route) run throughout, and ``--writes``
concurrent writes start as the partition does. Prints, before / during / after: the
median and p99 latency of reads and routes and their status codes; how long ``/healthz``
took to say ``degraded`` and then ``ok`` again; the writes' status codes and slowest answer.

    .venv/bin/python -m bench.partition --seconds 40 --writes 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from tests.support import ServerProcess, TcpProxy

from bench.common import Database
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import UnitOfWork

MODEL = "google:gemini-2.5-pro"


class Load:
    """Reads and routes on their own threads, each answer's latency kept by phase."""

    def __init__(self, base: str, token: str) -> None:
        self.phase = "before"
        self.samples: dict[tuple[str, str], list[float]] = {}
        self.codes: Counter[tuple[str, str, int]] = Counter()
        self._stop = threading.Event()
        headers = {"Authorization": f"Bearer {token}"}
        self._threads = [
            threading.Thread(target=self._run, args=(base, headers, kind), daemon=True)
            for kind in ("read", "route")
        ]

    def _run(self, base: str, headers: dict[str, str], kind: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while not self._stop.is_set():
                phase = self.phase
                started = time.perf_counter()
                if kind == "read":
                    response = client.get(f"/api/v1/models/{MODEL}")
                else:
                    response = client.post("/api/v1/route", json={"text": "a haiku on rain"})
                elapsed = time.perf_counter() - started
                self.samples.setdefault((kind, phase), []).append(elapsed)
                self.codes[(kind, phase, response.status_code)] += 1
                time.sleep(0.005)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


def _write(base: str, token: str, price: int, out: list[tuple[int, float]]) -> None:
    started = time.monotonic()
    try:
        version = httpx.get(f"{base}/api/v1/models/{MODEL}", timeout=10).json()["version"]
        response = httpx.patch(
            f"{base}/api/v1/models/{MODEL}",
            json={"pricing": {"input": price}},
            headers={"Authorization": f"Bearer {token}", "If-Match": f'"{version}"'},
            timeout=60,
        )
        status = response.status_code
    except httpx.HTTPError:
        status = -1
    out.append((status, time.monotonic() - started))


def _until(base: str, status: str, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).json()["status"] == status:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return float("inf")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="partition length")
    parser.add_argument("--writes", type=int, default=50, help="concurrent writes")
    parser.add_argument("--phase-seconds", type=float, default=5.0, help="before and after")
    args = parser.parse_args()

    database = Database("postgresql")
    relay = TcpProxy("127.0.0.1", 5432).start()
    url = make_url(database.url).set(port=relay.port).render_as_string(hide_password=False)
    engine = create_db_engine(database.url)
    with UnitOfWork(engine) as uow:
        _, editor = create_token(uow, TokenSpec(name="bench-editor", role="editor"), "bench")
        _, viewer = create_token(uow, TokenSpec(name="bench-viewer", role="viewer"), "bench")
        uow.commit()
    engine.dispose()
    server = ServerProcess(url, Path(tempfile.mkdtemp()))
    load = Load(server.url, viewer)
    writes: list[tuple[int, float]] = []
    try:
        _until(server.url, "ok", 15)
        load.start()
        time.sleep(args.phase_seconds)

        load.phase = "during"
        relay.freeze()
        frozen = time.monotonic()
        writers = [
            threading.Thread(target=_write, args=(server.url, editor, 3 + i, writes))
            for i in range(args.writes)
        ]
        for writer in writers:
            writer.start()
        to_degraded = _until(server.url, "degraded", args.seconds)
        for writer in writers:
            writer.join(max(0.0, args.seconds - (time.monotonic() - frozen)) + 60)
        time.sleep(max(0.0, args.seconds - (time.monotonic() - frozen)))

        relay.thaw()
        load.phase = "after"
        to_ok = _until(server.url, "ok", 30)
        time.sleep(args.phase_seconds)
    finally:
        load.stop()
        server.stop()
        relay.cut()
        database.close()

    print(f"silent partition of {args.seconds:g}s, {args.writes} concurrent writes at its start")
    print(f"/healthz degraded after {to_degraded:.2f}s; ok again {to_ok:.2f}s after the thaw")
    codes = Counter(status for status, _ in writes)
    slowest = max((seconds for _, seconds in writes), default=float("nan"))
    print(f"writes: {dict(sorted(codes.items()))}, slowest answer {slowest:.2f}s")
    print(f"{'':8}{'phase':>8}{'n':>7}{'median ms':>11}{'p99 ms':>9}  status codes")
    for kind in ("read", "route"):
        for phase in ("before", "during", "after"):
            values = load.samples.get((kind, phase), [])
            if not values:
                continue
            statuses = {c: n for (k, p, c), n in load.codes.items() if k == kind and p == phase}
            print(
                f"{kind:8}{phase:>8}{len(values):>7}"
                f"{statistics.median(values) * 1000:>11.1f}{_p99(values) * 1000:>9.1f}  {statuses}"
            )


if __name__ == "__main__":
    main()
