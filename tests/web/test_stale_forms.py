"""No console write silently overwrites another: a form that does not say which version it
was drawn at (its hidden ``expectedVersion`` missing or garbled) is refused, never applied
to whatever is current."""

from __future__ import annotations

from typing import Any

import pytest

from modelplane.bootstrap import Runtime
from modelplane.services import experiments as experiment_svc
from modelplane.services.flags import get_flag
from modelplane.services.router_data import get_router_config
from tests.web.test_forms import _config_form, model_form
from tests.web.test_rollout_pages import cheap_config

M = "openai:gpt-5"
STALE = "this form is out of date"
BROKEN: list[dict[str, str]] = [{}, {"expectedVersion": ""}, {"expectedVersion": "two"}]


def _without_version(fields: list[tuple[str, str]], broken: dict[str, str]) -> list[Any]:
    return [(k, v) for k, v in fields if k != "expectedVersion"] + list(broken.items())


def _model_version(runtime: Runtime) -> int:
    return runtime.reader.get(M).version


@pytest.mark.parametrize("broken", BROKEN)
def test_a_model_edit_without_its_version_is_refused(
    as_role: Any, runtime: Runtime, broken: dict[str, str]
) -> None:
    before = runtime.reader.get(M)
    form = _without_version(model_form(id=M, name="GPT-5 mine"), broken)
    response = as_role("editor").post(f"/admin/models/{M}/edit", form)
    assert response.status_code == 428
    assert STALE in response.text
    assert runtime.reader.get(M) == before


@pytest.mark.parametrize("broken", BROKEN)
def test_deprecating_or_restoring_a_model_without_its_version_is_refused(
    as_role: Any, runtime: Runtime, broken: dict[str, str]
) -> None:
    console = as_role("editor")
    version = _model_version(runtime)
    status = console.post(
        f"/admin/models/{M}/status",
        {"action": "deprecate", "confirmed": "yes", "reason": "r", **broken},
    )
    assert "Not changed" in status.text and STALE in status.text
    restore = {"version": "1", "confirmed": "yes", **broken}
    restored = console.post(f"/admin/models/{M}/restore", restore)
    assert "Not restored" in restored.text and STALE in restored.text
    assert _model_version(runtime) == version
    assert runtime.reader.get(M).status == "active"


@pytest.mark.parametrize("broken", BROKEN)
def test_router_config_writes_without_the_version_are_refused(
    as_role: Any, runtime: Runtime, broken: dict[str, str]
) -> None:
    console = as_role("editor")
    change = {"scoringBonuses.reasoningBonus": "40"}
    saved = console.post(
        "/admin/auto-router", _without_version(_config_form(runtime, change), broken)
    )
    assert saved.status_code == 428 and STALE in saved.text
    restore = {"version": "1", "confirmed": "yes", **broken}
    restored = console.post("/admin/auto-router/restore", restore)
    assert "Not restored" in restored.text and STALE in restored.text
    assert runtime.reader.router_config().version == 1


def test_a_profile_write_without_its_version_is_refused(as_role: Any, runtime: Runtime) -> None:
    before = runtime.reader.profile(M)
    assert before is not None
    answer = as_role("editor").post(
        f"/admin/auto-router/profiles/{M}", {"categoryScores.coding": "1"}
    )
    assert "Not saved" in answer.text and STALE in answer.text
    assert runtime.reader.profile(M) == before


def test_flag_writes_need_the_version_except_turning_it_off(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")

    def version() -> int:
        with runtime.unit_of_work() as uow:
            return get_flag(uow, "models_source").version

    before = version()
    confirmed = {"confirmed": "yes", "reason": "checked"}
    stepped = console.post("/admin/rollout/flags/models_source", {"step": "10", **confirmed})
    assert stepped.status_code == 422 and STALE in stepped.text
    on = console.post("/admin/rollout/flags/models_source/switch", {"enabled": "on", **confirmed})
    assert on.status_code == 422 and STALE in on.text
    assert version() == before
    off = console.post("/admin/rollout/flags/models_source/switch", {"enabled": "off", **confirmed})
    assert off.status_code == 200
    assert version() == before + 1


def test_promoting_a_variant_without_the_config_version_is_refused(
    as_role: Any, runtime: Runtime
) -> None:
    with runtime.unit_of_work() as uow:
        spec = {"name": "ab", "variants": [{"name": "x", "weight": 100, "config": cheap_config()}]}
        experiment_svc.create_experiment(uow, spec, "test")
        uow.commit()
    ended = as_role("editor").post("/admin/experiments/ab/end", {"promote": "x"})
    assert "Not ended" in ended.text and STALE in ended.text
    with runtime.unit_of_work() as uow:
        assert get_router_config(uow).version == 1
        assert experiment_svc.get_experiment(uow, "ab").status == "running"
