"""Dependency shortcuts for the routes: the runtime, the reader, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from modelplane.bootstrap import Runtime
from modelplane.catalog.reader import CatalogReader
from modelplane.services.tokens import Forbidden, Identity, NotAuthenticated, allows, authenticate


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_reader(request: Request) -> CatalogReader:
    return get_runtime(request).reader


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ReaderDep = Annotated[CatalogReader, Depends(get_reader)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`modelplane tokens create`), sent as `Authorization: Bearer …`.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_token(runtime: RuntimeDep, credentials: BearerDep) -> Identity:
    """The caller's token; 401 when it is missing, unknown or revoked."""
    if credentials is None:
        raise NotAuthenticated("this endpoint needs a bearer token")
    return authenticate(runtime.engine, credentials.credentials)


CurrentToken = Annotated[Identity, Depends(current_token)]


def require_role(role: str) -> Callable[[Identity], Identity]:
    """A dependency that admits ``role`` and stronger ones (viewer < editor < admin)."""

    def check(identity: CurrentToken) -> Identity:
        if not allows(identity.role, role):
            raise Forbidden(
                f"this needs the {role} role; token {identity.name!r} is {identity.role}"
            )
        return identity

    check.__name__ = f"require_{role}"
    return check


def public_read(runtime: RuntimeDep, credentials: BearerDep) -> None:
    """Public reads are open unless ``public_reads_require_token`` is set; then a viewer
    token or stronger is needed."""
    if runtime.settings.public_reads_require_token:
        identity = current_token(runtime, credentials)
        if not allows(identity.role, "viewer"):
            raise Forbidden(f"token {identity.name!r} ({identity.role}) cannot read")


Viewer = Annotated[Identity, Depends(require_role("viewer"))]
Editor = Annotated[Identity, Depends(require_role("editor"))]
Admin = Annotated[Identity, Depends(require_role("admin"))]
PublicRead = Depends(public_read)
