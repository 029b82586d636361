"""The console's import of an export taken before someone's edit (issue 12, defect 7): the
preview lists the conflict, an apply without a choice is refused, and the apply form offers
to skip the changed documents or to overwrite them with a reason."""

from __future__ import annotations

from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.services import bulk
from modelplane.services import models as model_svc
from tests.web.import_helpers import apply_import
from tests.web.test_forms import _hidden, _upload

M = "openai:gpt-5"
OTHER = "openai:gpt-5-mini"


def _stale_export(runtime: Runtime) -> dict[str, Any]:
    document = bulk.export_document(runtime.unit_of_work)
    model_svc.update_model(runtime.unit_of_work, M, {"pricing": {"input": 3}}, "other", None)
    next(m for m in document["models"] if m["id"] == OTHER)["pricing"]["output"] = 77
    return document


def _pricing(runtime: Runtime, model_id: str) -> tuple[float, float]:
    with runtime.unit_of_work(read_only=True) as uow:
        model = uow.models.get(model_id)
    assert model is not None
    return float(model.pricing.input), float(model.pricing.output)


def test_the_preview_lists_the_conflict_and_an_apply_without_a_choice_is_refused(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    preview = _upload(console, _stale_export(runtime))
    assert preview.status_code == 200
    assert 'id="import-conflicts"' in preview.text
    assert f"<code>{M}</code>" in preview.text and "pricing.input" in preview.text
    assert 'name="on_conflict" value="force"' in preview.text
    stage, digest = _hidden(preview.text, "stage"), _hidden(preview.text, "digest")

    refused = apply_import(console, {"stage": stage, "digest": digest})
    assert refused.status_code == 409
    assert "changed since it was exported" in refused.text
    assert _pricing(runtime, M)[0] == 3
    assert _pricing(runtime, OTHER)[1] != 77


def test_skipping_applies_the_rest(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    preview = _upload(console, _stale_export(runtime))
    form = {"stage": _hidden(preview.text, "stage"), "digest": _hidden(preview.text, "digest")}
    applied = apply_import(console, {**form, "on_conflict": "skip"})
    assert applied.status_code == 200, applied.text
    assert "skipped" in applied.text
    assert _pricing(runtime, M)[0] == 3
    assert _pricing(runtime, OTHER)[1] == 77


def test_overwriting_needs_a_reason_and_the_history_names_the_force(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    preview = _upload(console, _stale_export(runtime))
    form = {
        "stage": _hidden(preview.text, "stage"),
        "digest": _hidden(preview.text, "digest"),
        "on_conflict": "force",
    }
    no_reason = console.post("/admin/import/apply", form)
    assert no_reason.status_code == 422
    assert "a forced import needs a reason" in no_reason.text
    assert _pricing(runtime, M)[0] == 3

    applied = apply_import(console, {**form, "reason": "audited prices"})
    assert applied.status_code == 200, applied.text
    assert "overwritten (forced)" in applied.text
    assert _pricing(runtime, M)[0] != 3
    with runtime.unit_of_work(read_only=True) as uow:
        [top] = uow.model_history.page(M, 0, 1)
    assert top.reason == "forced over a version conflict: audited prices"
