"""Catalogue reads under /api/v1/models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from modelplane.api.deps import ReaderDep
from modelplane.catalog.models import Capability, Status
from modelplane.catalog.reader import ModelFilter

router = APIRouter(prefix="/api/v1/models", tags=["models"])


@router.get("")
def list_models(
    reader: ReaderDep,
    provider: str | None = None,
    status: Status | None = None,
    capability: Capability | None = None,
    internal_only: Annotated[bool | None, Query(alias="internalOnly")] = None,
    experimental: bool | None = None,
) -> dict[str, Any]:
    filters = ModelFilter(provider, status, capability, internal_only, experimental)
    models = reader.models(filters)
    return {"data": [m.to_json() for m in models], "count": len(models)}


@router.get("/search")
def search_models(
    reader: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    models = reader.search(q, limit)
    return {"data": [m.to_json() for m in models], "count": len(models)}


@router.get("/{model_id}")
def get_model(reader: ReaderDep, model_id: str) -> dict[str, Any]:
    return reader.get(model_id).to_json()
