"""Rules that span documents hold when two processes write at the same instant.

Each trial sets up a fresh case, then two worker processes (each with its own engine and
connections, as two servers would have) meet at a barrier and run one service call each.
Afterwards the invariant must hold, whichever of them won: 50 trials per pair on
PostgreSQL (where READ COMMITTED made these write skew), 10 on SQLite.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.pool import Pool
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from sqlalchemy import Engine

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import ModelplaneError
from modelplane.domain.experiments import ExperimentSpec
from modelplane.domain.models import ModelSpec
from modelplane.domain.profiles import ProfileSpec
from modelplane.services import experiments, models, router_data, users
from modelplane.settings import Settings
from modelplane.store import tables as t
from modelplane.store.unit_of_work import UnitOfWorkFactory, factory_for
from modelplane.store.user_repositories import UserRecord, UserRepository

pytestmark = pytest.mark.races

TEMPLATE = "google:gemini-2.5-pro"
_uows: UnitOfWorkFactory | None = None
_barrier: Barrier | None = None


# In the worker processes ------------------------------------------------------------------


def _start_worker(url: str, barrier: Barrier) -> None:
    global _uows, _barrier
    from modelplane.store.database import create_db_engine

    _uows = factory_for(create_db_engine(url))
    _barrier = barrier


def _call(name: str, *args: Any) -> str:
    """Meet the other worker, then run one service call: ``"ok"`` or the domain error."""
    assert _uows is not None and _barrier is not None
    action: Callable[..., Any] = _ACTIONS[name]
    _barrier.wait(timeout=30)
    try:
        action(_uows, *args)
    except ModelplaneError as exc:
        return type(exc).__name__
    return "ok"


def _deprecate(uows: UnitOfWorkFactory, model_id: str) -> None:
    models.set_status(uows, model_id, True, "race", expected_version=1)


def _name_in_config(uows: UnitOfWorkFactory, key: str, model_id: str, version: int) -> None:
    patch = {"routerSettings": {key: model_id}}
    router_data.update_router_config(uows, patch, "race", expected_version=version)


def _promote(uows: UnitOfWorkFactory, name: str, version: int) -> None:
    experiments.end_experiment(uows, name, "race", promote="b", expected_version=version)


def _create_model(uows: UnitOfWorkFactory, spec: dict[str, Any]) -> None:
    models.create_model(uows, ModelSpec.model_validate(spec), "race")


def _put_profile(uows: UnitOfWorkFactory, model_id: str) -> None:
    spec = ProfileSpec(model_id=model_id, quality_score=70, category_scores={"coding": 70})
    router_data.put_profile(uows, spec, "race", expected_version=0)


def _demote(uows: UnitOfWorkFactory, username: str) -> None:
    users.set_role(uows, username, "viewer")


def _disable(uows: UnitOfWorkFactory, username: str) -> None:
    users.set_disabled(uows, username, True)


_ACTIONS: dict[str, Callable[..., Any]] = {
    "deprecate": _deprecate,
    "name_in_config": _name_in_config,
    "promote": _promote,
    "create_model": _create_model,
    "put_profile": _put_profile,
    "demote": _demote,
    "disable": _disable,
}


# In the test process ----------------------------------------------------------------------


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


def _race(pool: Pool, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[str, str]:
    a = pool.apply_async(_call, first)
    b = pool.apply_async(_call, second)
    return a.get(timeout=60), b.get(timeout=60)


def _new_model(uows: UnitOfWorkFactory, trial: int) -> str:
    model = models.duplicate_model(uows, TEMPLATE, "test", new_id=f"google:race-{trial}")
    return model.id


def _config_names_deprecated(uows: UnitOfWorkFactory) -> list[str]:
    settings = router_data.get_router_config(uows).router_settings
    named = {settings.router_model_id, settings.fallback_model_id}
    return sorted(m for m in named if models.get_model(uows, m).status == "deprecated")


def test_deprecating_a_model_races_the_config_naming_it(
    seeded: Engine, workers: Pool, trials: int
) -> None:
    uows = factory_for(seeded)
    outcomes: set[tuple[str, str]] = set()
    for trial in range(trials):
        model_id = _new_model(uows, trial)
        version = router_data.get_router_config(uows).version
        key = "fallbackModelId" if trial % 2 == 0 else "routerModelId"
        outcome = _race(
            workers, ("deprecate", model_id), ("name_in_config", key, model_id, version)
        )
        outcomes.add(outcome)
        assert _config_names_deprecated(uows) == [], f"trial {trial}: {outcome}"
        assert outcome.count("ok") == 1, f"trial {trial}: {outcome}"  # exactly one wins
    assert outcomes <= {("ok", "InvalidInput"), ("InvalidInput", "ok")}


def test_deprecating_a_model_races_promoting_a_variant_that_names_it(
    seeded: Engine, workers: Pool, trials: int
) -> None:
    uows = factory_for(seeded)
    for trial in range(trials):
        model_id = _new_model(uows, trial)
        live = router_data.get_router_config(uows)
        variant: dict[str, Any] = live.doc().to_json()
        variant["routerSettings"] = {**variant["routerSettings"], "fallbackModelId": model_id}
        spec = {
            "name": f"race-{trial}",
            "variants": [
                {"name": "a", "weight": 50, "config": live.doc().to_json()},
                {"name": "b", "weight": 50, "config": variant},
            ],
        }
        experiments.create_experiment(uows, ExperimentSpec.model_validate(spec), "test")
        outcome = _race(
            workers, ("deprecate", model_id), ("promote", f"race-{trial}", live.version)
        )
        assert _config_names_deprecated(uows) == [], f"trial {trial}: {outcome}"
        assert outcome.count("ok") == 1, f"trial {trial}: {outcome}"


def test_a_profile_races_the_creation_of_its_model(
    seeded: Engine, workers: Pool, trials: int
) -> None:
    uows = factory_for(seeded)
    template = models.get_model(uows, TEMPLATE).spec().to_json()
    for trial in range(trials):
        model_id = f"google:new-{trial}"
        outcome = _race(
            workers,
            ("create_model", {**template, "id": model_id}),
            ("put_profile", model_id),
        )
        assert outcome[0] == "ok", f"trial {trial}: {outcome}"
        assert outcome[1] in {"ok", "InvalidInput"}, f"trial {trial}: {outcome}"
        with uows(read_only=True) as uow:
            known = set(uow.models.ids())
            assert {p.model_id for p in uow.profiles.all()} <= known


def test_two_admins_demoting_each_other_leave_one_admin(
    seeded: Engine, workers: Pool, trials: int
) -> None:
    uows = factory_for(seeded)
    spec = users.UserSpec(username="adm0", role="admin", password="correct horse 1")
    users.create_user(uows, spec, "test", hashing=Settings().password_hashing)
    with uows(read_only=True) as uow:
        stored = UserRepository(uow.connection).get("adm0")
        assert stored is not None
        password_hash = stored.password_hash
    for trial in range(trials):
        with seeded.begin() as conn:  # two admins, no one else (hashing once: argon2 is slow)
            conn.execute(t.users.delete())
            repo = UserRepository(conn)
            for name in ("adm1", "adm2"):
                repo.add(UserRecord(name, "admin", password_hash, utcnow(), "test", False))
        second = "disable" if trial % 2 else "demote"
        outcome = _race(workers, ("demote", "adm2"), (second, "adm1"))
        active_admins = [u for u in users.list_users(uows) if u.role == "admin" and not u.disabled]
        assert len(active_admins) == 1, f"trial {trial}: {outcome}"
        assert sorted(outcome) == ["InvalidInput", "ok"], f"trial {trial}: {outcome}"
