"""Propagation: three server processes on one PostgreSQL database; writes go through one of
them, and for each write we time how long until the other two both serve the new value.

Arrival is observed on each server's change stream (``GET /api/v1/events``), which a server
emits right after it swapped in the new snapshot; a sample of writes is also double-checked
with a plain GET. Prints p50, p99 and max in milliseconds.

    uv run python -m bench.propagation [--writes 200]
"""

from __future__ import annotations

import argparse
import time

import httpx

from bench.common import Arrivals, Database, Server, summary
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import UnitOfWork

MODEL = "openai:gpt-5-mini"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    db = Database("postgresql")
    engine = create_db_engine(db.url)
    with UnitOfWork(engine) as uow:
        _, token = create_token(uow, TokenSpec(name="bench", role="editor"), "bench")
        uow.commit()
    engine.dispose()
    servers = [Server(db.url) for _ in range(3)]
    try:
        writer, followers = servers[0], servers[1:]
        arrivals = Arrivals(followers)
        client = httpx.Client(base_url=writer.url, headers={"Authorization": f"Bearer {token}"})
        version = client.get(f"/api/v1/models/{MODEL}").json()["version"]
        delays, after_ack, write_ms = [], [], []
        for i in range(args.writes):
            price = round(1 + i / 1000, 3)
            start = time.perf_counter()
            response = client.patch(
                f"/api/v1/models/{MODEL}",
                json={"pricing": {"input": price}, "reason": "propagation benchmark"},
                headers={"If-Match": f'"{version}"'},
            )
            response.raise_for_status()
            acked = time.perf_counter()
            version = response.json()["version"]
            sequence = int(response.headers["X-Modelplane-Sequence"])
            arrived = max(arrivals.firsts(sequence))
            delays.append((arrived - start) * 1000)
            after_ack.append(max(arrived - acked, 0) * 1000)
            write_ms.append((acked - start) * 1000)
            if i % 50 == 0:  # the stream's word, checked against what readers get
                for follower in followers:
                    got = httpx.get(f"{follower.url}/api/v1/models/{MODEL}").json()
                    assert got["pricing"]["input"] == price, got
        print(f"propagation over {len(delays)} writes, 3 servers on one PostgreSQL database")
        for label, values in (
            ("write sent -> both others serving it", delays),
            ("write answered -> both others serving it", after_ack),
            ("the write itself (PATCH round trip)", write_ms),
        ):
            stats = summary(values)
            print(
                f"{label:<42} p50 {stats['p50']:6.1f} ms  p99 {stats['p99']:6.1f} ms  "
                f"max {stats['max']:6.1f} ms"
            )
    finally:
        for server in servers:
            server.stop()
        db.close()


if __name__ == "__main__":
    main()
