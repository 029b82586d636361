"""End-to-end: Debian's Chromium, headless, driven through the console like a person would.
Each test also saves a screenshot of the page it is about to artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from modelplane.bootstrap import Runtime
from modelplane.services import bulk
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings
from tests.web.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_then_the_model_table(page: Any) -> None:
    page.goto("/admin/models")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    screenshot(page, "01-login")
    sign_in(page, "editor")
    expect(page.get_by_role("heading", name="Models")).to_be_visible()
    expect(page.locator("#counts")).to_contain_text("matching")
    expect(page.locator('tr[data-model-id="openai:gpt-5"]')).to_be_visible()
    page.get_by_label("Provider").select_option("anthropic")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator('tr[data-model-id="openai:gpt-5"]')).to_have_count(0)
    expect(page.locator("tr[data-model-id^='anthropic:']").first).to_be_visible()
    page.goto("/admin/models")
    screenshot(page, "02-models")


def test_create_edit_history_and_restore_a_model(page: Any) -> None:
    sign_in(page, "editor")
    page.get_by_role("link", name="New model").click()
    page.get_by_label("Id", exact=True).fill("acme:swift-1")
    page.get_by_label("Provider", exact=True).select_option("openai")
    page.get_by_label("Display name").fill("Acme Swift 1")
    page.get_by_label("Context window (tokens)").fill("128000")
    page.get_by_label("Input", exact=True).fill("0.5")
    page.get_by_label("Output", exact=True).fill("1.5")
    page.get_by_label("vision").check()
    reasoning = page.get_by_label("Reasoning settings (JSON)")
    reasoning.fill('{"type": "google-thinking-budget"')
    expect(page.locator('[data-path="reasoning"] .field-error')).to_contain_text("not JSON")
    reasoning.fill('{"type": "google-thinking-budget", "budgetMapping": {"low": 1024}}')
    expect(page.locator('[data-path="reasoning"] .field-error')).to_have_text("")
    page.get_by_label("Reason for this change").fill("launch")
    screenshot(page, "03-model-create")
    page.get_by_role("button", name="Create model").click()
    expect(page.get_by_text("Created acme:swift-1.")).to_be_visible()

    page.get_by_label("Input", exact=True).fill("0.75")
    page.get_by_label("Reason for this change").fill("price rise")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved acme:swift-1 as version 2.")).to_be_visible()
    screenshot(page, "04-model-edit")

    page.get_by_role("link", name="History").click()
    latest = page.locator("li.entry").first
    expect(latest).to_contain_text("Version 2")
    expect(latest).to_contain_text("price rise")
    change = latest.locator("tr", has_text="pricing.input")
    expect(change.locator("td.old")).to_have_text("0.5")
    expect(change.locator("td.new")).to_have_text("0.75")
    screenshot(page, "05-history")

    page.get_by_role("button", name="Restore this version… (1)").click()
    expect(page.get_by_role("heading", name=re.compile("Restore version 1"))).to_be_visible()
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_text("Restored version 1 as version 3.")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Input", exact=True)).to_have_value("0.5")


def test_import_with_preview_then_apply(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    runtime = _other_process_runtime(live_server)
    with runtime.unit_of_work() as uow:
        document = bulk.export_document(uow)
    runtime.close()
    model = next(m for m in document["models"] if m["id"] == "openai:gpt-5")
    model["pricing"]["output"] = 12
    document["models"].append({**model, "id": "openai:gpt-5-imported", "name": "Imported"})
    upload = tmp_path / "catalogue.json"
    upload.write_text(json.dumps(document))

    sign_in(page, "editor")
    page.get_by_role("link", name="Import & export").click()
    page.get_by_label("File (JSON)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview the import").click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("2 changes")
    expect(preview).to_contain_text("openai:gpt-5-imported")
    expect(preview.locator("details.updated", has_text="openai:gpt-5 ")).to_contain_text(
        "pricing.output"
    )
    screenshot(page, "06-import-preview")
    page.get_by_label("Reason (kept in the history of every changed document)").fill("Q3 prices")
    page.get_by_role("button", name="Apply 2 changes").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Imported: 2 changes applied in one transaction.")).to_be_visible()
    page.goto("/admin/models?q=gpt-5-imported")
    expect(page.locator('tr[data-model-id="openai:gpt-5-imported"]')).to_be_visible()


def test_a_dial_changed_in_the_playground_changes_the_ranking(page: Any) -> None:
    sign_in(page, "viewer")
    page.goto("/admin/auto-router/playground")
    page.get_by_label("Message").fill("hello, how are you today?")
    page.get_by_label("Cost bias", exact=True).fill("100")
    page.get_by_role("button", name="Route").click()
    current = page.locator("#current-result")
    expect(current.locator("[data-chosen]")).not_to_be_empty()
    stored_order = current.locator("tr[data-candidate]").evaluate_all(
        "rows => rows.map(r => r.dataset.candidate)"
    )

    page.locator("#what-if > summary").click()
    page.get_by_label("Cost penalty: points at the divisor").fill("1000")
    page.get_by_role("button", name="Route").click()
    what_if = page.locator("#what-if-result")
    expect(what_if).to_be_visible()
    new_order = what_if.locator("tr[data-candidate]").evaluate_all(
        "rows => rows.map(r => r.dataset.candidate)"
    )
    assert new_order != stored_order
    page.evaluate("document.querySelector('#results').scrollIntoView()")
    screenshot(page, "07-playground")


def test_config_tab_sums_weight_rows_and_saves_with_a_reason(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/auto-router")
    simple_sum = page.get_by_label("simple row sum")
    expect(simple_sum).to_have_text("1.000 ✓")
    page.get_by_label("simple tasks: cheap weight").fill("0.5")
    expect(simple_sum).to_have_text("0.900 ≠ 1")
    page.get_by_label("Reason for this change").fill("fewer cheap picks")
    page.get_by_role("button", name="Save config").click()
    expect(page.locator("#error-summary")).to_contain_text("weights must sum to 1")
    page.get_by_label("simple tasks: cheap weight").fill("0.5")
    page.get_by_label("simple tasks: mid weight").fill("0.35")
    expect(page.get_by_label("simple row sum")).to_have_text("1.000 ✓")
    page.get_by_role("button", name="Add a rule").click()
    rules = page.locator("li[data-rule]")
    new_rule = rules.last
    new_rule.get_by_label("Speed rule: value").fill("turbo")
    new_rule.get_by_label("Speed rule: bonus").fill("9")
    new_rule.get_by_role("button", name="Move rule up").click()
    screenshot(page, "08-router-config")
    page.get_by_role("button", name="Save config").click()
    expect(page.get_by_text(re.compile("Saved the router config as version"))).to_be_visible()
    values = page.locator("li[data-rule] input[name$='.value']").evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )
    assert values[-2] == "turbo"
    page.goto("/admin/auto-router/history")
    expect(page.locator("li.entry").first).to_contain_text("fewer cheap picks")


def test_profiles_grid_edits_inline(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/auto-router/profiles")
    cell = page.get_by_label("openai:gpt-5: Coding")
    cell.fill("61")
    page.get_by_label("Reason for grid edits (required)").fill("coding evals")
    row = page.locator('tr[data-profile-id="openai:gpt-5"]')
    row.get_by_role("button", name="Save").click()
    expect(row.locator("[data-row-status]")).to_contain_text("saved · v2")
    screenshot(page, "09-profiles")
    page.reload()
    expect(page.get_by_label("openai:gpt-5: Coding")).to_have_value("61")


def test_a_viewer_cannot_edit(page: Any, live_server: LiveServer) -> None:
    sign_in(page, "viewer")
    expect(page.get_by_role("link", name="New model")).to_have_count(0)
    page.goto("/admin/models/openai:gpt-5/edit")
    expect(page.get_by_label("Display name")).to_be_disabled()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    screenshot(page, "10-viewer-edit")
    response = page.request.post(
        f"{live_server.url}/admin/models/openai:gpt-5/status",
        form={"action": "deprecate", "csrf_token": page.evaluate("document.body.dataset.csrf")},
    )
    assert response.status == 403


def test_a_form_without_its_csrf_token_is_refused(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/models/openai:gpt-5/edit")
    page.evaluate("document.querySelector('#model-form input[name=csrf_token]').remove()")
    page.get_by_label("Display name").fill("Hijacked")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("security token")
    page.goto("/admin/models/openai:gpt-5/edit")
    expect(page.get_by_label("Display name")).to_have_value("GPT-5")


def test_a_change_through_the_api_appears_in_an_open_page(
    page: Any, live_server: LiveServer
) -> None:
    runtime = _other_process_runtime(live_server)
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="ci", role="editor"), "test")
        uow.commit()
    runtime.close()
    sign_in(page, "viewer")
    page.goto("/admin/models?q=gpt-5-mini")
    row = page.locator('tr[data-model-id="openai:gpt-5-mini"]')
    expect(row.locator('[data-col="input"]')).to_have_text("$0.15")
    expect(page.locator("body[data-live=connected]")).to_have_count(1)

    answer = httpx.patch(
        f"{live_server.url}/api/v1/models/openai:gpt-5-mini",
        json={"pricing": {"input": 0.3}, "reason": "price change elsewhere"},
        headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    expect(row.locator('[data-col="input"]')).to_have_text("$0.30")
    screenshot(page, "11-live-update")


def test_admin_pages_for_users_and_tokens(page: Any) -> None:
    sign_in(page, "admin")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator('tr[data-user="newcomer"]')).to_contain_text("editor")
    screenshot(page, "12-users")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("ci-bot")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_label("Token", exact=True)).to_have_value(re.compile(r"^mp_"))
    screenshot(page, "13-tokens")


def test_the_table_is_usable_at_phone_width(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "editor")
    row = page.locator('tr[data-model-id="openai:gpt-5"]')
    expect(row.get_by_role("link", name="Edit openai:gpt-5")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "14-models-phone")


def _other_process_runtime(server: LiveServer) -> Runtime:
    """Another connection to the server's database, as a second process would have."""
    # uvicorn types Config.app as any ASGI app or import string; LiveServer serves create_app's.
    app = cast(FastAPI, server.server.config.app)
    url = app.state.runtime.settings.database_url
    return Runtime(Settings(database_url=url, environment="test"))
