"""Scheduled change requests: three server processes on one PostgreSQL database, each with
its own scheduler. For each trial a router-config change is opened, approved by a second
user and scheduled ``--lead`` seconds ahead; we time, per process, how long after the
request's ``apply_at`` that process serves the change.

Arrival is observed on each server's change stream (``GET /api/v1/events``), which a server
emits right after it swapped in the new snapshot (the applying process's own refresh
included). The benchmark, the servers and the database share one host, so one wall clock
measures ``apply_at`` and the arrivals. Prints the median, p99 and max in milliseconds.

    uv run python -m bench.scheduled_apply [--trials 20] [--lead 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, select

from bench.common import Database, Server, summary
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store import tables as t
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import UnitOfWork


class ConfigArrivals:
    """Per server, the wall-clock time at which each router-config change arrived."""

    def __init__(self, servers: list[Server]) -> None:
        self.seen: list[dict[int, float]] = [{} for _ in servers]
        self._condition = threading.Condition()
        self._ready = threading.Barrier(len(servers) + 1)
        for index, server in enumerate(servers):
            threading.Thread(target=self._follow, args=(index, server), daemon=True).start()
        self._ready.wait(30)

    def _follow(self, index: int, server: Server) -> None:
        with (
            contextlib.suppress(httpx.HTTPError),  # the server stops at the end
            httpx.stream("GET", f"{server.url}/api/v1/events", timeout=None) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("event: hello"):
                    self._ready.wait(30)
                elif line.startswith("data: ") and '"router_config"' in line:
                    arrived = time.time()
                    sequence = json.loads(line[6:])["sequence"]
                    with self._condition:
                        self.seen[index][sequence] = arrived
                        self._condition.notify_all()

    def wait(self, after: int, timeout: float) -> list[float]:
        """Each server's arrival time of its first router-config change after ``after``."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                times = [
                    min((t for s, t in seen.items() if s > after), default=None)
                    for seen in self.seen
                ]
                if all(t is not None for t in times):
                    return [t for t in times if t is not None]
                if not self._condition.wait(deadline - time.monotonic()):
                    raise TimeoutError("the scheduled change did not arrive everywhere")


def _tokens(url: str) -> dict[str, dict[str, str]]:
    engine = create_db_engine(url)
    found = {}
    with UnitOfWork(engine) as uow:
        for name, role in (("author", "editor"), ("approver", "admin")):
            _, token = create_token(uow, TokenSpec(name=name, role=role), "bench")
            found[name] = {"Authorization": f"Bearer {token}"}
        uow.commit()
    engine.dispose()
    return found


def _trial(
    api: str, tokens: dict[str, dict[str, str]], lead: float, retries: int
) -> tuple[datetime, int]:
    """Open, approve and schedule one change; its ``apply_at`` and the sequence before it."""
    config = httpx.get(f"{api}/router/config", headers=tokens["author"])
    version = int(config.json()["version"])
    change = {
        "kind": "router_config",
        "id": "router",
        "patch": {"routerSettings": {"maxRetries": retries}},
        "expectedVersion": version,
    }
    body = {"title": f"retries {retries}", "changes": [change]}
    created = httpx.post(f"{api}/change-requests", json=body, headers=tokens["author"])
    created.raise_for_status()
    rid = created.json()["id"]
    httpx.post(
        f"{api}/change-requests/{rid}/approve", json={}, headers=tokens["approver"]
    ).raise_for_status()
    at = datetime.now(UTC) + timedelta(seconds=lead)
    scheduled = httpx.post(
        f"{api}/change-requests/{rid}/apply", json={"at": at.isoformat()}, headers=tokens["author"]
    )
    scheduled.raise_for_status()
    return at, int(scheduled.headers["X-Modelplane-Sequence"])


def _committed_at(engine: Engine, after: int) -> datetime:
    """When the router-config change after ``after`` was committed (the change log's time)."""
    c = t.change_log.c
    query = select(c.at).where(c.sequence > after, c.kind == "router_config").order_by(c.sequence)
    with engine.connect() as conn:
        at = conn.execute(query.limit(1)).scalar_one()
    assert isinstance(at, datetime)
    return at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--lead", type=float, default=5.0, help="seconds ahead to schedule")
    args = parser.parse_args()
    db = Database("postgresql")
    tokens = _tokens(db.url)
    servers = [Server(db.url) for _ in range(3)]
    try:
        api = servers[0].url + "/api/v1"
        httpx.put(
            f"{api}/approval-policies/router_config",
            json={"approvers": 1, "role": "editor"},
            headers=tokens["approver"],
        ).raise_for_status()
        arrivals = ConfigArrivals(servers)
        per_server: list[list[float]] = [[] for _ in servers]
        last: list[float] = []
        committed: list[float] = []
        engine = create_db_engine(db.url)
        for trial in range(args.trials):
            at, sequence = _trial(api, tokens, args.lead, 4 + trial % 2)
            times = arrivals.wait(sequence, args.lead + 30)
            lags = [(arrived - at.timestamp()) * 1000 for arrived in times]
            for index, lag in enumerate(lags):
                per_server[index].append(lag)
            last.append(max(lags))
            committed.append((_committed_at(engine, sequence) - at).total_seconds() * 1000)
        engine.dispose()
        print(
            f"scheduled apply over {args.trials} trials ({args.lead:g} s ahead), "
            "3 servers on one PostgreSQL database; lag from apply_at to serving it"
        )
        rows = [(f"server {i + 1}", lags) for i, lags in enumerate(per_server)]
        for label, values in [("committed", committed), *rows, ("all 3 serving it", last)]:
            stats = summary(values)
            print(
                f"{label:<18} median {stats['p50']:6.1f} ms  p99 {stats['p99']:6.1f} ms  "
                f"max {stats['max']:6.1f} ms"
            )
    finally:
        for server in servers:
            server.stop()
        db.close()


if __name__ == "__main__":
    main()
