"""Restoring an earlier flag version in Chromium: from the card's history to the flag's
history page, "Restore this version", a reason, and the card at the restored percentage."""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from modelplane.bootstrap import Runtime
from modelplane.services.flags import set_flag
from tests.web.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_a_flag_version_is_restored_with_a_reason(page: Any, live_server: LiveServer) -> None:
    runtime = cast(FastAPI, live_server.server.config.app).state.runtime
    assert isinstance(runtime, Runtime)
    set_flag(runtime.unit_of_work, "parity_shadow", {"percentage": 5}, "ops", "start small")
    set_flag(runtime.unit_of_work, "parity_shadow", {"percentage": 40}, "ops", "go wider", 1)
    sign_in(page, "editor")
    page.goto("/admin/rollout")
    card = page.locator('[data-flag-card="parity_shadow"]')
    card.locator("summary").click()
    card.get_by_role("link", name="Every version of parity_shadow, and restore one →").click()
    first = page.locator("#v1")
    expect(first).to_contain_text("start small")
    first.get_by_role("button", name="Restore this version… (1)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Restore version 1 of flag")
    page.get_by_label("Reason (required)").fill("40% was too much")
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_text("Restored version 1 as version 3.")).to_be_visible()
    expect(page.locator("#v3")).to_contain_text("40% was too much")
    page.goto("/admin/rollout")
    card = page.locator('[data-flag-card="parity_shadow"]')
    expect(card.locator("[data-percentage]")).to_have_text("5%")
