"""An import racing an edit of the same document (issue 12, defect 7: imports racing edits
overwrote 155 of 155 edits). Two worker processes, each with its own engine, meet at a
barrier: one imports an export of the model taken at version 1 (with a new output price),
the other edits its input price expecting version 1. Exactly one may win, and a winning
edit is never overwritten. 50 trials on PostgreSQL, 10 on SQLite."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from decimal import Decimal
from multiprocessing.pool import Pool
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from sqlalchemy import Engine

from modelplane.domain.errors import ModelplaneError
from modelplane.services import bulk, models
from modelplane.store.unit_of_work import UnitOfWorkFactory, factory_for

pytestmark = pytest.mark.races

TEMPLATE = "google:gemini-2.5-pro"
_uows: UnitOfWorkFactory | None = None
_barrier: Barrier | None = None


def _start_worker(url: str, barrier: Barrier) -> None:
    global _uows, _barrier
    from modelplane.store.database import create_db_engine

    _uows = factory_for(create_db_engine(url))
    _barrier = barrier


def _call(action: str, model_id: str, payload: Any) -> str:
    """Meet the other worker, then import or edit: ``"ok"`` or the domain error's name."""
    assert _uows is not None and _barrier is not None
    _barrier.wait(timeout=30)
    try:
        if action == "import":
            bulk.import_document(_uows, payload, "importer", dry_run=False, reason="race")
        else:
            models.update_model(_uows, model_id, payload, "editor", 1, "race")
    except ModelplaneError as exc:
        return type(exc).__name__
    return "ok"


@pytest.fixture
def workers(seeded: Engine, database_url: str) -> Iterator[Pool]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    pool = context.Pool(2, initializer=_start_worker, initargs=(database_url, barrier))
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


@pytest.fixture
def trials(backend: str) -> int:
    return int(os.environ.get("MODELPLANE_RACE_TRIALS", 50 if backend == "postgresql" else 10))


def test_an_import_racing_an_edit_never_overwrites_the_edit(
    seeded: Engine, workers: Pool, trials: int
) -> None:
    uows = factory_for(seeded)
    outcomes: set[tuple[str, str]] = set()
    for trial in range(trials):
        model_id = models.duplicate_model(uows, TEMPLATE, "test", new_id=f"google:imp-{trial}").id
        exported = next(m for m in bulk.export_document(uows)["models"] if m["id"] == model_id)
        assert exported["version"] == 1
        original = models.get_model(uows, model_id).pricing
        document = {"models": [{**exported, "pricing": {**exported["pricing"], "output": 99}}]}
        edit = {"pricing": {"input": 0.125}}
        first = workers.apply_async(_call, ("import", model_id, document))
        second = workers.apply_async(_call, ("edit", model_id, edit))
        outcome = (first.get(timeout=60), second.get(timeout=60))
        outcomes.add(outcome)
        assert outcome.count("ok") == 1, f"trial {trial}: {outcome}"
        pricing = models.get_model(uows, model_id).pricing
        if outcome[1] == "ok":  # the edit won: it is kept, and the import wrote nothing
            assert (pricing.input, pricing.output) == (Decimal("0.125"), original.output)
        else:
            assert (pricing.input, pricing.output) == (original.input, Decimal(99))
    assert all(o[0] in {"ok", "ImportConflicts", "VersionConflict"} for o in outcomes)
