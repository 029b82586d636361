"""The audit feed over many history rows: how long a page, a filtered page and an export
take, beside the per-document history page every face already serves (the baseline).

``--rows`` model history rows (default 100,000) over 60 models, a tenth as many flag
history rows and audit events, inserted directly; then each query's median of ``--runs``.

    uv run python -m bench.audit [--backend sqlite|postgresql] [--rows 100000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Database
from modelplane.domain.audit import parse_filter
from modelplane.services import audit
from modelplane.store import tables as t
from modelplane.store.database import create_db_engine
from modelplane.store.repositories import HistoryRepository
from modelplane.store.unit_of_work import factory_for


def _fill(engine: Any, rows: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    change = [{"field": "pricing.input", "old": 1, "new": 2}]
    with engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for i in range(rows):
            batch.append(
                {
                    "model_id": f"bench:m{i % 60}",
                    "version": 1000 + i // 60,
                    "change_type": "updated",
                    "changes": change,
                    "document": {"id": f"bench:m{i % 60}"},
                    "author": f"user-{i % 7}",
                    "at": start + timedelta(seconds=i),
                    "reason": "bench",
                    "face": ("api", "console", "cli")[i % 3],
                }
            )
            if len(batch) == 5000:
                conn.execute(t.model_history.insert(), batch)
                batch = []
        if batch:
            conn.execute(t.model_history.insert(), batch)
        flags: list[dict[str, Any]] = [
            {
                "flag_name": f"f{i % 10}",
                "version": 1000 + i // 10,
                "change_type": "updated",
                "changes": change,
                "document": {},
                "author": "ops",
                "at": start + timedelta(seconds=i * 10),
                "reason": None,
                "face": "api",
            }
            for i in range(rows // 10)
        ]
        conn.execute(t.flag_history.insert(), flags)
        events: list[dict[str, Any]] = [
            {
                "at": start + timedelta(seconds=i * 10),
                "kind": "token",
                "entity_id": f"t{i}",
                "action": "created",
                "actor": "admin",
                "face": "cli",
                "reason": None,
                "changes": [],
            }
            for i in range(rows // 10)
        ]
        conn.execute(t.audit_events.insert(), events)


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    db = Database(args.backend)
    engine = create_db_engine(db.url)
    try:
        _fill(engine, args.rows)
        uows = factory_for(engine)

        def baseline() -> object:
            with engine.connect() as conn:
                return HistoryRepository(conn, t.model_history).page("bench:m7", 0, 50)

        cases: dict[str, Callable[[], object]] = {
            "one model's history page (baseline)": baseline,
            "feed, first page": lambda: audit.audit_log(uows, parse_filter(), 0, 50),
            "feed, page 100": lambda: audit.audit_log(uows, parse_filter(), 5000, 50),
            "feed, kind=flag": lambda: audit.audit_log(uows, parse_filter("flag"), 0, 50),
            "feed, actor=user-3": lambda: audit.audit_log(
                uows, parse_filter(actor="user-3"), 0, 50
            ),
            "feed, id=bench:m7": lambda: audit.audit_log(
                uows, parse_filter(entity_id="bench:m7"), 0, 50
            ),
            "export csv, id=bench:m7": lambda: audit.export(
                uows, parse_filter(entity_id="bench:m7"), "csv"
            ),
        }
        total = args.rows + 2 * (args.rows // 10)
        print(f"{args.backend}: {total:,} audit entries, median of {args.runs} runs")
        _median_ms(baseline, 2)  # warm the connection pool and caches
        base = _median_ms(baseline, args.runs)
        for name, fn in cases.items():
            ms = _median_ms(fn, args.runs)
            print(f"  {name:<38} {ms:9.1f} ms   x{ms / base:7.1f} baseline")
    finally:
        engine.dispose()
        db.close()


if __name__ == "__main__":
    main()
