"""Uploaded imports waiting for "apply" are kept privately and not for ever."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.services import bulk
from modelplane.web.staging import MAX_AGE_SECONDS
from tests.web.test_forms import _hidden, _upload


def _preview(console: Any, runtime: Runtime, price: float) -> Any:
    with runtime.unit_of_work() as uow:
        document = bulk.export_document(uow)
    gpt5 = next(m for m in document["models"] if m["id"] == "openai:gpt-5")
    gpt5["pricing"]["input"] = price
    preview = _upload(console, document)
    assert preview.status_code == 200
    return preview


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_preview_waits_in_a_private_directory_under_the_user_data_directory(
    as_role: Any, runtime: Runtime, data_home: Path
) -> None:
    preview = _preview(as_role("editor"), runtime, 3.25)
    stage = _hidden(preview.text, "stage")
    directory = data_home / "import-previews"
    [kept] = list(directory.iterdir())
    assert kept.name.endswith(f"-{stage}.json") and len(stage) >= 32
    assert directory.stat().st_mode & 0o777 == 0o700
    assert kept.stat().st_mode & 0o077 == 0
    shared = Path(tempfile.gettempdir()) / "modelplane-console-imports"
    assert not any(shared.glob(f"*{stage}*"))


def test_old_previews_are_deleted_when_a_new_one_is_staged_and_cannot_be_applied(
    as_role: Any, runtime: Runtime, data_home: Path
) -> None:
    console = as_role("editor")
    first = _preview(console, runtime, 3.25)
    directory = data_home / "import-previews"
    [old] = list(directory.iterdir())
    _age(old, MAX_AGE_SECONDS + 60)
    expired = console.post(
        "/admin/import/apply",
        {"stage": _hidden(first.text, "stage"), "digest": _hidden(first.text, "digest")},
    )
    assert expired.status_code == 410
    assert float(runtime.reader.get("openai:gpt-5").pricing.input) == 2.5
    recent = _hidden(_preview(console, runtime, 4.5).text, "stage")
    assert not old.exists()
    newest = _hidden(_preview(console, runtime, 5.0).text, "stage")
    kept = sorted(p.name.rsplit("-", 1)[1].removesuffix(".json") for p in directory.iterdir())
    assert kept == sorted([recent, newest])  # an hour has not passed for these
