"""Providers under /api/v1/providers: adding one needs no deploy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api.deps import Editor, PublicRead, ReaderDep, RuntimeDep
from modelplane.api.writes import write
from modelplane.domain.models import Provider
from modelplane.services._common import validate
from modelplane.services.providers import create_provider

router = APIRouter(prefix="/api/v1/providers", tags=["providers"])


@router.get("", dependencies=[PublicRead], summary="Every provider")
def list_providers(reader: ReaderDep) -> dict[str, Any]:
    providers = reader.providers()
    return {"data": [p.to_json() for p in providers], "count": len(providers)}


@router.post("", status_code=201, summary="Add a provider", responses={201: {"model": Provider}})
def add_provider(
    runtime: RuntimeDep,
    _: Editor,
    body: Annotated[
        dict[str, Any],
        Body(openapi_examples={"acme": {"value": {"id": "acme", "displayName": "Acme AI"}}}),
    ],
) -> dict[str, object]:
    provider = validate(Provider, body)
    return write(runtime, lambda uow: create_provider(uow, provider)).to_json()
