"""The console's forms over HTTP (no browser), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.services import bulk, router_data
from modelplane.services import models as model_svc
from modelplane.settings import Settings
from modelplane.web.session import COOKIE, MissingSecretKey, resolve_secret
from tests.web.conftest import PASSWORD, Console, csrf_of
from tests.web.import_helpers import apply_import

NEW_MODEL = {
    "id": "acme:swift-1",
    "provider": "openai",
    "name": "Acme Swift 1",
    "status": "active",
    "contextWindow": "128000",
    "pricing.input": "0.5",
    "pricing.output": "1.5",
    "reason": "new from the console",
}


def model_form(**change: str) -> list[tuple[str, str]]:
    fields = {**NEW_MODEL, **change}
    return [*fields.items(), ("capabilities[]", "vision"), ("capabilities[]", "thinking")]


def test_pages_need_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get("/admin/models", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Fmodels"


def test_wrong_password_is_refused_and_right_one_sets_a_safe_cookie(
    app_client: TestClient,
) -> None:
    console = Console(app_client)
    assert console.sign_in("editor-user", "not the password").status_code == 401
    response = console.sign_in("editor-user")
    assert response.status_code == 200
    assert "editor-user" in response.text
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if COOKIE in h)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_signing_in_issues_a_new_session_and_csrf_token(app_client: TestClient) -> None:
    before = csrf_of(app_client.get("/admin/login").text)
    console = Console(app_client)
    console.sign_in("admin-user")
    assert console.csrf != before


def test_a_form_without_its_csrf_token_is_refused(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    for token in (None, "forged"):
        body = dict(NEW_MODEL) | ({"csrf_token": token} if token else {})
        response = console.client.post("/admin/models/new", data=body)
        assert response.status_code == 403
        assert "security token" in response.text
    assert runtime.reader.find("acme:swift-1") is None


def test_editor_creates_a_model_with_every_field_group(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    form = model_form(
        **{
            "reasoning[json]": '{"type": "google-thinking-budget", "budgetMapping": {"low": 1024}}',
            "hostOrder[list]": "groq, cerebras",
            "isExperimental": "true",
        }
    )
    response = console.post("/admin/models/new", form)
    assert response.status_code == 200
    assert "Created acme:swift-1" in response.text
    model = runtime.reader.get("acme:swift-1")
    assert model.capabilities == ["vision", "thinking"]
    assert model.host_order == ["groq", "cerebras"]
    assert model.is_experimental
    assert model.created_by == "editor-user"
    with runtime.unit_of_work() as uow:
        entries, _ = model_svc.history(uow, "acme:swift-1")
    assert entries[0].reason == "new from the console"


def test_invalid_fields_come_back_inline_with_the_domain_messages(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    form = model_form(**{"pricing.input": "-1", "reasoning[json]": "{not json"})
    response = console.post("/admin/models/new", form)
    assert response.status_code == 422
    assert 'id="f-pricing-input-error"' in response.text
    assert "Input price must be at least 0" in response.text
    assert 'id="f-reasoning-error"' in response.text
    assert "not JSON" in response.text
    assert 'value="Acme Swift 1"' in response.text  # what was typed is kept
    assert runtime.reader.find("acme:swift-1") is None


def test_validation_as_you_type_answers_the_domain_errors(as_role: Any) -> None:
    console = as_role("editor")
    form = model_form(**{"reasoning[json]": '{"type": "anthropic-extended-thinking"}'})
    response = console.post("/admin/models/validate", form)
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == ["reasoning.budgetMapping"]


def test_a_stale_edit_shows_what_the_other_writer_changed(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    model = runtime.reader.get("openai:gpt-5")
    with runtime.unit_of_work() as uow:
        model_svc.update_model(uow, model.id, {"name": "GPT-5 renamed"}, "other", model.version)
        uow.commit()
    form = model_form(id="openai:gpt-5", name="GPT-5 mine", expectedVersion=str(model.version))
    response = console.post("/admin/models/openai:gpt-5/edit", form)
    assert response.status_code == 409
    assert "Someone else saved first" in response.text
    assert "<code>name</code>" in response.text
    assert "GPT-5 renamed" in response.text  # their value
    assert 'value="GPT-5 mine"' in response.text  # our edit, not lost from the page
    assert runtime.reader.get("openai:gpt-5").name == "GPT-5 renamed"


def test_restore_asks_for_confirmation_before_writing(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    model = runtime.reader.get("openai:gpt-5")
    with runtime.unit_of_work() as uow:
        model_svc.update_model(uow, model.id, {"pricing": {"input": 9}}, "other", model.version)
        uow.commit()
    form = {"version": "1", "expectedVersion": str(model.version + 1)}
    asked = console.post("/admin/models/openai:gpt-5/restore", form)
    assert "Restore version 1" in asked.text
    assert runtime.reader.get(model.id).pricing.input == 9
    done = console.post("/admin/models/openai:gpt-5/restore", {**form, "confirmed": "yes"})
    assert "Restored version 1" in done.text
    assert runtime.reader.get(model.id).pricing.input == model.pricing.input


def test_a_viewer_sees_read_only_pages_and_cannot_write(as_role: Any, runtime: Runtime) -> None:
    console = as_role("viewer")
    page = console.get("/admin/models/openai:gpt-5/edit")
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.text
    assert "Save changes" not in page.text
    assert "New model" not in console.get("/admin/models").text
    for path in ("/admin/models/new", "/admin/models/openai:gpt-5/status", "/admin/auto-router"):
        assert console.post(path, {"action": "deprecate"}).status_code == 403
    assert console.get("/admin/users").status_code == 403
    assert runtime.reader.get("openai:gpt-5").status != "deprecated"


def test_model_table_filters_sorts_and_counts(as_role: Any, runtime: Runtime) -> None:
    console = as_role("viewer")
    page = console.get("/admin/models?provider=anthropic&sort=input&dir=desc&per=50")
    anthropic = sorted(
        (m for m in runtime.reader.models() if m.provider == "anthropic"),
        key=lambda m: (m.pricing.input, m.id),
        reverse=True,
    )
    positions = [page.text.index(f'data-model-id="{m.id}"') for m in anthropic]
    assert positions == sorted(positions)
    assert f"of {len(anthropic)} matching" in page.text
    searched = console.get("/admin/models?q=gpt-5-mini")
    assert 'data-model-id="openai:gpt-5-mini"' in searched.text
    assert 'data-model-id="anthropic:' not in searched.text


def test_import_preview_lists_errors_with_json_paths_and_writes_nothing(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    document = {
        "models": [
            {
                "id": "acme:x",
                "provider": "nobody",
                "name": "X",
                "contextWindow": 0,
                "pricing": {"input": 1, "output": 1},
            }
        ]
    }
    response = _upload(console, document)
    assert response.status_code == 422
    assert "<code>acme:x</code>" in response.text
    assert "Context window must be more than 0" in response.text
    assert "models[0]" not in response.text
    assert runtime.reader.find("acme:x") is None


def test_import_applies_only_the_plan_that_was_previewed(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    with runtime.unit_of_work() as uow:
        document = bulk.export_document(uow)
    for model in document["models"]:
        model.pop("version")  # an older export: no base versions, so no conflicts either
    gpt5 = next(m for m in document["models"] if m["id"] == "openai:gpt-5")
    gpt5["pricing"]["input"] = 3.25
    preview = _upload(console, document)
    assert preview.status_code == 200
    assert "openai:gpt-5" in preview.text and "pricing.input" in preview.text
    stage, digest = _hidden(preview.text, "stage"), _hidden(preview.text, "digest")
    # Someone changes the catalogue between the preview and the confirmation.
    current = runtime.reader.get("openai:gpt-5-mini")
    with runtime.unit_of_work() as uow:
        model_svc.update_model(uow, current.id, {"name": "moved"}, "other", current.version)
        uow.commit()
    refused = apply_import(console, {"stage": stage, "digest": digest})
    assert refused.status_code == 409
    assert runtime.reader.get("openai:gpt-5").pricing.input == 2.5
    applied = apply_import(
        console,
        {"stage": stage, "digest": _hidden(refused.text, "digest"), "reason": "new prices"},
    )
    assert "applied in one transaction" in applied.text
    assert float(runtime.reader.get("openai:gpt-5").pricing.input) == 3.25


def test_router_config_errors_are_shown_beside_the_matrix_row(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    form = _config_form(runtime, {"tierWeights.simple.cheap": "0.9"})
    response = console.post("/admin/auto-router", form)
    assert response.status_code == 422
    assert "weights must sum to 1" in response.text
    assert runtime.reader.router_config().tier_weights.simple.cheap == 0.6


def test_router_config_saves_with_its_reason(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    before = runtime.reader.router_config()
    form = _config_form(runtime, {"scoringBonuses.reasoningBonus": "40", "reason": "tuning"})
    response = console.post("/admin/auto-router", form)
    assert "Saved the router config" in response.text
    with runtime.unit_of_work() as uow:
        entries, _ = router_data.router_config_history(uow)
    assert entries[0].version == before.version + 1
    assert entries[0].reason == "tuning"
    assert [c.field for c in entries[0].changes] == ["scoringBonuses.reasoningBonus"]


def test_playground_compares_stored_and_unsaved_dials(as_role: Any, runtime: Runtime) -> None:
    console = as_role("viewer")  # routing writes nothing, so viewers may try it
    form = _config_form(runtime, {}, prefix="whatIf.")
    request = [("text", "hello, how are you today?"), ("costBias", "100"), ("seed", "7")]
    same = console.post("/admin/auto-router/playground", [*request, *form])
    assert "With the stored dials" in same.text
    assert "What if (unsaved dials)" not in same.text
    changed = [(k, "1000" if k.endswith("maxPenalty") else v) for k, v in form]
    response = console.post("/admin/auto-router/playground", [*request, *changed])
    assert "What if (unsaved dials)" in response.text
    assert runtime.reader.router_config().router_settings.cost_penalty_scale.max_penalty == 20


def test_admin_manages_users_and_the_last_admin_stays(as_role: Any, runtime: Runtime) -> None:
    console = as_role("admin")
    created = console.post(
        "/admin/users", {"username": "newbie", "role": "viewer", "password": PASSWORD}
    )
    assert "Created viewer newbie" in created.text
    demoted = console.post("/admin/users/admin-user", {"action": "role", "role": "viewer"})
    assert "the last active admin" in demoted.text
    token_page = console.post("/admin/tokens", {"name": "ci-bot", "role": "editor"})
    assert "shown this once" in token_page.text
    assert 'value="mp_' in token_page.text


def test_a_password_change_ends_the_users_sessions(as_role: Any, app_client: TestClient) -> None:
    viewer = as_role("viewer")
    session = dict(app_client.cookies)
    admin = as_role("admin")
    admin.post("/admin/users/viewer-user", {"action": "password", "password": "a new secret pw"})
    app_client.cookies.clear()
    app_client.cookies.update(session)
    assert viewer.get("/admin/models", follow_redirects=False).status_code == 303


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(MissingSecretKey):
        resolve_secret(Settings(environment="production", secret_key=None))
    assert resolve_secret(Settings(environment="production", secret_key="k" * 40)) == b"k" * 40


def _upload(console: Console, document: dict[str, Any]) -> Any:
    raw = json.dumps(document).encode()
    return console.client.post(
        "/admin/import",
        data={"csrf_token": console.csrf, "kind": "all"},
        files={"file": ("catalogue.json", io.BytesIO(raw), "application/json")},
    )


def _hidden(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def _config_form(
    runtime: Runtime, change: dict[str, str], prefix: str = ""
) -> list[tuple[str, str]]:
    """The config form as the page sends it, from the stored config, with ``change``."""
    from modelplane.web.routes.router_data import config_values

    config = runtime.reader.router_config()
    fields: list[tuple[str, str]] = [("expectedVersion", str(config.version))]
    for path, value in config_values(config.doc(), prefix).items():
        if isinstance(value, list):
            if path.endswith("capabilities"):
                fields += [(f"{path}[]", v) for v in value]
            else:
                fields.append((f"{path}[list]", ", ".join(value)))
        else:
            fields.append((path, str(value)))
    replaced = [(k, change.get(k, v)) for k, v in fields]
    return replaced + [(k, v) for k, v in change.items() if k not in dict(fields)]


def test_the_token_form_takes_scopes_and_an_expiry_and_lists_them(as_role: Any) -> None:
    console = as_role("admin")
    bad = console.post("/admin/tokens", {"name": "x", "role": "viewer", "scopes": "write:model"})
    assert bad.status_code == 422
    assert "write:model" in bad.text
    made = console.post(
        "/admin/tokens",
        [("name", "reader"), ("role", "viewer"), ("scopes", "read"), ("expiresAt", "2099-01-02")],
    )
    assert made.status_code == 200, made.text
    row = made.text.split('data-token="reader"')[1].split("</tr>")[0]
    assert "<code>read</code>" in row
    assert "2099-01-02" in row
