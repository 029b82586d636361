"""Router data reads under /api/v1/router."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import ReaderDep
from modelplane.catalog.errors import NotFound

router = APIRouter(prefix="/api/v1/router", tags=["router"])


@router.get("/config")
def get_config(reader: ReaderDep) -> dict[str, Any]:
    return reader.router_config().to_json()


@router.get("/profiles")
def list_profiles(reader: ReaderDep) -> dict[str, Any]:
    profiles = reader.profiles()
    return {
        "data": [p.to_json() for p in profiles],
        "count": len(profiles),
        "categories": [c.to_json() for c in reader.categories()],
    }


@router.get("/profiles/{model_id}")
def get_profile(reader: ReaderDep, model_id: str) -> dict[str, Any]:
    profile = reader.profile(model_id)
    if profile is None:
        raise NotFound("profile", model_id)
    return profile.to_json()
