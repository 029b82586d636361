"""Issue 17 finding 12 in Chromium: a read-only model page any role can read (prices,
cost tier, capabilities, profile scores, experiments, lifecycle, a cost calculator that
works without script) linked from wherever a model id appears, and a provider page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

M = "openai:gpt-5"


def test_a_viewer_reads_a_model_page_and_prices_a_request(page: Any) -> None:
    sign_in(page, "viewer")
    page.goto("/admin/models?q=gpt-5")
    page.locator(f'tr[data-model-id="{M}"] a.model-link').click()
    expect(page).to_have_url(re.compile(r"/admin/models/openai:gpt-5$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(M)
    base = page.locator('#prices tr[data-price="base"]')
    expect(base).to_contain_text("2.50")
    expect(base).to_contain_text("10.00")
    expect(base).to_contain_text("0.25")
    expect(page.locator("#cost-tier")).to_contain_text("cost tier")
    expect(page.locator("#capabilities")).to_contain_text("vision")
    expect(page.locator("#sunset")).to_contain_text("not scheduled")
    expect(page.locator('#profile [data-score="quality"]')).to_have_text(re.compile(r"^\d+$"))
    # 1M uncached input, 1M output and 1M cached: 2.50 + 10.00 + 0.25 dollars
    page.get_by_label("Input tokens (uncached)").fill("1000000")
    page.get_by_label("Output tokens").fill("1000000")
    page.get_by_label("Cached input tokens").fill("1000000")
    page.get_by_role("button", name="Calculate").click()
    expect(page).to_have_url(re.compile(r"input=1000000&output=1000000&cached=1000000"))
    expect(page.locator("#calc-result [data-cost]")).to_have_text("$12.75")
    # the reference request: 1K in, 1K out is 0.0025 + 0.01
    page.goto(f"/admin/models/{M}?input=1000&output=1000&cached=0")
    expect(page.locator("#calc-result [data-cost]")).to_have_text("$0.01")
    page.goto(f"/admin/models/{M}?input=100&output=0&cached=0")
    expect(page.locator("#calc-result [data-cost]")).to_have_text("$0.0002500")
    screenshot(page, "40-model-page", full_page=True)


def test_model_ids_link_to_the_model_page_from_history_and_profiles(page: Any) -> None:
    sign_in(page, "viewer")
    page.goto(f"/admin/models/{M}/history")
    page.locator("h1 a.model-link").click()
    expect(page).to_have_url(re.compile(r"/admin/models/openai:gpt-5$"))
    page.goto("/admin/auto-router/profiles")
    page.locator(f'tr[data-profile-id="{M}"] a.model-link').click()
    expect(page).to_have_url(re.compile(r"/admin/models/openai:gpt-5$"))
    page.goto("/admin/models/openai:no-such-model")
    expect(page.locator("body")).to_contain_text("openai:no-such-model")


def test_the_model_page_names_the_experiments_that_use_it(page: Any) -> None:
    sign_in(page, "editor")
    page.goto("/admin/experiments/new")
    page.get_by_label("Name", exact=True).fill("names-the-fallback")
    page.get_by_role("button", name="Start the experiment").click()
    expect(page).to_have_url(re.compile(r"/admin/experiments/names-the-fallback"))
    page.goto("/admin/models/openai:gpt-5-mini")  # the default config's fallback model
    expect(page.locator("#experiments")).to_contain_text("names-the-fallback")
    page.goto("/admin/models/openai:gpt-5")
    expect(page.locator("#experiments")).not_to_contain_text("names-the-fallback")


def test_a_provider_page_lists_its_models_and_usage(page: Any) -> None:
    sign_in(page, "viewer")
    page.goto(f"/admin/models/{M}")
    page.locator(".page-head").get_by_role("link", name="openai").click()
    expect(page).to_have_url(re.compile(r"/admin/providers/openai$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("openai")
    expect(page.locator(f'#provider-models tr[data-model-id="{M}"]')).to_be_visible()
    expect(page.locator('#provider-models tr[data-model-id^="anthropic:"]')).to_have_count(0)
    expect(page.locator('[data-total="requests"]')).to_have_text("0")
    screenshot(page, "41-provider-page", full_page=True)
    page.goto("/admin/providers/no-such-provider")
    expect(page.locator("body")).to_contain_text("provider no-such-provider")
