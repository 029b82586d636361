"""The console's sync page: upload, preview, apply; the last runs; admins only."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.services import models as model_svc
from tests.web.test_forms import _hidden

FIXTURE = Path(__file__).parents[1] / "sync" / "fixtures" / "litellm.json"


def _upload(console: Any, raw: bytes) -> Any:
    return console.client.post(
        "/admin/sync",
        data={"csrf_token": console.csrf, "source": "litellm"},
        files={"file": ("prices.json", io.BytesIO(raw), "application/json")},
    )


def test_preview_then_apply(as_role: Any, runtime: Runtime) -> None:
    console = as_role("admin")
    page = console.get("/admin/sync")
    assert page.status_code == 200 and "No sync yet" in page.text
    preview = _upload(console, FIXTURE.read_bytes())
    assert preview.status_code == 200, preview.text
    assert "openai:gpt-4o" in preview.text and "Nothing has been written yet" in preview.text
    assert "supports_prompt_caching" in preview.text
    applied = console.post(
        "/admin/sync/apply",
        {"stage": _hidden(preview.text, "stage"), "digest": _hidden(preview.text, "digest")},
    )
    assert applied.status_code == 200, applied.text
    assert "changed in one transaction" in applied.text
    model = model_svc.get_model(runtime.unit_of_work, "openai:gpt-4o")
    assert str(model.pricing.cached) == "1.25"
    assert "applied" in console.get("/admin/sync").text


def test_a_changed_catalogue_refuses_the_stale_preview(as_role: Any, runtime: Runtime) -> None:
    console = as_role("admin")
    preview = _upload(console, FIXTURE.read_bytes())
    model_svc.update_model(
        runtime.unit_of_work,
        "anthropic:claude-sonnet-4",
        {"pricing": {"cacheWrite": 3.75}},
        "x",
        None,
    )
    refused = console.post(
        "/admin/sync/apply",
        {"stage": _hidden(preview.text, "stage"), "digest": _hidden(preview.text, "digest")},
    )
    assert refused.status_code == 409
    assert "changed since your preview" in refused.text


def test_bad_values_are_shown_and_cannot_be_applied(as_role: Any) -> None:
    console = as_role("admin")
    raw = FIXTURE.read_bytes().replace(
        b'"input_cost_per_token": 2.5e-06', b'"input_cost_per_token": "x"'
    )
    preview = _upload(console, raw)
    assert preview.status_code == 200
    assert "gpt-4o.input_cost_per_token" in preview.text
    assert "/admin/sync/apply" not in preview.text


def test_an_editor_cannot_open_the_page(as_role: Any) -> None:
    assert as_role("editor").get("/admin/sync").status_code == 403


def test_the_model_form_edits_tiers_and_lifecycle(as_role: Any, runtime: Runtime) -> None:
    from tests.web.test_forms import model_form

    console = as_role("editor")
    form = model_form(
        **{
            "pricing.cacheWrite": "3.75",
            "pricing.tiers[json]": '[{"aboveInputTokens": 200000, "input": 6, "output": 22.5}]',
            "maxOutputTokens": "64000",
            "inputModalities[list]": "text, image",
            "sunsetDate": "2030-01-01T00:00:00Z",
            "successorId": "openai:gpt-5",
        }
    )
    created = console.post("/admin/models/new", form)
    assert created.status_code == 200, created.text
    model = runtime.reader.get("acme:swift-1")
    assert model.pricing.tiers is not None and str(model.pricing.tiers[0].output) == "22.5"
    assert str(model.pricing.cache_write) == "3.75"
    assert model.input_modalities == ["text", "image"]
    assert model.sunset_date is not None and model.sunset_date.year == 2030
    page = console.get("/admin/models/acme:swift-1/edit")
    assert "aboveInputTokens" in page.text and "2030-01-01T00:00:00Z" in page.text


def test_the_console_previews_then_replaces_a_model(as_role: Any, runtime: Runtime) -> None:
    from modelplane.services.router_data import get_router_config

    def fallback() -> str:
        return get_router_config(runtime.unit_of_work).doc().router_settings.fallback_model_id

    old, new = fallback(), "openai:gpt-5.1"
    console = as_role("editor")
    assert f"/admin/models/{old}/replace" in console.get(f"/admin/models/{old}/edit").text
    preview = console.get(f"/admin/models/{old}/replace?new={new}")
    assert preview.status_code == 200 and "routerSettings.fallbackModelId" in preview.text
    assert fallback() == old
    done = console.post(f"/admin/models/{old}/replace", {"new": new})
    assert done.status_code == 200, done.text
    assert fallback() == new
    assert model_svc.get_model(runtime.unit_of_work, old).successor_id == new
