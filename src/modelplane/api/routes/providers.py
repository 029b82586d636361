"""Providers under /api/v1/providers: adding one needs no deploy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api import bodies
from modelplane.api.deps import Editor, PublicRead, ReaderDep, RuntimeDep
from modelplane.api.threads import DatabaseRoute
from modelplane.domain.models import Provider
from modelplane.domain.validation import validate
from modelplane.services.providers import create_provider

router = APIRouter(prefix="/api/v1/providers", tags=["providers"], route_class=DatabaseRoute)


@router.get("", dependencies=[PublicRead], summary="Every provider")
def list_providers(reader: ReaderDep) -> dict[str, Any]:
    providers = reader.providers()
    return {"data": [p.to_json() for p in providers], "count": len(providers)}


@router.post("", status_code=201, summary="Add a provider", responses={201: {"model": Provider}})
def add_provider(
    runtime: RuntimeDep,
    who: Editor,
    body: Annotated[
        bodies.ProviderCreate,
        Body(openapi_examples={"acme": {"value": {"id": "acme", "displayName": "Acme AI"}}}),
    ],
) -> dict[str, object]:
    provider = validate(Provider, body.as_sent())
    return create_provider(runtime.unit_of_work, provider, who.name).to_json()
