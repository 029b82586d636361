"""An admin in Chromium, refused by a flag policy, applies the restore now as an emergency
override: a required reason, then the flag's history marks it."""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from modelplane.bootstrap import Runtime
from modelplane.services.change_requests import list_requests, set_policy
from modelplane.services.flags import get_flag, set_flag
from tests.web.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_overrides_a_refused_restore(page: Any, live_server: LiveServer) -> None:
    runtime = cast(FastAPI, live_server.server.config.app).state.runtime
    assert isinstance(runtime, Runtime)
    uows = runtime.unit_of_work
    set_flag(uows, "parity_shadow", {"percentage": 5}, "ops", "start small")
    set_flag(uows, "parity_shadow", {"percentage": 40}, "ops", "go wider", 1)
    set_policy(uows, "flag", 1, "editor", "admin-user")
    sign_in(page, "admin")
    page.goto("/admin/rollout/flags/parity_shadow/history")
    page.locator("#v1").get_by_role("button", name="Restore this version… (1)").click()
    page.get_by_label("Reason (required)").fill("40% was too much")
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approval required")

    button = page.get_by_role("button", name="Apply now as an emergency override")
    button.click()  # no reason yet: the browser keeps the form (the field is required)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approval required")
    page.get_by_label("Why it cannot wait (required)").fill("shadow traffic overloads")
    button.click()
    expect(page.get_by_text("Applied as an emergency override")).to_be_visible()
    expect(page.locator("#v3")).to_contain_text("emergency override: shadow traffic overloads")
    assert get_flag(uows, "parity_shadow").percentage == 5
    assert list_requests(uows)["count"] == 0
