"""Issue 17 finding 9 in Chromium: confirming an import goes to the job's page, which shows
the apply's progress and follows it by itself (script polling; without script, a meta
refresh) until it shows the result."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from modelplane.services import bulk
from modelplane.store.locks import RuleFamily
from tests.web.conftest import LiveServer, screenshot, sign_in
from tests.web.test_browser import _other_process_runtime

pytestmark = pytest.mark.browser
MANY = 300


def _import_file(live_server: LiveServer, tmp_path: Path) -> tuple[Path, list[str]]:
    runtime = _other_process_runtime(live_server)
    document = bulk.export_document(runtime.unit_of_work)
    runtime.close()
    template = {
        k: v for k, v in document["models"][0].items() if k not in ("version", "priceTimeline")
    }
    ids = [f"{template['id']}-browser-{i:03}" for i in range(MANY)]
    for i, model_id in enumerate(ids):
        document["models"].append({**copy.deepcopy(template), "id": model_id, "name": f"B {i}"})
    upload = tmp_path / "many.json"
    upload.write_text(json.dumps(document))
    return upload, ids


def _preview(page: Any, upload: Path) -> None:
    sign_in(page, "editor")
    page.goto("/admin/bulk")
    page.get_by_label("File (JSON)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.locator("#import-preview")).to_contain_text(f"{MANY} changes")


def test_the_job_page_shows_progress_and_reaches_done(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    upload, ids = _import_file(live_server, tmp_path)
    _preview(page, upload)
    other = _other_process_runtime(live_server)
    try:
        # Another writer holds the database for a moment, so the job is seen at work.
        with other.unit_of_work() as blocker:
            blocker.lock(RuleFamily.ROUTER_MODELS)
            page.get_by_role("button", name=f"Apply {MANY} changes").click()
            page.get_by_role("button", name="Confirm").click()
            page.wait_for_url("**/admin/import/jobs/*")
            job = page.locator("#import-job")
            expect(job).to_be_visible()
            expect(job.locator("progress")).to_be_visible()
            expect(page.locator("#import-job-phase")).to_contain_text("Checking the file")
            # The script polls the job and updates the page in place (no reload): its
            # elapsed time moves while the marker set on this very page stays.
            count = page.locator("#import-job-count")
            first = count.text_content()
            page.evaluate("window.sameImportJobPage = true")
            expect(count).not_to_have_text(first or "")
            expect(count).to_contain_text("no models written yet")
            assert page.evaluate("window.sameImportJobPage === true")
            screenshot(page, "44-import-job-running")
        # Released: the page follows the job to its end without anyone reloading it.
        preview = page.locator("#import-preview")
        expect(preview).to_contain_text(
            f"Imported: {MANY} changes applied in one transaction.", timeout=60_000
        )
        expect(page.locator("#import-took")).to_contain_text("See it in the history")
        screenshot(page, "45-import-job-done")
        with other.unit_of_work(read_only=True) as uow:
            assert set(ids) <= set(uow.models.ids())
    finally:
        other.close()


def test_without_script_the_job_page_refreshes_itself_to_the_result(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    upload, ids = _import_file(live_server, tmp_path)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    other = _other_process_runtime(live_server)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        _preview(page, upload)
        with other.unit_of_work() as blocker:
            blocker.lock(RuleFamily.ROUTER_MODELS)
            page.get_by_role("button", name=f"Apply {MANY} changes").click()
            page.wait_for_url("**/admin/import/jobs/*")
            expect(page.locator("#import-job progress")).to_be_visible()
        expect(page.locator("#import-preview")).to_contain_text(
            f"Imported: {MANY} changes applied in one transaction.", timeout=60_000
        )
        with other.unit_of_work(read_only=True) as uow:
            assert set(ids) <= set(uow.models.ids())
    finally:
        context.close()
        other.close()
