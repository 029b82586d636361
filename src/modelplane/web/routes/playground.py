"""The route playground: route a message with the stored dials and, beside it, with dials
changed on the page and not saved ("what if"). Nothing here writes or is logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.router_config import RouterConfig, RouterConfigDoc
from modelplane.domain.validation import validate
from modelplane.router import AllModelsExhausted, RouteDecision, RouteRequest
from modelplane.services import routing
from modelplane.web.console import Console, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.forms import ParsedForm
from modelplane.web.routes.router_data import (
    config_choices,
    config_doc,
    config_values,
    parse_config_form,
)

router = APIRouter(prefix="/admin/auto-router")
WHAT_IF = "whatIf."
SHOWN_CANDIDATES = 30
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
        **config_choices(console),
    )
