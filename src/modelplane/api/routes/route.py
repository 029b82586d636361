"""``POST /api/v1/route``: the auto-router's decision for one message."""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from modelplane.api.deps import CurrentToken, get_runtime, request_token, user_context
from modelplane.bootstrap import Runtime
from modelplane.domain.flags import UserContext
from modelplane.router import AllModelsExhausted, RouteDecision, RouteRequest
from modelplane.router.request import TOP_CANDIDATES, CandidateListing
from modelplane.services.routing import route, runs_inline

_listing: TypeAdapter[CandidateListing] = TypeAdapter(CandidateListing)


async def _serve(request: Request) -> Response:
    """``route_message`` with its arguments read as FastAPI would: the token first (401
    and 403 as every route), then the query and the JSON body, refused with the same
    problem (each field named) when invalid."""
    identity = await request_token(request)
    errors: list[dict[str, Any]] = []
    candidates: CandidateListing | None = None
    listed = request.query_params.get("candidates")
    if listed is not None:
        try:
            candidates = _listing.validate_python(listed)
        except ValidationError as exc:
            errors += _located(exc, "query", "candidates")
    body = await _body(request)
    parsed: RouteRequest | None = None
    if body is None:
        errors.append({"type": "missing", "loc": ("body",), "msg": "Field required", "input": None})
    else:
        try:
            parsed = RouteRequest.model_validate(body)
        except ValidationError as exc:
            errors += _located(exc, "body")
    if errors or parsed is None:
        raise RequestValidationError(errors, body=body)
    return await route_message(parsed, request, identity, candidates)


async def _body(request: Request) -> Any:
    """The body as FastAPI reads one: JSON when it is sent as JSON (or with no content
    type), the bytes otherwise, ``None`` when empty."""
    raw = await request.body()
    if not raw:
        return None
    kind = request.headers.get("content-type")
    if kind and kind != "application/json":  # the usual header needs no parsing
        message = email.message.Message()
        message["content-type"] = kind
        subtype = message.get_content_subtype()
        if message.get_content_maintype() != "application" or not (
            subtype == "json" or subtype.endswith("+json")
        ):
            return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise RequestValidationError([error], body=exc.doc) from None
    except UnicodeDecodeError:
        return raw


def _located(exc: ValidationError, *at: str) -> list[dict[str, Any]]:
    return [{**error, "loc": (*at, *error["loc"])} for error in exc.errors()]


class _Lean(APIRoute):
    """The endpoint's signature documents it (``/openapi.json``: body, query, token), and
    ``_serve`` reads the same things with the same models and calls it. FastAPI's own
    handler solves the signature afresh on every request, which cost more than the
    decision (``bench/route_http.py``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return _serve


router = APIRouter(prefix="/api/v1", tags=["router"], route_class=_Lean)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token."},
    422: {"description": "Invalid request, or a classification naming unknown categories."},
    503: {"description": "All models exhausted: nothing is eligible and the fallback is excluded."},
}


@router.post(
    "/route",
    summary="Choose a model for a message",
    description=(
        "Classifies the message (or takes `classification`), filters the eligible models, "
        "scores each with the router's dials and picks one. The answer lists the "
        f"{TOP_CANDIDATES} best-scoring candidates and the chosen model with each term of "
        "their score (`candidates=all`, in the query or the body, lists every eligible "
        "one; `candidateCount` says how many there were, `selectedRank` where the chosen "
        "model stands), says whether the previous model was kept "
        "(`isSticky`) and whether the pick explored a pricier tier (`explorationPick`), and "
        "explains the choice in `reasoning`. Pass `seed` for a reproducible decision. Every "
        "decision is logged (the text only as a hash). Any valid token may call it. "
        "Send `X-Modelplane-User` (or `X-Modelplane-Session`) to have rollout flags and "
        "running experiments apply to that user."
    ),
    response_model=RouteDecision,
    response_model_by_alias=True,
    response_model_exclude_none=True,
    responses=_RESPONSES,
    response_class=JSONResponse,  # documents the answer; the endpoint sends it serialised
)
async def route_message(
    body: RouteRequest,
    request: Request,
    _: CurrentToken,
    candidates: Annotated[
        CandidateListing | None,
        Query(description="`all` lists every eligible candidate (overrides the body)."),
    ] = None,
) -> Response:
    # The runtime and the user context are read here, not as dependencies: neither is a
    # parameter of the API, and FastAPI's solving of each dependency cost more than it does.
    runtime = await get_runtime(request)
    context = await user_context(request)
    if candidates is not None and candidates != body.candidates:
        body = body.model_copy(update={"candidates": candidates})
    # Short in-process work runs here on the event loop: the hop to a thread and back cost
    # about as much as the decision (bench/route_http.py). Anything that may wait (an LLM
    # classifier, database reads) or run long (a long text to classify) goes to a thread,
    # so it never holds up the other requests behind it.
    if runs_inline(runtime, body):
        return _answer(runtime, body, context)
    return await run_in_threadpool(_answer, runtime, body, context)


def _answer(runtime: Runtime, body: RouteRequest, context: UserContext) -> Response:
    try:
        decision = route(runtime, body, context=context)
    except AllModelsExhausted as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    # Serialised once, by the decision's own model: validating it again against the
    # response model cost more than routing (``response_model`` still documents it).
    body_json = decision.model_dump_json(by_alias=True, exclude_none=True)
    return Response(body_json, media_type="application/json")
