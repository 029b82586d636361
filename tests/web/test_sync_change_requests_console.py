"""The sync page under an approval policy: the preview says approval is required and opens
a change request holding exactly that diff (then approved and applied on the change
request's page by someone else), or applies it as an admin's emergency override."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import NotFound
from modelplane.services import change_requests as cr
from modelplane.services import models as model_svc
from tests.web.test_forms import _hidden

FIXTURE = Path(__file__).parents[1] / "sync" / "fixtures" / "litellm.json"


def _preview(console: Any) -> Any:
    page = console.client.post(
        "/admin/sync",
        data={"csrf_token": console.csrf, "source": "litellm"},
        files={"file": ("prices.json", io.BytesIO(FIXTURE.read_bytes()), "application/json")},
    )
    assert page.status_code == 200, page.text
    return page


def _staged(page: Any, **extra: str) -> dict[str, str]:
    return {"stage": _hidden(page.text, "stage"), "digest": _hidden(page.text, "digest"), **extra}


def test_the_preview_opens_a_change_request_that_another_user_applies(
    as_role: Any, runtime: Runtime
) -> None:
    cr.set_policy(runtime.unit_of_work, "sync", 1, "editor", "test")
    console = as_role("admin")
    preview = _preview(console)
    assert "Approval is required" in preview.text and 'id="sync-request"' in preview.text
    assert 'action="/admin/sync/apply" class="stack" data-confirm' not in preview.text

    untitled = console.post("/admin/sync/request", _staged(preview, title=""))
    assert untitled.status_code == 422 and "title" in untitled.text
    preview = _preview(console)
    opened = console.post(
        "/admin/sync/request",
        _staged(preview, title="weekly sync", reason="prices moved"),
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    page = console.get(opened.headers["location"])
    assert "weekly sync" in page.text and "openai:gpt-4o" in page.text
    assert "pricing.input" in page.text
    rid = int(opened.headers["location"].split("?")[0].rsplit("/", 1)[1])
    with pytest.raises(NotFound):  # a draft until it is applied
        model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")

    editor = as_role("editor")
    editor.post(f"/admin/changes/{rid}", {"action": "approve"})
    editor.post(f"/admin/changes/{rid}", {"action": "apply"})
    assert cr.get_request(runtime.unit_of_work, rid)["state"] == "applied"
    entries, _ = model_svc.history(runtime.unit_of_work, "openai:gpt-4o", 0, 5)
    assert entries[0].reason == f"change request #{rid}: weekly sync"


def test_a_policy_set_after_the_preview_and_the_emergency_override(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("admin")
    preview = _preview(console)
    assert "Approval is required" not in preview.text
    cr.set_policy(runtime.unit_of_work, "sync", 1, "editor", "test")
    refused = console.post("/admin/sync/apply", _staged(preview))
    assert refused.status_code == 409
    assert "now needs approval" in refused.text and 'id="sync-request"' in refused.text
    blank = console.post("/admin/sync/apply", _staged(refused, override=" "))
    assert blank.status_code == 422 and "override" in blank.text
    done = console.post("/admin/sync/apply", _staged(refused, override="prices wrong"))
    assert done.status_code == 200 and "changed in one transaction" in done.text
    entries, _ = model_svc.history(runtime.unit_of_work, "openai:gpt-4o", 0, 5)
    assert entries[0].reason == "emergency override: prices wrong"
