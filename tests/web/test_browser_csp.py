"""Chromium under the console's Content-Security-Policy: every main page renders, its
script runs, and the browser reports no violation (no inline script or style anywhere,
nothing from another origin)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PAGES = (
    "/admin/models",
    "/admin/models/new",
    "/admin/models/openai:gpt-5/edit",
    "/admin/models/openai:gpt-5/history",
    "/admin/models/openai:gpt-5",
    "/admin/providers/openai",
    "/admin/auto-router",
    "/admin/auto-router/profiles",
    "/admin/auto-router/history",
    "/admin/auto-router/playground",
    "/admin/analytics",
    "/admin/rollout",
    "/admin/rollout/parity",
    "/admin/experiments",
    "/admin/experiments/new",
    "/admin/bulk",
    "/admin/tokens",
    "/admin/users",
)

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


def test_no_page_breaks_the_content_security_policy(page: Any) -> None:
    messages: list[str] = []
    page.on(
        "console",
        lambda m: messages.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto("/admin/login")
    assert page.evaluate("window.__cspViolations") == []
    sign_in(page, "admin")
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], f"{path}: {violations}"
    # The profiles grid recolours a cell as its score is typed: a class, not a style.
    page.goto("/admin/auto-router/profiles")
    cell = page.locator("[data-score-cell]").first
    cell.locator("input").fill("95")
    expect(cell).to_have_class("score-9")
    cell.locator("input").fill("12")
    expect(cell).to_have_class("score-1")
    screenshot(page, "csp-profiles")
    assert page.evaluate("window.__cspViolations") == []
    refused = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert refused == []
