"""Issue 17 finding 9: the console's import apply runs as a job in the background. The apply
answers 303 to the job's page, which shows its phase and how many models are written, then
the result; a failing apply shows the error and writes nothing (one transaction still)."""

from __future__ import annotations

import copy
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.services import bulk
from modelplane.services import models as model_svc
from modelplane.store.locks import RuleFamily
from tests.web.import_helpers import apply_import, start_apply, wait_for_job
from tests.web.test_forms import _hidden, _upload

MANY = 300


def _many_new_models(runtime: Runtime, count: int = MANY) -> tuple[dict[str, Any], list[str]]:
    """An export of the catalogue with ``count`` new models added (copies of one, new ids)."""
    document = bulk.export_document(runtime.unit_of_work)
    template = {
        k: v for k, v in document["models"][0].items() if k not in ("version", "priceTimeline")
    }
    ids = [f"{template['id']}-job-{i:03}" for i in range(count)]
    for i, model_id in enumerate(ids):
        document["models"].append({**copy.deepcopy(template), "id": model_id, "name": f"Job {i}"})
    return document, ids


def _present(runtime: Runtime, ids: list[str]) -> set[str]:
    with runtime.unit_of_work(read_only=True) as uow:
        stored = set(uow.models.ids())
    return stored & set(ids)


def _form(preview: Any, status: int = 200, **more: str) -> dict[str, str]:
    assert preview.status_code == status, preview.text
    return {
        "stage": _hidden(preview.text, "stage"),
        "digest": _hidden(preview.text, "digest"),
        **more,
    }


def test_an_apply_redirects_to_its_job_page_which_shows_progress_then_the_result(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    document, ids = _many_new_models(runtime)
    form = _form(_upload(console, document), reason="hundreds at once")
    # Another writer holds the import's lock for a moment: the job is seen running.
    with runtime.unit_of_work() as blocker:
        blocker.lock(RuleFamily.ROUTER_MODELS)
        location = start_apply(console, form)
        running = console.get(location)
        assert running.status_code == 200
        assert 'id="import-job"' in running.text and 'data-state="running"' in running.text
        assert "<progress" in running.text
        assert '<noscript><meta http-equiv="refresh"' in running.text  # works without script
        assert "/admin/static/import_job.js" in running.text
        status = console.get(f"{location}/status").json()
        assert status["state"] == "running" and status["phase"] in ("queued", "checking")
    seen = wait_for_job(console, location)
    assert seen[-1]["state"] == "done"
    assert seen[-1]["modelsWritten"] == seen[-1]["modelsTotal"] == MANY
    assert seen[-1]["says"].endswith(f"{MANY} of {MANY} models written")
    written = [s["modelsWritten"] for s in seen]
    assert written == sorted(written)  # counts only go up
    done = console.get(location)
    assert done.status_code == 200
    assert f"Imported: {MANY} changes applied in one transaction." in done.text
    assert 'id="import-took"' in done.text and "/admin/audit?actor=editor-user" in done.text
    assert 'id="import-job"' not in done.text  # no more refreshing
    assert _present(runtime, ids) == set(ids)
    with runtime.unit_of_work(read_only=True) as uow:
        [entry] = uow.model_history.page(ids[-1], 0, 1)
    assert entry.reason == "hundreds at once" and entry.author == "editor-user"
    # The stage is spent: applying it again is refused at once.
    again = console.post("/admin/import/apply", form)
    assert again.status_code == 410


def test_a_failing_apply_shows_the_error_and_writes_nothing(as_role: Any, runtime: Runtime) -> None:
    console = as_role("editor")
    document, ids = _many_new_models(runtime)
    config = document["routerConfig"]["routerSettings"]
    named = {config["routerModelId"], config.get("fallbackModelId")}
    victim = next(m for m in document["models"] if m["id"] not in named and "version" in m)
    victim["pricing"]["output"] = float(victim["pricing"]["output"]) + 1
    form = _form(_upload(console, document))
    # Between the preview and the apply an admin retires a model the import updates.
    model_svc.retire_model(runtime.unit_of_work, victim["id"], "admin-user", "gone for good")
    page = apply_import(console, form)
    assert page.status_code == 422, page.text
    assert 'id="import-errors"' in page.text and "nothing was imported" in page.text
    assert victim["id"] in page.text
    assert _present(runtime, ids) == set()


def test_a_refusal_after_every_row_was_written_rolls_all_of_them_back(
    as_role: Any, runtime: Runtime
) -> None:
    console = as_role("editor")
    document, ids = _many_new_models(runtime)
    for model in document["models"]:
        model.pop("version", None)  # no base versions: a change in between alters the plan
    gpt5 = next(m for m in document["models"] if m["id"] == "openai:gpt-5")
    gpt5["pricing"]["input"] = 3.25
    form = _form(_upload(console, document))
    # Someone makes the same price change first: the plan the apply finds (checked after it
    # has written the new models) is not the previewed one, so it rolls back whole.
    current = runtime.reader.get("openai:gpt-5")
    model_svc.update_model(
        runtime.unit_of_work, current.id, {"pricing": {"input": 3.25}}, "other", current.version
    )
    page = apply_import(console, form)
    assert page.status_code == 409, page.text
    assert "The catalogue changed since your preview, so nothing was applied" in page.text
    assert _present(runtime, ids) == set()
    assert 'name="digest"' in page.text  # the new preview, ready to confirm
    applied = apply_import(console, _form(page, 409))
    assert f"Imported: {MANY} changes applied" in applied.text
    assert _present(runtime, ids) == set(ids)


def test_only_its_author_or_an_admin_sees_a_job_and_an_unknown_one_says_so(
    as_role: Any, runtime: Runtime
) -> None:
    editor = as_role("editor")
    document, _ = _many_new_models(runtime, 3)
    location = start_apply(editor, _form(_upload(editor, document)))
    wait_for_job(editor, location)
    viewer = as_role("viewer")
    hidden = viewer.get(location)
    assert hidden.status_code == 404 and "This import job is not known here" in hidden.text
    assert viewer.get(f"{location}/status").status_code == 404
    admin = as_role("admin")
    assert "Imported: 3 changes applied" in admin.get(location).text
    assert admin.get(f"{location}/status").json()["state"] == "done"
    unknown = admin.get("/admin/import/jobs/" + "0" * 32)
    assert unknown.status_code == 404
    assert "Jobs are kept in the memory of the process that runs them" in unknown.text
