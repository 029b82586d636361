"""Issue 17 finding 9 in Chromium: a large import preview shows its counts first and keeps
the details of each kind, created and updated document folded until asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from modelplane.services import bulk
from tests.web.conftest import LiveServer, screenshot, sign_in
from tests.web.test_browser import _other_process_runtime

pytestmark = pytest.mark.browser


def test_a_large_import_preview_is_grouped_and_folded(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    runtime = _other_process_runtime(live_server)
    with runtime.unit_of_work() as uow:
        document = bulk.export_document(uow)
    runtime.close()
    models = document["models"]
    for model in models[:8]:
        model["pricing"]["output"] = float(model["pricing"]["output"]) + 1
    first = models[0]
    models.append({**first, "id": f"{first['id']}-imported", "name": "Imported"})
    upload = tmp_path / "catalogue.json"
    upload.write_text(json.dumps(document))

    sign_in(page, "editor")
    page.goto("/admin/bulk")
    page.get_by_label("File (JSON)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview the import").click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("9 changes")
    group = preview.locator('details.import-kind[data-kind="models"]')
    summary = group.locator("> summary")
    expect(summary).to_contain_text("models: 1 created, 8 updated")
    # counts first: the summary table comes before any group
    order = preview.evaluate(
        "el => [el.querySelector('table.summary'), el.querySelector('details.import-kind')]"
        ".map(n => Array.from(el.querySelectorAll('*')).indexOf(n))"
    )
    assert order[0] < order[1]
    assert group.evaluate("el => el.open") is False  # many changes: folded
    updated = group.locator("details.updated").first
    expect(updated).to_be_hidden()
    screenshot(page, "42-import-preview-folded", full_page=True)
    summary.click()
    group.locator("details.import-updated > summary").click()
    expect(updated).to_be_visible()
    expect(updated.locator("> summary")).to_contain_text("pricing.output")
    updated.locator("> summary").click()
    expect(updated.locator("table.changes")).to_be_visible()
    group.locator("details.import-created > summary").click()
    expect(group.locator("details.import-created")).to_contain_text(f"{first['id']}-imported")
    screenshot(page, "43-import-preview-open", full_page=True)
    # on a phone no table is clipped or widens the page: each scrolls in its .table-wrap
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    unwrapped = preview.evaluate(
        "el => Array.from(el.querySelectorAll('table'))"
        ".filter(t => !t.parentElement.classList.contains('table-wrap')).length"
    )
    assert unwrapped == 0
