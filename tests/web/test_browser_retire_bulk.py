"""Issue 17 in Chromium: an admin retires a model for good behind a confirmation with a
reason, and an editor deprecates or activates many models at once with one reason. Each
test saves screenshots at 1440 and 390 px to artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

M = "openai:gpt-5"
FALLBACK = "openai:gpt-5-mini"


def _no_sideways_scroll(page: Any, name: str) -> None:
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}", full_page=True)
        if width == 390:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_admin_retires_a_model_for_good_and_its_page_says_so(page: Any) -> None:
    sign_in(page, "admin")
    page.goto(f"/admin/models/{M}")
    page.get_by_role("button", name="Retire for good…").click()
    expect(page.get_by_role("heading", name=f"Retire {M} for good?")).to_be_visible()
    expect(page.locator("[data-effect]")).to_contain_text("every list")
    _no_sideways_scroll(page, "40-retire-confirm")
    page.get_by_label("Reason (required)").fill("   ")
    page.get_by_role("button", name="Retire for good").click()
    expect(page.locator(".banner.error")).to_contain_text("give a reason")
    page.get_by_label("Reason (required)").fill("the provider switched it off")
    page.get_by_role("button", name="Retire for good").click()

    expect(page.locator(".banner.notice")).to_contain_text(f"Retired {M} for good")
    expect(page.locator(".badge.status-retired")).to_be_visible()
    expect(page.locator("#retired-by")).to_have_text("admin-user")
    expect(page.locator("#retired-reason")).to_have_text("the provider switched it off")
    _no_sideways_scroll(page, "41-retired-model")

    page.goto("/admin/models?q=gpt-5")
    expect(page.locator(f'tr[data-model-id="{FALLBACK}"]')).to_be_visible()
    expect(page.locator(f'tr[data-model-id="{M}"]')).to_have_count(0)
    assert M not in {m["id"] for m in page.request.get("/v1/models").json()["data"]}
    page.goto(f"/admin/models/{M}/history")
    expect(page.locator("li.entry").first).to_contain_text("the provider switched it off")

    page.goto("/admin/models/new")  # the id stays reserved
    page.get_by_label("Id", exact=True).fill(M)
    page.get_by_label("Provider", exact=True).select_option("openai")
    page.get_by_label("Display name").fill("GPT-5 again")
    page.get_by_label("Context window (tokens)").fill("1000")
    page.get_by_label("Input", exact=True).fill("1")
    page.get_by_label("Output", exact=True).fill("2")
    page.get_by_role("button", name="Create model").click()
    expect(page.locator("body")).to_contain_text("is retired")


def test_an_editor_sees_no_retire_button(page: Any) -> None:
    sign_in(page, "editor")
    page.goto(f"/admin/models/{M}")
    expect(page.get_by_role("button", name="Retire for good…")).to_have_count(0)


def test_bulk_deprecate_with_one_reason_names_the_blocking_model_then_writes_all(
    page: Any,
) -> None:
    sign_in(page, "editor")
    page.goto("/admin/models?q=gpt-5")
    ids = page.locator('tbody input[name="ids"]').evaluate_all("bs => bs.map(b => b.value)")
    assert M in ids and FALLBACK in ids
    page.get_by_label("Tick every row on this page").check()  # bulk.js
    expect(page.locator("#bulk-count")).to_have_text(f"{len(ids)} ticked")
    _no_sideways_scroll(page, "42-bulk-ticked")
    page.get_by_role("button", name="Change status…").click()
    expect(page.get_by_role("heading", name=f"Deprecate {len(ids)} models?")).to_be_visible()
    page.get_by_label("Reason (required)").fill("spring clean")
    page.get_by_role("button", name="Deprecate all").click()
    refusal = page.locator(".banner.error")
    expect(refusal).to_contain_text(FALLBACK)
    expect(refusal).to_contain_text("fallback")
    screenshot(page, "43-bulk-refused")
    listed = page.request.get(f"/api/v1/models/{M}").json()
    assert listed["status"] != "deprecated"  # nothing was written

    page.goto("/admin/models?q=gpt-5")
    page.locator(f'input[name="ids"][value="{FALLBACK}"]').evaluate("b => b.remove()")
    page.get_by_label("Tick every row on this page").check()
    page.get_by_role("button", name="Change status…").click()
    page.get_by_label("Reason (required)").fill("spring clean")
    page.get_by_role("button", name="Deprecate all").click()
    expect(page.locator(".banner.notice")).to_contain_text(f"{len(ids) - 1} models now deprecated")
    assert page.request.get(f"/api/v1/models/{M}").json()["status"] == "deprecated"

    page.goto("/admin/models?q=gpt-5&status=deprecated")
    page.get_by_label("Apply to").select_option("matching")
    page.get_by_label("Set status").select_option("active")
    page.get_by_role("button", name="Change status…").click()
    expect(page.get_by_role("heading", name=f"Activate {len(ids) - 1} models?")).to_be_visible()
    page.get_by_label("Reason (required)").fill("back in use")
    page.get_by_role("button", name="Activate all").click()
    expect(page.locator(".banner.notice")).to_contain_text(f"{len(ids) - 1} models now active")
    assert page.request.get(f"/api/v1/models/{M}").json()["status"] == "active"


def test_bulk_status_works_without_javascript(browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "editor")
        page.goto("/admin/models?q=gpt-5")
        expect(page.get_by_label("Tick every row on this page")).to_be_hidden()
        page.get_by_label(f"Tick {M}", exact=True).check()
        page.get_by_role("button", name="Change status…").click()
        expect(page.get_by_role("heading", name="Deprecate 1 model?")).to_be_visible()
        page.get_by_label("Reason (required)").fill("no script needed")
        page.get_by_role("button", name="Deprecate all").click()
        expect(page.locator(".banner.notice")).to_contain_text("1 model now deprecated")
    finally:
        context.close()
