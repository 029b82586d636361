"""The OpenAI-compatible model list, with our fields added."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from modelplane.api.deps import PublicRead, ReaderDep
from modelplane.domain.errors import NotFound
from modelplane.domain.lifecycle import lifecycle_headers, list_headers
from modelplane.domain.models import AUTO_MODEL_ID, Model, auto_model_entry
from modelplane.domain.reader import Platform

router = APIRouter(prefix="/v1/models", tags=["openai-compatible"])


AUTO_ENTRY: dict[str, Any] = {
    "object": "model",
    "created": 0,
    "owned_by": "modelplane",
    **auto_model_entry(),
}
"""The built-in meta-model that asks the router to choose: listed first, never a row."""


def openai_model(model: Model) -> dict[str, Any]:
    doc = model.to_json()
    created = int(model.created_at.timestamp()) if model.created_at else 0
    return {
        "id": model.id,
        "object": "model",
        "created": created,
        "owned_by": model.provider,
        "name": model.name,
        "pricing": doc["pricing"],
        "contextWindow": model.context_window,
        "capabilities": list(model.capabilities),
        "status": model.status,
        "isExperimental": model.is_experimental,
        **{key: doc[key] for key in ("deprecationDate", "sunsetDate", "successorId") if key in doc},
    }


@router.get(
    "",
    dependencies=[PublicRead],
    summary="Models, in the shape OpenAI clients expect",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
    description="The built-in `auto` meta-model (the router chooses) comes first. "
    "Internal-only and deprecated models are left out; `platform=mobile` also "
    "leaves out experimental ones. Each model carries its `deprecationDate`, `sunsetDate` "
    "and `successorId`; when some have dates, `Deprecation` and `Sunset` give the earliest "
    'among the listed models and `Link` names the soonest 20 (`rel="deprecation"`, '
    '`rel="sunset"`).',
)
async def list_openai(reader: ReaderDep, platform: Platform | None = None) -> Response:
    def render() -> tuple[bytes, dict[str, str]]:
        listed = reader.public(platform)
        models = [AUTO_ENTRY, *(openai_model(m) for m in listed)]
        body = {"object": "list", "data": models}
        encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return encoded, list_headers(listed, router.prefix)

    # Rendered once per snapshot and platform; from a live database, every time.
    answer = reader.memo(("v1/models", platform), render)
    if answer is None:
        answer = await run_in_threadpool(render)
    body, headers = answer
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/{model_id:path}",
    dependencies=[PublicRead],
    summary="One model, in the shape OpenAI clients expect",
    description="Internal-only models are not found; with `platform=mobile` neither are "
    "experimental ones. A deprecated model is still found, with its status.",
)
def get_openai(
    reader: ReaderDep, response: Response, model_id: str, platform: Platform | None = None
) -> dict[str, Any]:
    if model_id == AUTO_MODEL_ID:
        return AUTO_ENTRY
    model = reader.get(model_id)
    if model.is_internal_only or (platform == "mobile" and model.is_experimental):
        raise NotFound("model", model_id)
    response.headers.update(lifecycle_headers(model))
    return openai_model(model)
