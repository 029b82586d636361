"""Price changes say what they do where they are reviewed: the import preview and the
model's history rows show the reference request's cost before → after and the cost tier,
in the words the model form uses (``web/price_effect.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from modelplane.bootstrap import Runtime
from modelplane.services import bulk
from modelplane.services import models as svc
from tests.web.conftest import screenshot, sign_in
from tests.web.test_forms import _upload

M = "openai:gpt-5"  # $2.50 in, $10 out per 1M: a reference request costs $0.0125 (shown $0.01)


def test_the_import_preview_shows_the_reference_cost_and_tier_of_a_repricing(
    as_role: Any, runtime: Runtime
) -> None:
    with runtime.unit_of_work() as uow:
        document = bulk.export_document(uow)
    gpt5 = next(m for m in document["models"] if m["id"] == M)
    gpt5["pricing"]["input"] = 40
    renamed = next(m for m in document["models"] if m["id"] != M)
    renamed["name"] = "Renamed only"
    preview = _upload(as_role("editor"), document)
    assert preview.status_code == 200
    html = preview.text
    line = (
        "A reference request (1K input + 1K output tokens): "
        "$0.01 → $0.05 (+300%); cost tier stays premium."
    )
    assert line in html
    assert html.count("data-price-effect") == 1  # the rename alone has no price effect


def test_history_rows_of_price_changes_show_their_effect(as_role: Any, runtime: Runtime) -> None:
    svc.update_model(runtime.unit_of_work, M, {"pricing": {"output": 20}}, "ann", None, "up")
    svc.update_model(runtime.unit_of_work, M, {"name": "GPT-5 renamed"}, "ann", None, "name")
    html = as_role("viewer").get(f"/admin/models/{M}/history").text
    assert html.count("data-price-effect") == 1
    assert "$0.01 → $0.02 (+80%); cost tier stays premium." in html


@pytest.mark.browser
def test_a_history_row_shows_its_price_effect_in_the_browser(page: Any) -> None:
    sign_in(page, "editor")
    page.goto(f"/admin/models/{M}/edit")
    page.get_by_label("Output", exact=True).fill("20")
    page.get_by_label("Reason for this change").fill("output price up")
    page.get_by_role("button", name="Save changes").click()
    page.goto(f"/admin/models/{M}/history")
    effect = page.locator("li.entry").first.locator("[data-price-effect]")
    expect(effect).to_contain_text("$0.01 → $0.02 (+80%); cost tier stays premium")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"45-history-price-effect-{width}")
        if width == 390:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
