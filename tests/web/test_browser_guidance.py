"""Issue 17 in Chromium: the console tells the truth and guides the admin. Risky actions
have safe defaults and ask for a reason, banners are honest, the playground always shows
the pick. Each test saves a screenshot to artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

M = "openai:gpt-5"


def test_duplicate_creates_a_beta_copy_that_is_not_public(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/models?q=gpt-5")
    row = page.locator(f'tr[data-model-id="{M}"]')
    row.get_by_role("button", name=f"Duplicate {M}").click()
    expect(page).to_have_url(re.compile(r"/admin/models/openai:gpt-5-copy/edit"))
    expect(page.locator(".banner.notice")).to_contain_text("beta and internal-only")
    expect(page.get_by_label("Status")).to_have_value("beta")
    expect(page.get_by_label(re.compile("^Internal only"))).to_be_checked()
    screenshot(page, "30-duplicate-beta")
    listed = page.request.get("/v1/models").json()
    assert f"{M}-copy" not in {m["id"] for m in listed["data"]}


def test_deprecate_asks_for_a_reason_and_records_it(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/models?q=gpt-5")
    page.locator(f'tr[data-model-id="{M}"]').get_by_role("button", name=f"Deprecate… {M}").click()
    expect(page.get_by_role("heading", name=f"Deprecate {M}?")).to_be_visible()
    page.get_by_role("button", name="Deprecate").click()  # the browser refuses a blank reason
    reason = page.get_by_label("Reason (required)")
    assert reason.evaluate("el => el.validity.valueMissing") is True
    reason.fill("   ")  # the server refuses one of spaces
    page.get_by_role("button", name="Deprecate").click()
    expect(page.locator(".banner.error")).to_contain_text("give a reason")
    screenshot(page, "31-deprecate-reason")
    page.get_by_label("Reason (required)").fill("replaced by gpt-5.1")
    page.get_by_role("button", name="Deprecate").click()
    expect(page.locator(".banner.notice")).to_contain_text(f"Deprecated {M}")
    page.goto(f"/admin/models/{M}/history")
    latest = page.locator("li.entry").first
    expect(latest).to_contain_text("replaced by gpt-5.1")
    expect(latest).to_contain_text("deprecated")


def test_the_models_page_warns_while_the_catalogue_flag_is_below_100(page: Any) -> None:
    sign_in(page, "editor")
    expect(page.locator("#catalogue-warning")).to_have_count(0)
    page.goto("/admin/rollout")
    card = page.locator('[data-flag-card="models_source"]')
    card.get_by_role("button", name="Set models_source to 10%").click()
    page.get_by_label("Reason (required)").fill("back to a tenth")
    page.get_by_role("button", name="Move 90% of traffic").click()
    expect(page.get_by_text("models_source is on at 10%")).to_be_visible()
    page.goto("/admin/models")
    warning = page.locator("#catalogue-warning")
    expect(warning).to_contain_text("Edits here reach 10% of users.")
    expect(warning).to_contain_text("the other 90% get the static tables")
    screenshot(page, "32-models-catalogue-warning")


@pytest.mark.parametrize(
    "message",
    ["hello, how are you today?", "prove that sqrt(2) is irrational", "write a haiku"],
)
def test_the_playground_always_shows_the_chosen_model_with_its_rank(
    page: Any, message: str
) -> None:
    sign_in(page, "viewer")
    page.goto("/admin/auto-router")
    expect(page.locator("#active-strategy")).to_contain_text("Active strategy:")
    page.goto("/admin/auto-router/playground")
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Route").click()
    current = page.locator("#current-result")
    chosen = current.locator("[data-chosen]").inner_text()
    expect(current.locator("[data-chosen-rank]")).to_have_text(re.compile(r"rank \d+ of \d+"))
    rank = int(re.findall(r"\d+", current.locator("[data-chosen-rank]").inner_text())[0])
    row = current.locator(f'tr.selected[data-candidate="{chosen}"]')
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(str(rank))


def test_a_refusal_is_shown_in_the_error_style(page: Any) -> None:
    sign_in(page, "editor")
    for _ in range(2):  # the second copy's id is taken
        page.goto("/admin/models?q=gpt-5")
        page.locator(f'tr[data-model-id="{M}"]').get_by_role(
            "button", name=f"Duplicate {M}"
        ).click()
    banner = page.locator('[data-banner="error"]')
    expect(banner).to_contain_text("Not duplicated")
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_have_class(re.compile(r"\bbanner error\b"))
    expect(page.locator('[data-banner="notice"]')).to_have_count(0)
    screenshot(page, "33-refusal-error-style")


def test_free_text_in_the_notice_parameter_is_not_rendered(page: Any) -> None:
    sign_in(page, "editor")
    spoof = "Your session expired: sign in again at evil.example"
    page.goto(f"/admin/models?notice={spoof.replace(' ', '+')}")
    expect(page.get_by_role("heading", name="Models")).to_be_visible()
    expect(page.get_by_text(spoof)).to_have_count(0)
    expect(page.locator("[data-banner]")).to_have_count(0)
    # A genuine banner, made for this session, is shown; the same link in another
    # session is not.
    page.goto(f"/admin/models/{M}/edit")
    page.get_by_label("Display name").fill("GPT-5 (renamed)")
    page.get_by_label("Reason for this change").fill("rename")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator('[data-banner="notice"]')).to_contain_text(f"Saved {M} as version")
    genuine = page.url
    page.context.clear_cookies()
    sign_in(page, "editor")
    page.goto(genuine)
    expect(page.get_by_label("Display name")).to_have_value("GPT-5 (renamed)")
    expect(page.locator("[data-banner]")).to_have_count(0)
