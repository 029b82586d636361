"""The one flow every versioned document goes through (services/versioned.py), on both
databases: version check, conflict naming the changed fields, no-op, replace, history row,
change log, rollback; and services that own their transactions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from modelplane.domain.errors import InvalidInput, NotFound, VersionConflict
from modelplane.domain.flags import FlagSpec
from modelplane.domain.validation import MAX_REASON
from modelplane.services import flags, models, router_data, versioned
from modelplane.services.versioned import Change
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory, factory_for

M = "openai:gpt-5"
FLAG = "try_a_thing"


@pytest.fixture
def uows(seeded: Engine) -> UnitOfWorkFactory:
    return factory_for(seeded)


def _spec(name: str, **changes: object) -> FlagSpec:
    return FlagSpec.model_validate({"name": name, **changes})


def _save(
    uows: UnitOfWorkFactory, spec: FlagSpec, expected: int | None, reason: str | None = None
) -> int:
    with uows() as uow:
        flag = versioned.save(
            uow,
            flags.KIND,
            spec.name,
            spec,
            change=Change("tester", reason),
            expected_version=expected,
        )
        uow.commit()
    return flag.version


def test_a_new_document_starts_at_version_1_with_a_created_history_row(
    uows: UnitOfWorkFactory,
) -> None:
    assert _save(uows, _spec(FLAG, percentage=10), expected=0, reason="start small") == 1
    with uows(read_only=True) as uow:
        (entry,) = uow.flag_history.page(FLAG, 0, None)
        document = uow.flag_history.document(FLAG, 1)
    assert (entry.version, entry.change_type, entry.author, entry.reason) == (
        1,
        "created",
        "tester",
        "start small",
    )
    assert document is not None and document["percentage"] == 10


def test_a_change_records_the_fields_that_changed_and_moves_the_change_log(
    uows: UnitOfWorkFactory,
) -> None:
    _save(uows, _spec(FLAG, percentage=10), expected=0)
    with uows() as uow:
        before = uow.changes.current()
        flag = versioned.save(
            uow,
            flags.KIND,
            FLAG,
            _spec(FLAG, percentage=50),
            change=Change("tester"),
            expected_version=1,
        )
        uow.commit()
    assert flag.version == 2
    assert uow.last_sequence is not None
    assert uow.last_sequence > before
    with uows(read_only=True) as uow:
        newest = uow.flag_history.page(FLAG, 0, 1)[0]
    assert newest.change_type == "updated"
    assert [c.field for c in newest.changes] == ["percentage"]


def test_a_write_that_changes_nothing_is_no_new_version(uows: UnitOfWorkFactory) -> None:
    _save(uows, _spec(FLAG, percentage=10), expected=0)
    assert _save(uows, _spec(FLAG, percentage=10), expected=1) == 1
    with uows(read_only=True) as uow:
        assert uow.flag_history.count(FLAG) == 1


def test_a_stale_version_is_a_conflict_naming_the_fields_changed_since(
    uows: UnitOfWorkFactory,
) -> None:
    _save(uows, _spec(FLAG, percentage=10), expected=0)
    _save(uows, _spec(FLAG, percentage=20), expected=1)
    _save(uows, _spec(FLAG, percentage=20, enabled=True), expected=2)
    with pytest.raises(VersionConflict) as exc:
        _save(uows, _spec(FLAG, description="late"), expected=1)
    assert (exc.value.expected, exc.value.current) == (1, 3)
    assert exc.value.changed_fields == ["enabled", "percentage"]
    with uows(read_only=True) as uow:  # nothing of the refused write is stored
        stored = uow.flags.get(FLAG)
    assert stored is not None and stored.version == 3 and stored.description != "late"


def test_version_0_means_there_must_be_none_yet(uows: UnitOfWorkFactory) -> None:
    _save(uows, _spec(FLAG), expected=0)
    with pytest.raises(VersionConflict):
        _save(uows, _spec(FLAG, percentage=5), expected=0)


def test_rollback_stores_an_old_document_as_the_next_version(uows: UnitOfWorkFactory) -> None:
    _save(uows, _spec(FLAG, percentage=10), expected=0)
    _save(uows, _spec(FLAG, percentage=90), expected=1)
    with uows() as uow:
        flag = versioned.rollback(
            uow, flags.KIND, FLAG, 1, author="tester", reason=None, expected_version=2
        )
        uow.commit()
    assert (flag.version, flag.percentage) == (3, 10)
    with uows(read_only=True) as uow:
        newest = uow.flag_history.page(FLAG, 0, 1)[0]
        assert versioned.document_at(uow, flags.KIND, FLAG, 3)["percentage"] == 10
    assert (newest.change_type, newest.reason) == ("rolled_back", "rolled back to version 1")


def test_rollback_to_a_version_that_never_was_is_not_found(uows: UnitOfWorkFactory) -> None:
    with pytest.raises(NotFound):
        models.rollback_model(uows, M, 99, "tester")


def test_models_router_config_and_profiles_go_through_the_same_flow(
    uows: UnitOfWorkFactory,
) -> None:
    model = models.update_model(uows, M, {"pricing": {"input": 3}}, "tester", 1)
    config = router_data.update_router_config(
        uows, {"routerSettings": {"maxRetries": 4}}, "tester", 1
    )
    profile = router_data.get_profile(uows, M)
    spec = profile.spec().model_copy(update={"quality_score": 12})
    saved = router_data.put_profile(uows, spec, "tester", profile.version)
    assert (model.version, config.version, saved.version) == (2, 2, profile.version + 1)
    for stale in (
        lambda: models.update_model(uows, M, {"pricing": {"input": 4}}, "tester", 1),
        lambda: router_data.update_router_config(
            uows, {"routerSettings": {"maxRetries": 5}}, "tester", 1
        ),
        lambda: router_data.put_profile(uows, spec, "tester", profile.version),
    ):
        with pytest.raises(VersionConflict):
            stale()
    rolled = router_data.rollback_router_config(uows, 1, "tester", expected_version=2)
    assert rolled.version == 3
    entries, total = router_data.router_config_history(uows)
    assert total == 3 and entries[0].change_type == "rolled_back"


def test_the_reason_limit_holds_for_every_caller(uows: UnitOfWorkFactory) -> None:
    with pytest.raises(InvalidInput) as exc:
        models.update_model(uows, M, {"pricing": {"input": 3}}, "tester", 1, "x" * (MAX_REASON + 1))
    assert [e.path for e in exc.value.errors] == ["reason"]
    assert models.get_model(uows, M).version == 1
    kept = models.update_model(uows, M, {"pricing": {"input": 3}}, "tester", 1, " y " * 10)
    assert kept.version == 2


def test_a_service_joined_to_an_open_unit_of_work_commits_with_it_or_not_at_all(
    seeded: Engine,
) -> None:
    with UnitOfWork(seeded) as uow:
        models.update_model(uow, M, {"pricing": {"input": 3}}, "tester", 1)
        with pytest.raises(VersionConflict):  # a failed service undoes only its own work
            models.update_model(uow, M, {"pricing": {"input": 4}}, "tester", 1)
        flags.set_flag(uow, FLAG, {"percentage": 5}, "tester")
        # rolled back with everything else: nothing is committed yet
    uows = factory_for(seeded)
    assert models.get_model(uows, M).version == 1
    with UnitOfWork(seeded) as uow:
        models.update_model(uow, M, {"pricing": {"input": 3}}, "tester", 1)
        flags.set_flag(uow, FLAG, {"percentage": 5}, "tester")
        uow.commit()
    assert models.get_model(uows, M).pricing.input == 3
    assert flags.get_flag(uows, FLAG).percentage == 5
