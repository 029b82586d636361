"""Driving the console's import apply, which runs as a background job: start it, follow its
redirect, poll the job until it ends, and read the page that shows the outcome."""

from __future__ import annotations

import re
from typing import Any

from tests.support import wait_until

JOB_PATH = re.compile(r"/admin/import/jobs/[0-9a-f]{32}")


def start_apply(console: Any, form: dict[str, str]) -> str:
    """Post the apply form; it answers 303 to the job's page, whose path this returns."""
    answer = console.post("/admin/import/apply", form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert JOB_PATH.fullmatch(location), location
    return str(location)


def wait_for_job(console: Any, location: str) -> list[dict[str, Any]]:
    """Poll the job's status until it is no longer running; every status seen, in order."""
    seen: list[dict[str, Any]] = []

    def ended() -> bool:
        answer = console.get(f"{location}/status")
        assert answer.status_code == 200, answer.text
        seen.append(answer.json())
        return bool(seen[-1]["state"] != "running")

    wait_until(ended, timeout=120, interval=0.05)
    return seen


def apply_import(console: Any, form: dict[str, str]) -> Any:
    """Apply a previewed import and answer the job's page once it ended."""
    location = start_apply(console, form)
    wait_for_job(console, location)
    return console.get(location)
