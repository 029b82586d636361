"""The router's fallback and router models stay usable: they cannot be deprecated while the
live router config names them, and a config cannot name a deprecated model."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from modelplane.domain.errors import InvalidInput
from modelplane.services import bulk, models, router_data
from modelplane.store.unit_of_work import UnitOfWork

FALLBACK = "openai:gpt-5-mini"
ROUTER = "openai:gpt-oss-120b"
OTHER = "openai:gpt-5"


def _fallback_and_router(engine: Engine) -> tuple[str, str]:
    with UnitOfWork(engine, read_only=True) as uow:
        settings = router_data.get_router_config(uow).router_settings
        return settings.fallback_model_id, settings.router_model_id


def _status(engine: Engine, model_id: str) -> str:
    with UnitOfWork(engine, read_only=True) as uow:
        return models.get_model(uow, model_id).status


def _refused(exc: pytest.ExceptionInfo[InvalidInput], path: str, words: str) -> None:
    assert [e.path for e in exc.value.errors] == [path]
    assert words in exc.value.errors[0].message


def test_the_seeded_router_and_fallback_models_are_active(seeded: Engine) -> None:
    assert _fallback_and_router(seeded) == (FALLBACK, ROUTER)
    assert _status(seeded, FALLBACK) == _status(seeded, ROUTER) == "active"


@pytest.mark.parametrize(("model_id", "role"), [(FALLBACK, "fallback"), (ROUTER, "router")])
def test_deprecating_a_model_the_router_config_names_is_refused(
    seeded: Engine, model_id: str, role: str
) -> None:
    with UnitOfWork(seeded) as uow, pytest.raises(InvalidInput) as exc:
        models.set_status(uow, model_id, True, "test", 1)
    _refused(exc, "status", f"the router's {role} model")
    with UnitOfWork(seeded) as uow, pytest.raises(InvalidInput) as exc:
        models.update_model(uow, model_id, {"status": "deprecated"}, "test", None)
    _refused(exc, "status", f"the router's {role} model")
    assert _status(seeded, model_id) == "active"


def test_other_models_are_still_deprecated_and_reactivated(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow:
        deprecated = models.set_status(uow, OTHER, True, "test", 1)
        models.set_status(uow, OTHER, False, "test", deprecated.version)
        uow.commit()
    assert _status(seeded, OTHER) == "active"


def test_a_router_config_naming_a_deprecated_model_is_refused(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow:
        models.set_status(uow, OTHER, True, "test", 1)
        uow.commit()
    patch = {"routerSettings": {"fallbackModelId": OTHER}}
    with UnitOfWork(seeded) as uow, pytest.raises(InvalidInput) as exc:
        router_data.update_router_config(uow, patch, "test", None)
    _refused(exc, "routerSettings.fallbackModelId", "deprecated")


def _import(engine: Engine, data: dict[str, Any]) -> bulk.ImportReport:
    with UnitOfWork(engine) as uow:
        report = bulk.import_document(uow, data, "test", False)
        uow.commit()
        return report


def _exported(engine: Engine, model_id: str) -> dict[str, Any]:
    with UnitOfWork(engine, read_only=True) as uow:
        return dict(models.get_model(uow, model_id).spec().to_json())


def test_an_import_that_deprecates_the_fallback_is_refused(seeded: Engine) -> None:
    model = _exported(seeded, FALLBACK) | {"status": "deprecated"}
    with pytest.raises(InvalidInput) as exc:
        _import(seeded, {"models": [model]})
    _refused(exc, "models[0].status", "the router's fallback model")
    assert _status(seeded, FALLBACK) == "active"


def test_an_import_may_deprecate_the_fallback_while_naming_a_new_one(seeded: Engine) -> None:
    with UnitOfWork(seeded, read_only=True) as uow:
        config: dict[str, Any] = router_data.get_router_config(uow).doc().to_json()
    config["routerSettings"]["fallbackModelId"] = OTHER
    model = _exported(seeded, FALLBACK) | {"status": "deprecated"}
    _import(seeded, {"models": [model], "routerConfig": config})
    assert _status(seeded, FALLBACK) == "deprecated"
    assert _fallback_and_router(seeded) == (OTHER, ROUTER)


def test_an_import_whose_config_names_a_model_it_deprecates_is_refused(seeded: Engine) -> None:
    with UnitOfWork(seeded, read_only=True) as uow:
        config: dict[str, Any] = router_data.get_router_config(uow).doc().to_json()
    config["routerSettings"]["fallbackModelId"] = OTHER
    model = _exported(seeded, OTHER) | {"status": "deprecated"}
    with pytest.raises(InvalidInput) as exc:
        _import(seeded, {"models": [model], "routerConfig": config})
    _refused(exc, "routerConfig.routerSettings.fallbackModelId", "deprecated")
