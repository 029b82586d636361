"""Bulk export and import. An import is uploaded, previewed (every change, or every error
with its JSON path) and applied in one transaction only when the preview is confirmed.
The apply runs in the background (``web/import_jobs.py``): the confirmation is answered with
a redirect to the job's page, which shows its progress and then its outcome.

The uploaded file waits between preview and apply (``web/staging.py``: in the user data
directory, owner-only, for an hour), named for the session that uploaded it. Applying
re-plans the import in its transaction and refuses (rolls back and shows the new preview) if
the plan is not the one that was confirmed: someone may have changed the catalogue in between.
Documents changed since the file was exported are conflicts: the preview lists them, and the
apply form asks whether to skip them or to overwrite them (forced, with a reason).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    DatabaseUnavailable,
    FieldError,
    InvalidInput,
    ModelplaneError,
    VersionConflict,
)
from modelplane.services import bulk as svc
from modelplane.web import staging
from modelplane.web.console import Console, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.import_jobs import DONE, FAILED, JOBS, REFUSED, RUNNING, Job
from modelplane.web.labels import humane_import
from modelplane.web.uploads import UploadRefused, read_upload

router = APIRouter(prefix="/admin")
KINDS = {"all": "A whole export (or part of one)", "profiles": "A profiles file"}


class _Refused(Exception):
    """The plan changed between preview and apply."""

    def __init__(self, report: svc.ImportReport) -> None:
        self.report = report


@router.get("/bulk", response_class=HTMLResponse)
def bulk_page(console: SignedIn) -> Response:
    return console.page("bulk.html", kinds=KINDS, errors=[], report=None)


@router.get("/export")
def export(console: SignedIn) -> Response:
    document = svc.export_document(console.uows)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="modelplane-export-{stamp}.json"'},
    )


@router.post("/import", response_class=HTMLResponse)
async def preview(console: EditorConsole, form: CheckedForm) -> Response:
    kind = str(form.get("kind") or "all")
    reason = str(form.get("reason") or "").strip()
    limit = console.runtime.settings.import_max_bytes
    try:
        upload = await read_upload(form, limit, "choose a file to import")
    except UploadRefused as refused:
        return _page(console, [refused.error], status=refused.status)
    parsed: Any = None
    try:
        parsed = svc.parse_json(upload.raw)
        data, notes = _document(parsed, kind)
        report = svc.import_document(console.uows, data, console.author, True, reason)
    except InvalidInput as exc:
        errors = humane_import(exc.errors, parsed)
        return _page(console, errors, filename=upload.filename, status=422)
    stage = _stage(console, data)
    return _page(
        console,
        [],
        report=report,
        stage=stage,
        digest=_digest(report),
        reason=reason,
        filename=upload.filename,
        notes=notes,
    )


@router.post("/import/apply", response_class=HTMLResponse)
def apply(console: EditorConsole, form: CheckedForm) -> Response:
    """Start the apply in the background and send the browser to its progress page."""
    stage = str(form.get("stage") or "")
    digest = str(form.get("digest") or "")
    on_conflict = str(form.get("on_conflict") or "refuse")
    data = staging.staged(_owner(console), stage)
    if data is None:
        problem = FieldError("file", "this preview has expired; upload the file again")
        return _page(console, [problem], status=410)
    try:
        written = str(form.get("reason") or "").strip() or None
        reason = svc.check_options(written, on_conflict, dry_run=False)
    except InvalidInput as exc:
        return _page(console, humane_import(exc.errors, data), status=422)
    uows, author, owner, runtime = console.uows, console.author, _owner(console), console.runtime

    def work(job: Job) -> None:
        def confirm(report: svc.ImportReport) -> None:
            if _digest(report) != digest:
                raise _Refused(report)  # the service rolls everything back

        try:
            report = svc.import_document(
                uows, data, author, False, reason, confirm, on_conflict, job.advance
            )
        except (svc.ImportConflicts, VersionConflict) as exc:
            # A conflict found by the plan, or an edit that committed while the import wrote.
            message = (
                "Documents in this file changed since it was exported, so nothing was applied. "
                "Choose to skip them or to overwrite them (with a reason), then apply again."
                if isinstance(exc, svc.ImportConflicts)
                else f"Nothing was applied: {exc}, changed while the import was written. "
                "Here is the new preview."
            )
            fresh = svc.import_document(uows, data, author, True, reason)
            job.end(REFUSED, message=message, report=fresh, stage=stage, reason=reason or "")
            return
        except _Refused as refused:
            message = (
                "The catalogue changed since your preview, so nothing was applied. "
                "Here is the new preview; confirm again to apply it."
            )
            refused.report.dry_run = True
            fresh = refused.report
            job.end(REFUSED, message=message, report=fresh, stage=stage, reason=reason or "")
            return
        except InvalidInput as exc:
            job.end(FAILED, errors=humane_import(exc.errors, data), status=422)
            return
        except ModelplaneError as exc:  # the database away, a lock timed out...
            status = 503 if isinstance(exc, DatabaseUnavailable) else 409
            job.end(FAILED, message=f"Nothing was written: {exc}.", status=status)
            return
        staging.discard(owner, stage)
        sequence = runtime.live.current.sequence if runtime.live_reads else None
        job.end(DONE, report=report, sequence=sequence)

    job = JOBS.start(author, work)
    return console.redirect(f"/admin/import/jobs/{job.id}")


@router.get("/import/jobs/{job_id}", response_class=HTMLResponse)
def job_page(console: SignedIn, job_id: str) -> Response:
    """A running apply's progress (refreshing itself), or how it ended."""
    job = _job(console, job_id)
    if job is None:
        return console.page("import_job.html", status=404, job=None)
    if job.state == RUNNING:
        return console.page("import_job.html", job=job, progress=_status(job))
    outcome = job.outcome
    took = _status(job)["elapsedSeconds"]
    if job.state == DONE:
        return _page(
            console,
            [],
            report=outcome["report"],
            applied=True,
            took=took,
            history=f"/admin/audit?{urlencode({'actor': job.owner})}",
            applied_sequence=outcome["sequence"],
        )
    if job.state == REFUSED:
        console.notices.append(outcome["message"])
        report = outcome["report"]
        return _page(
            console,
            [],
            report=report,
            stage=outcome["stage"],
            digest=_digest(report),
            reason=outcome["reason"],
            status=409,
        )
    return _page(
        console,
        outcome.get("errors", []),
        failure=outcome.get("message"),
        status=outcome.get("status", 500),
    )


@router.get("/import/jobs/{job_id}/status")
def job_status(console: SignedIn, job_id: str) -> Response:
    """What the job page's script polls: the job's state, phase and counts."""
    job = _job(console, job_id)
    body = _status(job) if job is not None else {"id": job_id, "state": "unknown"}
    answer = JSONResponse(body, status_code=200 if job is not None else 404)
    answer.headers["Cache-Control"] = "no-store"
    return console.finish(answer)


PHASES = {
    "queued": "Waiting for another import to finish",
    "checking": "Checking the file against the database",
    "models": "Writing models",
    "profiles": "Writing profiles",
    "routerConfig": "Writing the router config",
    "prices": "Recording price timelines",
    "committing": "Committing",
}


def _job(console: Console, job_id: str) -> Job | None:
    """The job, if this process knows it and it is the console user's (or they are an
    admin); an unknown job and someone else's are answered alike."""
    job = JOBS.get(job_id)
    if job is None or not (job.owner == console.author or console.can("admin")):
        return None
    return job


def _status(job: Job) -> dict[str, Any]:
    status = job.status()
    phase = PHASES.get(status["phase"], status["phase"])
    total = status["modelsTotal"]
    count = f"{status['modelsWritten']:,} of {total:,} models written" if total else ""
    status["says"] = f"{phase}: {count}" if count else phase
    status["counted"] = count or "no models written yet"
    return status


def _document(data: Any, kind: str) -> tuple[Any, list[str]]:
    """A profiles file (``{"profiles": [...]}`` with other keys, or a bare list) becomes an
    import of its profiles alone; anything else is imported as it is."""
    if kind != "profiles":
        return data, []
    if isinstance(data, list):
        return {"profiles": data}, []
    if isinstance(data, dict) and "profiles" in data:
        ignored = sorted(k for k in data if k != "profiles")
        notes = [f"ignored keys of the profiles file: {', '.join(ignored)}"] if ignored else []
        return {"profiles": data["profiles"]}, notes
    raise InvalidInput([FieldError("profiles", "a profiles file holds a profiles list")])


def _digest(report: svc.ImportReport) -> str:
    """The plan a preview showed: its changes but the conflicting ones (which an apply may
    skip), and the conflicts with their versions (an edit since the preview changes it)."""
    conflicting = {(c.kind, c.id) for c in report.conflicts}
    plan: dict[str, Any] = {}
    for kind, d in report.diff.items():
        shown = d.to_json()
        shown["updated"] = [u for u in shown["updated"] if (kind, u["id"]) not in conflicting]
        plan[kind] = shown
    plan["conflicts"] = [c.to_json() for c in report.conflicts]
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _owner(console: Console) -> str:
    return hashlib.sha256(console.session.sid.encode()).hexdigest()[:16]


def _stage(console: Console, data: Any) -> str:
    return staging.stage(_owner(console), data)


def _page(
    console: Console, errors: list[FieldError], status: int = 200, **context: Any
) -> Response:
    context.setdefault("report", None)
    return console.page("bulk.html", status=status, kinds=KINDS, errors=errors, **context)
