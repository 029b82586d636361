"""Propagation: three server processes on one PostgreSQL database; writes go through one of
them, and for each write we time how long until the other two both serve the new value.

Arrival is observed on each server's change stream (``GET /api/v1/events``), which a server
emits right after it swapped in the new snapshot; a sample of model writes is also
double-checked with a plain GET. Prints p50, p99 and max in milliseconds, per kind of change.

``--models`` grows the catalogue first (copies of the seeded models and their profiles under
new ids, in one import), so the cost of a change can be compared at 61 models and at
thousands, side by side. ``--kinds`` picks the writes: ``model`` (a price edit), ``profile``
(a model's scores), ``flag``, ``provider`` (a new one), ``router_config`` (one dial),
``token`` (a new one), ``experiment`` (started, then discarded: two changes per write).

    uv run python -m bench.propagation [--writes 200] [--models 3500] [--kinds model,profile]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.common import Arrivals, Database, Server, summary
from modelplane.services import bulk
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import UnitOfWork

MODEL = "openai:gpt-5-mini"
KINDS = ("model", "profile", "flag", "provider", "router_config", "token", "experiment")


def grow(url: str, count: int) -> int:
    """Copies of the seeded models (and their profiles) under new ids, up to ``count``
    models; returns how many models there are."""
    engine = create_db_engine(url)
    with UnitOfWork(engine) as uow:
        document = bulk.export_document(uow)
        seeded = document["models"]
        profiles = {p["modelId"]: p for p in document.get("profiles", [])}
        models, copies = [], []
        for i in range(count - len(seeded)):
            base = seeded[i % len(seeded)]
            model_id = f"{base['id']}-v{i}"
            fields = {k: v for k, v in base.items() if k != "version"}
            models.append({**fields, "id": model_id, "name": f"{base['name']} v{i}"})
            if base["id"] in profiles:
                profile = {k: v for k, v in profiles[base["id"]].items() if k != "version"}
                copies.append({**profile, "modelId": model_id})
        if models:
            bulk.import_document(uow, {"models": models, "profiles": copies}, "bench", False)
        uow.commit()
    engine.dispose()
    return max(count, len(seeded))


class SlowStart(Server):
    startup_seconds = 120  # thousands of models load slowly on a busy machine


class Writer:
    """One write of each kind through the writing server; each returns the sequence its
    answer names (the last, for a kind that takes two writes)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.i = 0
        self.versions: dict[str, int] = {}

    def _sent(self, response: httpx.Response) -> int:
        response.raise_for_status()
        return int(response.headers["X-Modelplane-Sequence"])

    def _versioned(self, key: str, path: str, method: str, body: dict[str, Any]) -> int:
        if key not in self.versions:
            got = self.client.get(path)
            self.versions[key] = got.json().get("version", 0) if got.status_code == 200 else 0
        response = self.client.request(
            method, path, json=body, headers={"If-Match": f'"{self.versions[key]}"'}
        )
        sequence = self._sent(response)
        self.versions[key] = response.json()["version"]
        return sequence

    def model(self) -> int:
        price = round(1 + self.i / 1000, 3)
        body = {"pricing": {"input": price}, "reason": "propagation benchmark"}
        return self._versioned("model", f"/api/v1/models/{MODEL}", "PATCH", body)

    def profile(self) -> int:
        score = 50 + self.i % 40
        body = {"qualityScore": score, "categoryScores": {"coding": score}, "reason": "bench"}
        return self._versioned("profile", f"/api/v1/router/profiles/{MODEL}", "PUT", body)

    def flag(self) -> int:
        body = {"enabled": True, "percentage": self.i % 100, "reason": "bench"}
        return self._versioned("flag", "/api/v1/flags/bench_flag", "PATCH", body)

    def provider(self) -> int:
        body = {"id": f"bench{self.i}", "displayName": f"Bench {self.i}"}
        return self._sent(self.client.post("/api/v1/providers", json=body))

    def router_config(self) -> int:
        body = {"routerSettings": {"classifierTimeoutSeconds": 5 + self.i % 5}, "reason": "b"}
        return self._versioned("config", "/api/v1/router/config", "PATCH", body)

    def token(self) -> int:
        body = {"name": f"bench-{self.i}", "role": "viewer"}
        return self._sent(self.client.post("/api/v1/tokens", json=body))

    def experiment(self) -> int:
        name = f"bench-{self.i}"
        config = self.client.get("/api/v1/router/config").json()
        for key in ("version", "updatedAt", "updatedBy"):
            config.pop(key, None)
        variants = [
            {"name": "control", "weight": 50, "config": config},
            {"name": "other", "weight": 50, "config": config},
        ]
        body = {"name": name, "variants": variants}
        self._sent(self.client.post("/api/v1/experiments", json=body))
        return self._sent(
            self.client.post(f"/api/v1/experiments/{name}/discard", json={"reason": "bench"})
        )

    def of(self, kind: str) -> Callable[[], int]:
        method: Callable[[], int] = getattr(self, kind)
        return method


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--models", type=int, default=0, help="grow the catalogue to this")
    parser.add_argument("--kinds", default="model", help=f"comma-separated: {','.join(KINDS)}")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
    db = Database("postgresql")
    size = grow(db.url, args.models)
    engine = create_db_engine(db.url)
    with UnitOfWork(engine) as uow:
        _, token = create_token(uow, TokenSpec(name="bench", role="admin"), "bench")
        uow.commit()
    engine.dispose()
    servers: list[Server] = [SlowStart(db.url) for _ in range(3)]
    try:
        leader, followers = servers[0], servers[1:]
        arrivals = Arrivals(followers)
        client = httpx.Client(
            base_url=leader.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        writer = Writer(client)
        print(f"propagation, {size} models, 3 servers on one PostgreSQL database")
        for kind in kinds:
            write = writer.of(kind)
            delays, after_ack, write_ms = [], [], []
            for i in range(args.writes):
                writer.i += 1
                start = time.perf_counter()
                sequence = write()
                acked = time.perf_counter()
                arrived = max(arrivals.firsts(sequence))
                delays.append((arrived - start) * 1000)
                after_ack.append(max(arrived - acked, 0) * 1000)
                write_ms.append((acked - start) * 1000)
                if kind == "model" and i % 50 == 0:  # the stream's word, checked
                    price = round(1 + writer.i / 1000, 3)
                    for follower in followers:
                        got = httpx.get(f"{follower.url}/api/v1/models/{MODEL}").json()
                        assert got["pricing"]["input"] == price, got
            print(f"{kind} ({len(delays)} writes)")
            for label, values in (
                ("write sent -> both others serving it", delays),
                ("write answered -> both others serving it", after_ack),
                ("the write itself (round trip)", write_ms),
            ):
                stats = summary(values)
                print(
                    f"  {label:<42} p50 {stats['p50']:6.1f} ms  p99 {stats['p99']:6.1f} ms  "
                    f"max {stats['max']:6.1f} ms"
                )
    finally:
        for server in servers:
            server.stop()
        db.close()


if __name__ == "__main__":
    main()
