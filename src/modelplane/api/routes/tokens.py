"""API tokens under /api/v1/tokens (admin only). A token is shown once, when created."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api.deps import Admin, RuntimeDep
from modelplane.api.writes import read, write
from modelplane.services import tokens as svc
from modelplane.services._common import validate

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


@router.post(
    "",
    status_code=201,
    summary="Create a token",
    description="Body: `{name, role}`; role is admin, editor, viewer or ingest. "
    "The answer's `token` is shown this once; only its hash is kept.",
)
def create_token(
    runtime: RuntimeDep,
    who: Admin,
    body: Annotated[
        dict[str, Any],
        Body(openapi_examples={"ci": {"value": {"name": "ci-bot", "role": "editor"}}}),
    ],
) -> dict[str, Any]:
    spec = validate(svc.TokenSpec, body)
    record, token = write(runtime, lambda uow: svc.create_token(uow, spec, who.name))
    return {**svc.token_json(record), "token": token}


@router.get("", summary="List tokens (never the tokens themselves)")
def list_tokens(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    records = read(runtime, svc.list_tokens)
    return {"data": [svc.token_json(r) for r in records], "count": len(records)}


@router.delete("/{name}", summary="Revoke a token")
def revoke_token(runtime: RuntimeDep, _: Admin, name: str) -> dict[str, Any]:
    return svc.token_json(write(runtime, lambda uow: svc.revoke_token(uow, name)))
