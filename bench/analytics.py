"""Usage analytics at scale on PostgreSQL: ingest rate, then every dashboard query's time
over 5 million usage events and 1 million routing decisions.

1. Ingest: ``--sample`` events (default 200,000) through the ingestion service in batches of
   ``--batch`` (validation, pricing, raw insert and rollup upserts, one transaction per
   batch), stamped within the last ten minutes and each with an ``eventId`` as an app's
   recorder sends them (``--without-event-ids`` leaves the ids out); then
   ``--scattered`` events spread over three months (a backfill: the worst case for the
   rollup upserts); then a sample over HTTP to a ``modelplane serve`` process.
2. Bulk load: the rest of the events and the decisions are generated inside PostgreSQL
   (``generate_series``; costs priced from the ``models`` table by the same rule), then the
   usage rollups are rebuilt from the raw rows and the routing job rolls up closed days.
3. Queries: each dashboard query over the last 30 and 90 days, median of ``--runs`` runs.

    uv run python -m bench.analytics [--events 5000000] [--decisions 1000000]

Targets: ingest >= 20,000 events/s in batches; each query <= 200 ms. The database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import IO, Any

import httpx
from sqlalchemy import Connection, text

from bench.common import Database, free_port
from modelplane.bootstrap import Runtime
from modelplane.domain.usage import UsageFilter, Window
from modelplane.services import analytics as svc
from modelplane.services.usage import (
    UnitOfWorkFactory,
    rebuild_usage_rollups,
    record_usage,
    rollup_routing,
)
from modelplane.settings import Settings

FEATURES = ["chat", "auto_router", "title", "summary", "code"]
CATEGORIES = ["coding", "reasoning", "creative", "factual", "analysis", "conversation"]
SPAN_DAYS = 89


def _events(
    model_ids: list[str], n: int, rng: random.Random, span_seconds: float, ids: bool = True
) -> list[dict[str, Any]]:
    """``n`` events stamped within the last ``span_seconds``, with random UUIDs as
    ``eventId`` (as UsageRecorder stamps them) if ``ids``."""
    now = datetime.now(UTC)
    weights = [1 / (i + 1) for i in range(len(model_ids))]  # a few popular models
    models = rng.choices(model_ids, weights, k=n)
    out = []
    for model in models:
        ok = rng.random() > 0.02
        event: dict[str, Any] = {
            "modelId": model,
            "feature": rng.choice(FEATURES),
            "userId": f"u{rng.randrange(5000)}",
            "inputTokens": rng.randrange(20_000),
            "outputTokens": rng.randrange(2_000),
            "cachedTokens": rng.randrange(5_000) if rng.random() < 0.3 else 0,
            "latencyMs": int(rng.lognormvariate(6.5, 0.8)),
            "success": ok,
            "at": (now - timedelta(seconds=rng.uniform(0, span_seconds))).isoformat(),
        }
        if not ok:
            event["error"] = "upstream error"
        if ids:
            event["eventId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.append(event)
    return out


def ingest_through_service(runtime: Runtime, events: list[dict[str, Any]], batch: int) -> float:
    reader = runtime.reader
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        record_usage(runtime.unit_of_work, reader, {"events": events[i : i + batch]})
    return len(events) / (time.perf_counter() - started)


def ingest_over_http(db: Database, events: list[dict[str, Any]], batch: int) -> float:
    from modelplane.services.tokens import TokenSpec, create_token

    runtime = Runtime(Settings(database_url=db.url, environment="test"))
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="bench-ingest", role="ingest"), "bench")
        uow.commit()
    runtime.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "modelplane", "serve", "--port", str(port)],
            env={**os.environ, "MODELPLANE_DATABASE_URL": db.url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(url, server, log)
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
                started = time.perf_counter()
                for i in range(0, len(events), batch):
                    response = client.post(
                        url + "/api/v1/usage", json={"events": events[i : i + batch]}
                    )
                    response.raise_for_status()
                return len(events) / (time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(10)


def _wait_for(url: str, server: subprocess.Popen[bytes], log: IO[str]) -> None:
    deadline = time.monotonic() + 120  # a loaded two-core machine starts slowly
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    log.seek(0)
    raise RuntimeError(f"the server did not start:\n{log.read()[-2000:]}")


_BULK_EVENTS = """
WITH m AS (
  SELECT (row_number() OVER (ORDER BY id)) - 1 AS i, id, provider_id, input_price,
         output_price, coalesce(cached_price, input_price) AS cached_price
  FROM models
), s AS (
  SELECT g,
         now() - random() * interval '{span} days' AS at,
         least(floor(power(random(), 3) * (SELECT count(*) FROM m)),
               (SELECT count(*) - 1 FROM m))::int AS mi,
         floor(random() * 20000)::bigint AS it,
         floor(random() * 2000)::bigint AS ot,
         CASE WHEN random() < 0.3 THEN floor(random() * 5000)::bigint ELSE 0 END AS ct,
         greatest(1, exp(6.5 + 0.8 * (random() + random() + random() - 1.5) * 2))::int AS lat,
         random() > 0.02 AS ok
  FROM generate_series(1, :n) AS g
)
INSERT INTO usage_events (at, model_id, provider_id, user_id, feature, input_tokens,
  output_tokens, cached_tokens, reasoning_tokens, cost, latency_ms, success, error)
SELECT s.at, m.id, m.provider_id, 'u' || (s.g % 5000),
       (ARRAY['chat','auto_router','title','summary','code'])[1 + (s.g % 5)],
       s.it, s.ot, s.ct, 0,
       round((m.input_price * s.it + m.output_price * s.ot + m.cached_price * s.ct) / 1000000, 9),
       s.lat, s.ok, CASE WHEN s.ok THEN NULL ELSE 'upstream error' END
FROM s JOIN m ON m.i = s.mi
"""

_BULK_DECISIONS = """
WITH m AS (SELECT (row_number() OVER (ORDER BY id)) - 1 AS i, id FROM models),
s AS (
  SELECT g, now() - random() * interval '{span} days' AS at,
         floor(random() * (SELECT count(*) FROM m))::int AS mi,
         floor(random() * 6)::int AS ci, floor(random() * 3)::int AS xi,
         floor(random() * 3)::int AS ti, random() AS r
  FROM generate_series(1, :n) AS g
)
INSERT INTO routing_decisions (at, text_hash, classification, primary_category, complexity,
  selected_model_id, tier, candidate_count, is_sticky, exploration, is_fallback,
  config_version, profiles_version, latency_us, error)
SELECT s.at, md5(s.g::text) || md5((s.g + 1)::text), '{{}}'::jsonb,
       (ARRAY['coding','reasoning','creative','factual','analysis','conversation'])[1 + s.ci],
       (ARRAY['simple','moderate','complex'])[1 + s.xi], m.id,
       CASE WHEN s.r < 0.01 THEN NULL ELSE (ARRAY['cheap','mid','premium'])[1 + s.ti] END,
       8, s.r < 0.2, s.r > 0.9, s.r < 0.01, 1, 1, 300 + (s.r * 500)::int,
       CASE WHEN s.r < 0.005 THEN 'no candidate' END
FROM s JOIN m ON m.i = s.mi
"""


def bulk_load(conn: Connection, sql: str, total: int, chunk: int = 1_000_000) -> float:
    started = time.perf_counter()
    done = 0
    while done < total:
        n = min(chunk, total - done)
        conn.execute(text(sql.format(span=SPAN_DAYS)), {"n": n})
        conn.commit()
        done += n
        print(f"  … {done:,} rows", flush=True)
    return time.perf_counter() - started


def timed(work: Callable[[], object], runs: int) -> float:
    work()  # warm the caches once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _cases(
    reader: Any, window: Window, popular: UsageFilter
) -> dict[str, Callable[[UnitOfWorkFactory], object]]:
    any_ = UsageFilter()
    return {
        "summary": lambda c: svc.totals(c, window, any_),
        "top models by requests": lambda c: svc.top_models(c, window, any_),
        "top models by tokens": lambda c: svc.top_models(c, window, any_, "tokens"),
        "top models by cost": lambda c: svc.top_models(c, window, any_, "cost"),
        "daily trend": lambda c: svc.daily(c, window, any_),
        "daily trend, one feature": lambda c: svc.daily(c, window, UsageFilter(feature="chat")),
        "breakdown by feature": lambda c: svc.breakdown(c, window, any_, "feature"),
        "breakdown by provider": lambda c: svc.breakdown(c, window, any_, "provider"),
        "errors and latency per model": lambda c: svc.latency(c, window, any_),
        "latency, one model": lambda c: svc.latency(c, window, popular),
        "router stats": lambda c: svc.router_stats(c, reader, window, any_),
        "router stats, one model": lambda c: svc.router_stats(c, reader, window, popular),
    }


def queries(runtime: Runtime, runs: int) -> list[tuple[str, float]]:
    reader = runtime.reader
    today = datetime.now(UTC).date()
    popular = UsageFilter(model=reader.models()[0].id)
    results = []
    for days in (30, 90):  # each query in its own read-only transaction, as a face asks it
        window = Window(today - timedelta(days=days - 1), today)
        for name, case in _cases(reader, window, popular).items():
            ms = timed(partial(case, runtime.unit_of_work), runs)
            results.append((f"{name} ({days} d)", ms))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=200_000)
    parser.add_argument("--scattered", type=int, default=50_000)
    parser.add_argument("--http-sample", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--without-event-ids", action="store_true")
    args = parser.parse_args()
    overall = time.perf_counter()
    db = Database("postgresql")
    runtime = Runtime(Settings(database_url=db.url, environment="test"), live_reads=True)
    try:
        rng = random.Random(2026)
        model_ids = [m.id for m in runtime.reader.models()]
        print("generating events in memory", flush=True)
        # As apps send them (UsageRecorder stamps and flushes within seconds): recent.
        ids = not args.without_event_ids
        sample = _events(model_ids, args.sample, rng, 600, ids)
        # A backfill spread over three months: every batch touches ~2,000 rollup rows.
        scattered = _events(model_ids, args.scattered, rng, SPAN_DAYS * 86400, ids)
        over_http = _events(model_ids, args.http_sample, rng, 600, ids)
        print("ingesting through the service", flush=True)
        service_rate = ingest_through_service(runtime, sample, args.batch)
        print(f"  recent: {service_rate:,.0f} events/s", flush=True)
        scattered_rate = ingest_through_service(runtime, scattered, args.batch)
        print(f"  scattered: {scattered_rate:,.0f} events/s", flush=True)
        print("ingesting over HTTP", flush=True)
        http_rate = ingest_over_http(db, over_http, args.batch)
        print(f"  {http_rate:,.0f} events/s", flush=True)

        rest = args.events - args.sample - args.scattered - args.http_sample
        with runtime.engine.connect() as conn:
            print(f"bulk-loading {rest:,} events", flush=True)
            load_events = bulk_load(conn, _BULK_EVENTS, rest)
            print(f"bulk-loading {args.decisions:,} decisions", flush=True)
            load_decisions = bulk_load(conn, _BULK_DECISIONS, args.decisions)

        started = time.perf_counter()
        today = datetime.now(UTC).date()
        window = Window(today - timedelta(days=SPAN_DAYS), today)
        oldest_raw = datetime.now(UTC) - timedelta(days=SPAN_DAYS + 1)
        rebuild_usage_rollups(runtime.unit_of_work, window, oldest_raw)
        rebuild = time.perf_counter() - started
        started = time.perf_counter()
        rolled = rollup_routing(runtime.unit_of_work)
        routing_job = time.perf_counter() - started
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
            counts = {
                name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                for name in (
                    "usage_events",
                    "routing_decisions",
                    "usage_daily",
                    "routing_daily",
                    "routing_model_daily",
                )
            }

        results = queries(runtime, args.runs)
    finally:
        runtime.close()
        db.close()

    print()
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(
        f"ingest, service path, batches of {args.batch}: {service_rate:,.0f} events/s "
        f"(recent events), {scattered_rate:,.0f} events/s (scattered over {SPAN_DAYS} days)"
    )
    print(f"ingest, HTTP to one server process, batches of {args.batch}: {http_rate:,.0f} events/s")
    print(f"bulk load: events {load_events:.0f} s, decisions {load_decisions:.0f} s")
    print(f"usage rollup rebuild from raw: {rebuild:.1f} s")
    print(f"routing rollup job: {len(rolled)} days in {routing_job:.1f} s")
    print()
    width = max(len(name) for name, _ in results)
    print(f"{'query'.ljust(width)}  median ms  target 200 ms")
    for name, ms in results:
        print(f"{name.ljust(width)}  {ms:9.1f}  {'ok' if ms <= 200 else 'SLOW'}")
    print(f"\ntotal time {time.perf_counter() - overall:.0f} s")


if __name__ == "__main__":
    main()
