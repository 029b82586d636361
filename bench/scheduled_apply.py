"""Scheduled change requests: three server processes on one PostgreSQL database, each with
its own scheduler. For each trial a router-config change is opened, approved by a second
user and scheduled ``--lead`` seconds ahead; we time, per process, how long after the
request's ``apply_at`` that process serves the change.

Arrival is observed on each server's change stream (``GET /api/v1/events``), which a server
emits right after it swapped in the new snapshot (the applying process's own refresh
included). The benchmark, the servers and the database share one host, so one wall clock
measures ``apply_at`` and the arrivals. Prints the median, p99 and max in milliseconds.

To say where the time goes, each arrival is split in three legs: ``committed`` (the change
log's time of the commit, from ``apply_at``), ``swapped in`` (when each server's watcher
had the new snapshot and told its listeners: the ``appliedAt`` its heartbeat reports in
``GET /api/v1/fleet``, from ``apply_at``) and the stream's delivery to this process (the
rest of ``server N``).

    uv run python -m bench.scheduled_apply [--trials 20] [--lead 5]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, select

from bench.common import Arrivals, Database, Server, summary
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store import tables as t
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import UnitOfWork


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


def _swapped_in(api: str, token: dict[str, str], pids: list[int]) -> list[datetime | None]:
    """Each server's last ``appliedAt`` as its heartbeat reported it (by process id)."""
    fleet = httpx.get(f"{api}/fleet", headers=token).json()
    seen = {p["pid"]: p["appliedAt"] for p in fleet["processes"] if not p["silent"]}
    return [datetime.fromisoformat(seen[pid]) if seen.get(pid) else None for pid in pids]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--lead", type=float, default=5.0, help="seconds ahead to schedule")
    args = parser.parse_args()
    db = Database("postgresql")
    tokens = _tokens(db.url)
    servers = [Server(db.url, MODELPLANE_HEARTBEAT_INTERVAL_MS="100") for _ in range(3)]
    pids = [server.process.pid for server in servers]
    try:
        api = servers[0].url + "/api/v1"
        httpx.put(
            f"{api}/approval-policies/router_config",
            json={"approvers": 1, "role": "editor"},
            headers=tokens["approver"],
        ).raise_for_status()
        arrivals = Arrivals(servers, kind="router_config", clock=time.time)
        per_server: list[list[float]] = [[] for _ in servers]
        last: list[float] = []
        committed: list[float] = []
        swapped: list[list[float]] = [[] for _ in servers]
        engine = create_db_engine(db.url)
        for trial in range(args.trials):
            at, sequence = _trial(api, tokens, args.lead, 4 + trial % 2)
            times = arrivals.firsts(sequence + 1, args.lead + 30)
            lags = [(arrived - at.timestamp()) * 1000 for arrived in times]
            for index, lag in enumerate(lags):
                per_server[index].append(lag)
            last.append(max(lags))
            committed.append((_committed_at(engine, sequence) - at).total_seconds() * 1000)
            time.sleep(0.4)  # a heartbeat or more: each reports when it swapped the change in
            for index, when in enumerate(_swapped_in(api, tokens["approver"], pids)):
                if when is not None:
                    swapped[index].append((when - at).total_seconds() * 1000)
        engine.dispose()
        print(
            f"scheduled apply over {args.trials} trials ({args.lead:g} s ahead), "
            "3 servers on one PostgreSQL database; lag from apply_at to serving it"
        )
        rows = [
            *[(f"swapped in {i + 1}", lags) for i, lags in enumerate(swapped) if lags],
            *[(f"server {i + 1}", lags) for i, lags in enumerate(per_server)],
        ]
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
