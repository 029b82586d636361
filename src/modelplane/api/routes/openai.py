"""The OpenAI-compatible model list, with our fields added."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import ReaderDep
from modelplane.catalog.errors import NotFound
from modelplane.catalog.models import Model
from modelplane.catalog.reader import Platform

router = APIRouter(prefix="/v1/models", tags=["openai-compatible"])


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
    }


@router.get("")
def list_openai(reader: ReaderDep, platform: Platform | None = None) -> dict[str, Any]:
    return {"object": "list", "data": [openai_model(m) for m in reader.public(platform)]}


@router.get("/{model_id:path}")
def get_openai(reader: ReaderDep, model_id: str) -> dict[str, Any]:
    model = reader.get(model_id)
    if model.is_internal_only:
        raise NotFound("model", model_id)
    return openai_model(model)
