"""API tokens under /api/v1/tokens (admin only). A token is shown once, when created."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api import bodies
from modelplane.api.deps import Admin, RuntimeDep
from modelplane.api.threads import DatabaseRoute
from modelplane.domain.access import TokenSpec
from modelplane.domain.validation import validate
from modelplane.services import tokens as svc

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], route_class=DatabaseRoute)


@router.post(
    "",
    status_code=201,
    summary="Create a token",
    description="Body: `{name, role, scopes?, expiresAt? | expiresIn?}`; role is admin, "
    'editor, viewer or ingest. `scopes` (e.g. `["read", "write:model"]`) limit the '
    "token to those routes, within what its role allows; none: its role alone decides. "
    "`expiresAt` is a moment, `expiresIn` a lifetime such as `30d`; after it the token "
    "gets 401 saying when it expired. A scoped token may create only tokens within its own "
    "scopes. The answer's `token` is shown this once; only its hash is kept.",
)
def create_token(
    runtime: RuntimeDep,
    who: Admin,
    body: Annotated[
        bodies.TokenCreate,
        Body(
            openapi_examples={
                "ci": {"value": {"name": "ci-bot", "role": "editor"}},
                "scoped": {
                    "value": {
                        "name": "catalogue-bot",
                        "role": "editor",
                        "scopes": ["read", "write:model"],
                        "expiresIn": "30d",
                    }
                },
            }
        ),
    ],
) -> dict[str, Any]:
    spec = validate(TokenSpec, body.as_sent())
    record, token = svc.create_token(runtime.unit_of_work, spec, who.name, who.scopes)
    return {**svc.token_json(record), "token": token}


@router.get("", summary="List tokens (never the tokens themselves)")
def list_tokens(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    records = svc.list_tokens(runtime.unit_of_work)
    return {"data": [svc.token_json(r) for r in records], "count": len(records)}


@router.delete("/{name}", summary="Revoke a token")
def revoke_token(runtime: RuntimeDep, who: Admin, name: str) -> dict[str, Any]:
    return svc.token_json(svc.revoke_token(runtime.unit_of_work, name, who.name))
