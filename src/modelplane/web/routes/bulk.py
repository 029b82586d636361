"""Bulk export and import. An import is uploaded, previewed (every change, or every error
with its JSON path) and applied in one transaction only when the preview is confirmed.

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

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, VersionConflict
from modelplane.services import bulk as svc
from modelplane.web import staging
from modelplane.web.console import Console, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.labels import humane_import

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
    upload = form.get("file")
    kind = str(form.get("kind") or "all")
    reason = str(form.get("reason") or "").strip()
    limit = console.runtime.settings.import_max_bytes
    if not isinstance(upload, UploadFile):
        return _page(console, [FieldError("file", "choose a file to import")], status=422)
    try:
        raw = await upload.read(limit + 1)
    finally:
        await form.close()
    if len(raw) > limit:
        message = f"the file is larger than the import limit of {limit:,} bytes"
        return _page(console, [FieldError("file", message)], status=413)
    parsed: Any = None
    try:
        parsed = svc.parse_json(raw)
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
    stage = str(form.get("stage") or "")
    digest = str(form.get("digest") or "")
    reason = str(form.get("reason") or "").strip() or None
    on_conflict = str(form.get("on_conflict") or "refuse")
    data = staging.staged(_owner(console), stage)
    if data is None:
        problem = FieldError("file", "this preview has expired; upload the file again")
        return _page(console, [problem], status=410)

    def confirm(report: svc.ImportReport) -> None:
        if _digest(report) != digest:
            raise _Refused(report)  # the service rolls everything back

    try:
        report = svc.import_document(
            console.uows, data, console.author, False, reason, confirm, on_conflict
        )
    except (svc.ImportConflicts, VersionConflict) as exc:
        # A conflict found by the plan, or an edit that committed while the import wrote.
        console.notices.append(
            "Documents in this file changed since it was exported, so nothing was applied. "
            "Choose to skip them or to overwrite them (with a reason), then apply again."
            if isinstance(exc, svc.ImportConflicts)
            else f"Nothing was applied: {exc}, changed while the import was written. "
            "Here is the new preview."
        )
        fresh = svc.import_document(console.uows, data, console.author, True, reason)
        return _page(
            console,
            [],
            report=fresh,
            stage=stage,
            digest=_digest(fresh),
            reason=reason or "",
            status=409,
        )
    except _Refused as refused:
        console.notices.append(
            "The catalogue changed since your preview, so nothing was applied. "
            "Here is the new preview; confirm again to apply it."
        )
        fresh = refused.report
        fresh.dry_run = True
        return _page(
            console,
            [],
            report=fresh,
            stage=stage,
            digest=_digest(fresh),
            reason=reason or "",
            status=409,
        )
    except InvalidInput as exc:
        return _page(console, humane_import(exc.errors, data), status=422)
    staging.discard(_owner(console), stage)
    return _page(console, [], report=report, applied=True)


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
