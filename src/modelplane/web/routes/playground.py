"""The route playground: route a message with the stored dials and, beside it, with dials
changed on the page and not saved ("what if"); and replay an uploaded prompt set under the
live config and saved versions (``services/replay.py``). Nothing here writes or is logged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.domain.history import HistoryEntry
from modelplane.domain.router_config import RouterConfig, RouterConfigDoc
from modelplane.domain.validation import validate
from modelplane.router import AllModelsExhausted, RouteDecision, RouteRequest
from modelplane.services import replay as replay_svc
from modelplane.services import router_data, routing
from modelplane.services.replay import ConfigRun
from modelplane.web.console import Console, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.forms import ParsedForm
from modelplane.web.routes.router_data import (
    config_choices,
    config_doc,
    config_values,
    parse_config_form,
)
from modelplane.web.uploads import Upload, UploadRefused, read_optional_upload, read_upload

router = APIRouter(prefix="/admin/auto-router")
WHAT_IF = "whatIf."
SHOWN_CANDIDATES = 30
REPLAY_MAX_PROMPTS = 5000  # the console's bound on one replay's work; the CLI has none
SHOWN_CHANGES = 100
SHOWN_VERSIONS = 30
REPLAY_BLANK: dict[str, Any] = {
    "replay_errors": [],
    "replay_filename": None,
    "line_errors": [],
    "replay": None,
    "replay_picked": None,
}
DEFAULT_REQUEST = {"text": "", "contextTokens": "0", "costBias": "0", "speedBias": "0", "seed": "1"}


@dataclass
class Run:
    decision: RouteDecision | None
    error: str | None = None

    def rank_of(self) -> dict[str, int]:
        if self.decision is None:
            return {}
        return {c.model_id: i for i, c in enumerate(self.decision.candidates, start=1)}


@router.get("/playground", response_class=HTMLResponse)
def playground_page(console: SignedIn) -> Response:
    config = console.runtime.reader.router_config()
    values = {**DEFAULT_REQUEST, **config_values(config.doc(), WHAT_IF)}
    return _page(console, values, [], None, None)


@router.post("/playground", response_class=HTMLResponse)
def run(console: SignedIn, form: CheckedForm) -> Response:
    parsed = parse_config_form(form.multi_items(), WHAT_IF)
    values = parsed.values
    errors: list[FieldError] = []
    try:
        request = _request(parsed)
    except InvalidInput as exc:
        errors += exc.errors
        request = None
    what_if: RouterConfigDoc | None = None
    try:
        what_if = config_doc(parsed, WHAT_IF)
    except InvalidInput as exc:
        errors += exc.errors
    if request is None:
        return _page(console, values, errors, None, None, status=422)
    runtime = console.runtime
    stored = runtime.reader.router_config()
    current = _route(lambda: routing.preview(runtime, request))
    changed = what_if is not None and what_if != stored.doc()
    alternative = None
    if what_if is not None and changed:
        draft = RouterConfig.model_validate(
            {**what_if.model_dump(), "version": stored.version, "updated_by": "what-if"}
        )
        alternative = _route(lambda: routing.what_if(runtime, request, draft))
    status = 422 if errors else 200
    return _page(console, values, errors, current, alternative, changed=changed, status=status)


@router.post("/playground/replay", response_class=HTMLResponse)
async def replay(console: SignedIn, form: CheckedForm) -> Response:
    picked = [str(v) for v in form.getlist("version")]
    include_live = form.get("live") is not None
    limit = console.runtime.settings.import_max_bytes
    try:
        # the optional config file first: read_upload closes the form
        config_file = await read_optional_upload(form, CONFIG_FIELD, limit)
        upload = await read_upload(form, limit, "choose a JSON-lines file")
    except UploadRefused as refused:
        await form.close()
        return _replay_page(console, [refused.error], refused.status)
    raw = upload.raw
    errors: list[FieldError] = []
    written = [] if config_file is None else _written_config(config_file, errors)
    versions: list[int] = []
    for value in picked:
        if not value.isdigit() or int(value) < 1:
            errors.append(FieldError("version", f"{value!r} is not a config version"))
        elif int(value) not in versions:
            versions.append(int(value))
    if len(versions) + include_live + (config_file is not None) < 2:
        errors.append(FieldError("version", "choose at least two configs to compare"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        errors.append(FieldError("file", "the file is not UTF-8 text"))
        text = ""
    picks: dict[str, Any] = {"replay_picked": {"live": include_live, "versions": versions}}
    if errors:
        return _replay_page(console, errors, 422, filename=upload.filename, **picks)
    try:
        numbered = replay_svc.numbered_prompts(text)
    except InvalidInput as exc:
        return _replay_page(
            console, [], 422, filename=upload.filename, line_errors=exc.errors, **picks
        )
    requests, lines = [r for _, r in numbered], [n for n, _ in numbered]
    if not requests:
        errors.append(FieldError("file", "the file holds no prompts"))
    elif len(requests) > REPLAY_MAX_PROMPTS:
        message = f"the file holds {len(requests):,} prompts; the console replays at most"
        errors.append(
            FieldError("file", f"{message} {REPLAY_MAX_PROMPTS:,} (the CLI has no limit)")
        )
    if errors:
        return _replay_page(console, errors, 422, filename=upload.filename, **picks)
    runtime = console.runtime
    runs = [replay_svc.live_run(runtime.reader)] if include_live else []
    try:
        runs += [replay_svc.stored_run(console.uows, v) for v in versions]
    except NotFound as exc:
        return _replay_page(console, [FieldError("version", str(exc))], 422, **picks)
    runs += written
    replay_svc.replay(runtime.reader, runtime.settings, runs, requests)
    document = replay_svc.report(runs, requests, lines)
    return _replay_page(console, [], 200, filename=upload.filename, report=document, **picks)


CONFIG_FIELD = "config"
"""The replay form's optional router config file (JSON), compared beside the versions."""


def _written_config(upload: Upload, errors: list[FieldError]) -> list[ConfigRun]:
    """The uploaded config as a run named by its file (none, with ``errors`` said on
    ``config``, when it is not JSON or not a router config)."""
    try:
        document = json.loads(upload.raw)  # bytes: a byte-order mark is allowed
    except ValueError:
        errors.append(FieldError(CONFIG_FIELD, f"{upload.filename} is not JSON"))
        return []
    try:
        return [replay_svc.document_run(upload.filename, document)]
    except InvalidInput as exc:
        errors += [
            FieldError(f"{CONFIG_FIELD}: {e.path}" if e.path else CONFIG_FIELD, e.message)
            for e in exc.errors
        ]
        return []


def _replay_page(
    console: Console,
    errors: list[FieldError],
    status: int,
    filename: str | None = None,
    line_errors: list[FieldError] | None = None,
    report: dict[str, Any] | None = None,
    replay_picked: dict[str, Any] | None = None,
) -> Response:
    config = console.runtime.reader.router_config()
    values = {**DEFAULT_REQUEST, **config_values(config.doc(), WHAT_IF)}
    return _page(
        console,
        values,
        [],
        None,
        None,
        status=status,
        replay_errors=errors,
        replay_filename=filename,
        line_errors=line_errors or [],
        replay=report,
        replay_picked=replay_picked,
    )


def _config_versions(console: Console) -> list[HistoryEntry]:
    """The latest saved versions, newest first, for the replay form's choices."""
    entries, _ = router_data.router_config_history(console.uows, 0, SHOWN_VERSIONS)
    return sorted(entries, key=lambda e: e.version, reverse=True)


def _request(parsed: ParsedForm) -> RouteRequest:
    doc = parsed.document
    data: dict[str, Any] = {
        key: doc[key]
        for key in (
            "text",
            "attachmentTypes",
            "contextTokens",
            "costBias",
            "speedBias",
            "previousModelId",
            "seed",
        )
        if key in doc
    }
    data.setdefault("text", "")
    data["candidates"] = "all"  # the playground shows every candidate
    return validate(RouteRequest, data)


def _route(work: Any) -> Run:
    try:
        return Run(work())
    except AllModelsExhausted as exc:
        return Run(None, str(exc))
    except InvalidInput as exc:
        return Run(None, str(exc))


def _page(
    console: Console,
    values: dict[str, Any],
    errors: list[FieldError],
    current: Run | None,
    alternative: Run | None,
    changed: bool = False,
    status: int = 200,
    **replay: Any,
) -> Response:
    return console.page(
        "playground.html",
        status=status,
        values=values,
        errors=errors,
        current=current,
        alternative=alternative,
        changed=changed,
        shown_candidates=SHOWN_CANDIDATES,
        p=WHAT_IF,
        config_versions=_config_versions(console),
        live_version=console.runtime.reader.router_config().version,
        shown_changes=SHOWN_CHANGES,
        short=replay_svc.short,
        chars_per_token=replay_svc.CHARS_PER_TOKEN,
        replay_output_tokens=replay_svc.REPLAY_OUTPUT_TOKENS,
        **config_choices(console),
        **{**REPLAY_BLANK, **replay},
    )
