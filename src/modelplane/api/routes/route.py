"""``POST /api/v1/route``: the auto-router's decision for one message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from modelplane.api.deps import CurrentToken, get_runtime, user_context
from modelplane.bootstrap import Runtime
from modelplane.domain.flags import UserContext
from modelplane.router import AllModelsExhausted, RouteDecision, RouteRequest
from modelplane.router.request import TOP_CANDIDATES, CandidateListing
from modelplane.services.routing import route

router = APIRouter(prefix="/api/v1", tags=["router"])

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
    response_class=Response,
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
    # On a thread: run on the event loop, a decision held up every other request behind it
    # (bench/route_http.py measured p99 latencies past a second under load).
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
