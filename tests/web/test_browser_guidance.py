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


def test_form_errors_name_fields_by_label_all_at_once_and_never_show_a_regex(
    page: Any,
) -> None:
    sign_in(page, "editor")
    page.goto("/admin/models/new")
    page.get_by_label("Id", exact=True).fill("Not An Id")
    page.get_by_label("Provider", exact=True).select_option("openai")
    page.get_by_label("Display name").fill("Typo")
    page.get_by_label("Context window (tokens)").press_sequentially("lots")
    page.get_by_label("Input", exact=True).press_sequentially("cheap")
    page.get_by_label("Output", exact=True).fill("1")
    page.get_by_role("button", name="Create model").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Context window must be a whole number of tokens")
    expect(summary).to_contain_text("Input price must be a price in USD per million tokens")
    expect(summary.locator('[data-error-path="id"]')).to_contain_text("Id")
    expect(summary).to_contain_text("3 problems to fix")
    text = summary.inner_text()
    assert "^" not in text and "should match pattern" not in text and "Input should" not in text
    expect(page.locator('[data-path="contextWindow"] .field-error')).to_have_text(
        "Context window must be a whole number of tokens"
    )
    screenshot(page, "34-human-errors")


def test_import_errors_name_the_model_by_id(page: Any, tmp_path: Any) -> None:
    import json

    document = {
        "models": [
            {
                "id": "acme:broken-1",
                "provider": "openai",
                "name": "Broken",
                "contextWindow": "many",
                "pricing": {"input": 1, "output": 1},
            }
        ]
    }
    upload = tmp_path / "broken.json"
    upload.write_text(json.dumps(document))
    sign_in(page, "editor")
    page.goto("/admin/bulk")
    page.get_by_label("File (JSON)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview the import").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("acme:broken-1")
    expect(errors).to_contain_text("Context window must be a whole number of tokens")
    expect(errors).not_to_contain_text("models[0]")
    screenshot(page, "35-import-errors")


def test_a_form_save_records_no_phantom_capabilities_change(page: Any) -> None:
    sign_in(page, "editor")
    page.goto(f"/admin/models/{M}/edit")
    page.get_by_label("Display name").fill("GPT-5 (only the name)")
    page.get_by_label("Reason for this change").fill("rename only")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator('[data-banner="notice"]')).to_contain_text("Saved")
    page.goto(f"/admin/models/{M}/history")
    latest = page.locator("li.entry").first
    expect(latest).to_contain_text("rename only")
    expect(latest.locator("tr", has_text="name")).to_have_count(1)
    expect(latest.locator("tr", has_text="capabilities")).to_have_count(0)


def test_profile_edits_take_a_reason_ask_before_removing_a_score_and_can_be_restored(
    page: Any,
) -> None:
    sign_in(page, "editor")
    page.goto("/admin/auto-router/profiles")
    row = page.locator(f'tr[data-profile-id="{M}"]')
    status = row.locator("[data-row-status]")
    coding = page.get_by_label(f"{M}: Coding")
    before = coding.input_value()
    assert before != ""
    coding.fill("")
    coding.press("Enter")
    expect(status).to_have_text("not saved: give a reason above")
    page.get_by_label("Reason for grid edits (required)").fill("coding score is stale")
    coding.press("Enter")
    expect(page.locator("#confirm-text")).to_contain_text(f"Remove the Coding score of {M}?")
    screenshot(page, "36-profile-empty-cell")
    page.get_by_role("button", name="Cancel").click()
    expect(status).not_to_contain_text("saved ·")
    coding.press("Enter")
    page.get_by_role("button", name="Confirm").click()
    expect(status).to_contain_text("saved · v2")

    row.get_by_role("link", name=f"History of {M}").click()
    latest = page.locator("li.entry").first
    expect(latest).to_contain_text("coding score is stale")
    page.get_by_role("button", name="Restore this version… (1)").click()
    expect(page.locator("#confirm-action")).to_contain_text("Restore version 1")
    page.get_by_label("Reason (required)").fill("put the coding score back")
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.locator('[data-banner="notice"]')).to_contain_text(
        f"Restored version 1 of {M} as version 3."
    )
    expect(page.locator("li.entry").first).to_contain_text("put the coding score back")
    screenshot(page, "37-profile-history")
    page.goto("/admin/auto-router/profiles")
    expect(page.get_by_label(f"{M}: Coding")).to_have_value(before)


def test_the_model_form_shows_the_cost_effect_of_a_price_change_as_you_type(page: Any) -> None:
    sign_in(page, "editor")
    page.goto(f"/admin/models/{M}/edit")
    effect = page.locator("#price-effect")
    expect(effect).to_contain_text("A reference request (1K input + 1K output tokens) costs $")
    expect(effect).to_contain_text("the prices are unchanged")
    page.get_by_label("Input", exact=True).fill("0.01")
    page.get_by_label("Output", exact=True).fill("0.02")
    expect(effect).to_contain_text("→ $0.00003000 with these prices")
    expect(effect).to_contain_text("cost tier premium → cheap")
    screenshot(page, "38-price-effect")


MAIN_PAGES = {
    "models": "/admin/models",
    "model-edit": f"/admin/models/{M}/edit",
    "model-history": f"/admin/models/{M}/history",
    "import-export": "/admin/bulk",
    "router-config": "/admin/auto-router",
    "router-profiles": "/admin/auto-router/profiles",
    "playground": "/admin/auto-router/playground",
    "analytics": "/admin/analytics",
    "rollout": "/admin/rollout",
    "parity": "/admin/rollout/parity",
    "experiments": "/admin/experiments",
    "users": "/admin/users",
    "tokens": "/admin/tokens",
}


def test_no_main_page_scrolls_sideways_at_phone_width(page: Any) -> None:
    """Screenshots of every main page at 1440 and 390 px; at 390 px the page itself never
    scrolls horizontally (wide tables scroll inside their own box)."""
    sign_in(page, "admin")
    wide: dict[str, int] = {}
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in MAIN_PAGES.items():
            page.goto(path)
            screenshot(page, f"main-{width}-{name}")
            if width == 390:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > 390:
                    wide[name] = scroll
    page.goto("/admin/auto-router")
    clipped = page.locator("table.matrix input").evaluate_all(
        "inputs => inputs.filter(i => i.scrollWidth > i.clientWidth).map(i => i.value)"
    )
    assert clipped == [], f"tier weights cut off at phone width: {clipped}"
    weight = page.get_by_label("moderate tasks: cheap weight")
    assert weight.evaluate("i => i.getBoundingClientRect().width") >= 60
    for width in (390, 1440):  # the save bar never covers the field being edited
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/admin/auto-router")
        for field in page.locator("#config-form input[type=number]").all()[:12]:
            field.focus()
            covered = field.evaluate(
                """f => { const bar = document.querySelector('.sticky-save');
                   if (!bar) return false;
                   const a = f.getBoundingClientRect(), b = bar.getBoundingClientRect();
                   return a.bottom > b.top && a.top < b.bottom; }"""
            )
            assert not covered, f"the save bar covers {field.get_attribute('name')} at {width}"
    assert wide == {}, f"pages wider than the phone: {wide}"


def test_the_models_table_searches_as_you_type_keeps_its_header_and_numbers_its_pages(
    page: Any,
) -> None:
    sign_in(page, "viewer")
    page.goto("/admin/models?per=50")
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.locator('[aria-current="page"]')).to_have_text("1")
    pager.get_by_label("Page").fill("2")
    pager.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(
        page.get_by_role("navigation", name="Pages").locator('[aria-current="page"]')
    ).to_have_text("2")
    page.goto("/admin/models")
    page.get_by_label("Search").press_sequentially("claude", delay=30)
    expect(page).to_have_url(re.compile(r"q=claude"))
    expect(page.locator("tr[data-model-id^='openai:']")).to_have_count(0)
    expect(page.locator("tr[data-model-id^='anthropic:']").first).to_be_visible()
    expect(page.get_by_label("Search")).to_be_focused()
    page.goto("/admin/models")
    header = page.locator("#models-table thead th").first
    page.locator(".table-wrap.tall").evaluate("w => w.scrollTo(0, 2000)")
    top = header.evaluate("h => h.getBoundingClientRect().top")
    wrap_top = page.locator(".table-wrap.tall").evaluate("w => w.getBoundingClientRect().top")
    assert abs(top - wrap_top) < 3, "the table header scrolled away"
    screenshot(page, "39-models-sticky-header")


def test_an_admin_creates_a_scoped_expiring_token_and_sees_it_listed(page: Any) -> None:
    sign_in(page, "admin")
    page.goto("/admin/tokens")
    page.get_by_label("Name").fill("router-bot")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Expires").fill("2000-01-01")
    page.get_by_role("checkbox", name=re.compile("^route ")).check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".field-error")).to_contain_text("in the past")
    expect(page.get_by_role("checkbox", name=re.compile("^route "))).to_be_checked()
    page.get_by_label("Expires").fill("2099-06-30")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_contain_text("router-bot")
    token = page.locator("#token-value").input_value()
    row = page.locator('tr[data-token="router-bot"]')
    expect(row.locator(".token-scopes")).to_have_text("route")
    expect(row).to_contain_text("2099-06-30")
    screenshot(page, "37-scoped-token")
    headers = {"Authorization": f"Bearer {token}"}
    routed = page.request.post(
        "/api/v1/route", headers=headers, data={"text": "write a haiku about the sea"}
    )
    assert routed.status == 200, routed.text()
    refused = page.request.patch(
        "/api/v1/router/config", headers=headers, data={"patch": {}, "reason": "try"}
    )
    assert refused.status == 403
    assert "write:router_config" in refused.text()
