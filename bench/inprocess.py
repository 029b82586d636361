"""In-process reads: get by id and list, per call, from the live snapshot versus straight
from the database (the per-request baseline, ``PerCallDatabase`` below), side by side.

    uv run python -m bench.inprocess [--backend sqlite|postgresql] [--repeat 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from sqlalchemy import Engine

from bench.common import Database
from modelplane.domain.models import Model
from modelplane.domain.reader import CatalogReader, ModelFilter
from modelplane.live.catalog import LiveCatalog
from modelplane.live.source import SnapshotSource
from modelplane.store.database import create_db_engine
from modelplane.store.repositories import ModelRepository


class PerCallDatabase:
    """The baseline: every read is its own query on a fresh connection."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, model_id: str) -> Model | None:
        with self._engine.connect() as conn:
            return ModelRepository(conn).get(model_id)

    def models(self, filters: ModelFilter = ModelFilter()) -> list[Model]:
        with self._engine.connect() as conn:
            return ModelRepository(conn).filtered(filters)

    def public(self) -> list[Model]:
        return [
            m for m in self.models(ModelFilter(internal_only=False)) if m.status != "deprecated"
        ]


def per_call_us(operation: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        operation()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    db = Database(args.backend)
    engine = create_db_engine(db.url)
    live = LiveCatalog(engine).start()
    try:
        source = SnapshotSource.live(live)
        snapshot = CatalogReader(source, source)
        database = PerCallDatabase(engine)
        vision = ModelFilter(capability="vision")
        cases: list[tuple[str, Callable[[CatalogReader | PerCallDatabase], object]]] = [
            ("get by id", lambda r: r.get("openai:gpt-5")),
            ("list all (61)", lambda r: r.models()),
            ("list capability=vision", lambda r: r.models(vision)),
            ("public list", lambda r: r.public()),
        ]
        print(f"in-process reads on {args.backend}, median µs per call over {args.repeat} calls")
        print(f"{'operation':<24}{'snapshot':>12}{'database':>12}{'ratio':>9}")
        for name, op in cases:
            fast = per_call_us(partial(op, snapshot), args.repeat)
            slow = per_call_us(partial(op, database), max(args.repeat // 10, 50))
            print(f"{name:<24}{fast:>12.2f}{slow:>12.1f}{slow / fast:>8.0f}x")
    finally:
        live.stop()
        engine.dispose()
        db.close()


if __name__ == "__main__":
    main()
