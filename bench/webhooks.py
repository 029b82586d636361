"""Webhooks: how soon a delivery arrives after its commit, whether a slow receiver slows
writes, and whether a server killed with ``kill -9`` in the middle of a burst loses any.

1. Latency: one server, a receiver on loopback subscribed to ``model.price_changed``; each
   price edit goes through the API, and we time from the PATCH's answer (the commit is done)
   to the receiver's arrival. Target p50 <= 200 ms.
2. Isolation: the PATCH round trip with no subscriber, beside the same with a subscriber
   whose receiver takes 2 s to answer.
3. Crash: a burst of 200 price edits written straight to the database; the server that
   delivers them is killed with SIGKILL half-way through the deliveries, then started again.
   Every committed change must reach the receiver (at least once). Target: 0 lost.

    uv run python -m bench.webhooks [--backend postgresql|sqlite] [--writes 100] [--burst 200]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from bench.common import Database, Server, summary
from modelplane.domain.webhooks import WebhookSpec
from modelplane.services import models, webhooks
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import UnitOfWork, factory_for

MODEL = "openai:gpt-5-mini"
ENV = {"MODELPLANE_WEBHOOKS_ALLOW_PRIVATE": "true"}


class Receiver:
    """Keeps, per new input price, when each delivery of it arrived."""

    def __init__(self, delay: float = 0.0) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                at = time.perf_counter()
                data = json.loads(body, parse_float=Decimal)["data"]
                with receiver.condition:
                    receiver.arrivals.setdefault(str(data["new"]["input"]), []).append(at)
                    receiver.condition.notify_all()
                if delay:
                    time.sleep(delay)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, price: str, timeout: float = 10) -> float:
        deadline = time.monotonic() + timeout
        with self.condition:
            while price not in self.arrivals:
                if not self.condition.wait(max(deadline - time.monotonic(), 0)):
                    raise TimeoutError(f"no delivery for price {price}")
            return self.arrivals[price][0]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def subscribe(url: str, database_url: str) -> None:
    engine = create_db_engine(database_url)
    spec = WebhookSpec(
        url=url, secret="whsec_" + "YmVuY2htYXJr" * 3, events=["model.price_changed"]
    )
    webhooks.create_webhook(factory_for(engine), spec, "bench", allow_private=True)
    engine.dispose()


def unsubscribe_all(database_url: str) -> None:
    engine = create_db_engine(database_url)
    uows = factory_for(engine)
    for hook in webhooks.list_webhooks(uows):
        webhooks.delete_webhook(uows, hook.id)
    engine.dispose()


def patch_prices(client: httpx.Client, start: int, count: int) -> list[tuple[str, float, float]]:
    """``count`` price edits through the API: (price, sent, answered) for each."""
    done = []
    version = client.get(f"/api/v1/models/{MODEL}").json()["version"]
    for i in range(start, start + count):
        price = f"{1 + i / 1000:.3f}"
        sent = time.perf_counter()
        response = client.patch(
            f"/api/v1/models/{MODEL}",
            json={"pricing": {"input": price}, "reason": "webhook benchmark"},
            headers={"If-Match": f'"{version}"'},
        )
        response.raise_for_status()
        answered = time.perf_counter()
        version = response.json()["version"]
        done.append((str(Decimal(price).normalize()), sent, answered))
        time.sleep(0.02)
    return done


def latency_and_isolation(db: Database, writes: int) -> None:
    engine = create_db_engine(db.url)
    with UnitOfWork(engine) as uow:
        _, token = create_token(uow, TokenSpec(name="bench", role="editor"), "bench")
        uow.commit()
    engine.dispose()
    server = Server(db.url, **ENV)
    client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    try:
        baseline = patch_prices(client, 0, writes)  # no subscriber yet
        receiver = Receiver()
        subscribe(receiver.url, db.url)
        edits = patch_prices(client, writes, writes)
        after_commit = [(receiver.wait_for(p) - answered) * 1000 for p, _, answered in edits]
        after_sent = [(receiver.wait_for(p) - sent) * 1000 for p, sent, _ in edits]
        receiver.close()
        unsubscribe_all(db.url)

        slow = Receiver(delay=2.0)
        subscribe(slow.url, db.url)
        slowed = patch_prices(client, 2 * writes, writes)
        slow.close()
        unsubscribe_all(db.url)
    finally:
        client.close()
        server.stop()
    print(f"webhook delivery, {writes} price edits through one server ({db.backend})")
    for label, values in (
        ("PATCH answered -> receiver has it", after_commit),
        ("PATCH sent -> receiver has it", after_sent),
        ("PATCH round trip, no subscriber", [(a - s) * 1000 for _, s, a in baseline]),
        ("PATCH round trip, one fast receiver", [(a - s) * 1000 for _, s, a in edits]),
        ("PATCH round trip, a 2 s receiver", [(a - s) * 1000 for _, s, a in slowed]),
    ):
        stats = summary(values)
        print(
            f"  {label:<38} p50 {stats['p50']:7.1f} ms  p99 {stats['p99']:7.1f} ms  "
            f"max {stats['max']:7.1f} ms"
        )
    base = summary([(a - s) * 1000 for _, s, a in baseline])["p50"]
    slow_p50 = summary([(a - s) * 1000 for _, s, a in slowed])["p50"]
    print(f"  slow receiver / no subscriber, write p50 ratio: {slow_p50 / base:.2f}")


def crash(db: Database, burst: int) -> None:
    receiver = Receiver(delay=0.01)  # a little slow, so the burst is still being delivered
    subscribe(receiver.url, db.url)
    engine = create_db_engine(db.url)
    server = Server(db.url, **ENV)
    killed_at = None
    try:
        prices = []
        for i in range(burst):
            price = f"{5 + i / 1000:.3f}"
            with UnitOfWork(engine) as uow:
                models.update_model(uow, MODEL, {"pricing": {"input": price}}, "bench", None)
                uow.commit()
            prices.append(str(Decimal(price).normalize()))
            if killed_at is None and len(receiver.arrivals) >= burst // 4:
                os.kill(server.process.pid, signal.SIGKILL)  # mid-burst, mid-delivery
                server.process.wait(10)
                killed_at = len(receiver.arrivals)
        if killed_at is None:  # deliveries lagged the writes: kill now, half-way through
            while len(receiver.arrivals) < burst // 2:
                time.sleep(0.005)
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
            killed_at = len(receiver.arrivals)
        before_restart = len(receiver.arrivals)
        restarted = time.perf_counter()
        server = Server(db.url, **ENV)
        deadline = time.monotonic() + 90  # leases the dead process held run out first
        while time.monotonic() < deadline and any(p not in receiver.arrivals for p in prices):
            time.sleep(0.05)
        recovered = time.perf_counter() - restarted
    finally:
        server.stop()
        engine.dispose()
        receiver.close()
    lost = [p for p in prices if p not in receiver.arrivals]
    twice = sum(1 for p in prices if len(receiver.arrivals.get(p, [])) > 1)
    print(f"kill -9 mid-burst, {burst} committed price edits ({db.backend})")
    print(f"  delivered when killed              {killed_at}")
    print(f"  delivered before the restart       {before_restart}")
    print(f"  delivered in the end               {burst - len(lost)} (all in {recovered:.1f} s)")
    print(f"  lost                               {len(lost)}  (target 0)")
    print(f"  delivered twice (at least once)    {twice}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--burst", type=int, default=200)
    args = parser.parse_args()
    db = Database(args.backend)
    try:
        latency_and_isolation(db, args.writes)
        unsubscribe_all(db.url)
        crash(db, args.burst)
    finally:
        db.close()


if __name__ == "__main__":
    main()
