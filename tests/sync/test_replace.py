"""``models replace OLD NEW``: every reference moved in one change, OLD deprecated."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.domain.errors import InvalidInput
from modelplane.services import models as model_svc
from modelplane.services.replace import replace_model
from modelplane.services.router_data import get_router_config
from modelplane.services.tokens import TokenSpec, create_token

NEW = "openai:gpt-5.1"


def _fallback(runtime: Runtime) -> str:
    return get_router_config(runtime.unit_of_work).doc().router_settings.fallback_model_id


def test_a_dry_run_previews_and_writes_nothing(runtime: Runtime) -> None:
    old = _fallback(runtime)
    report = replace_model(runtime.unit_of_work, old, NEW, "tester", dry_run=True)
    assert {"field": "routerSettings.fallbackModelId", "old": old, "new": NEW} in (
        report["routerConfig"]
    )
    assert _fallback(runtime) == old
    assert model_svc.get_model(runtime.unit_of_work, old).status != "deprecated"


def test_replace_moves_the_config_and_deprecates_old_naming_new(runtime: Runtime) -> None:
    old = _fallback(runtime)
    replace_model(runtime.unit_of_work, old, NEW, "tester")
    assert _fallback(runtime) == NEW
    model = model_svc.get_model(runtime.unit_of_work, old)
    assert model.status == "deprecated" and model.successor_id == NEW
    entries, _ = model_svc.history(runtime.unit_of_work, old)
    assert entries[0].change_type == "deprecated" and entries[0].reason == f"replaced by {NEW}"


def test_a_deprecated_successor_is_refused(runtime: Runtime) -> None:
    model_svc.set_status(runtime.unit_of_work, NEW, True, "tester", None)
    with pytest.raises(InvalidInput, match="deprecated"):
        replace_model(runtime.unit_of_work, _fallback(runtime), NEW, "tester")


def test_the_cli_and_the_api(runtime: Runtime, client: TestClient, database_url: str) -> None:
    old = _fallback(runtime)
    result = CliRunner().invoke(
        app, ["--database-url", database_url, "models", "replace", old, NEW, "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["dryRun"] is True
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="ed", role="editor"), "test")
        uow.commit()
    answer = client.post(
        f"/api/v1/models/{old}/replace",
        json={"newId": NEW},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    assert client.get(f"/api/v1/models/{old}").json()["successorId"] == NEW
