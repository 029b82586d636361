"""Dependency shortcuts for the routes: the runtime, the reader, and who is asking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from modelplane.bootstrap import Runtime
from modelplane.domain.access import Identity, allows, hash_token
from modelplane.domain.errors import Forbidden, NotAuthenticated
from modelplane.domain.flags import UserContext
from modelplane.domain.reader import CatalogReader
from modelplane.domain.scopes import NO_SCOPE, grants, needed_scope
from modelplane.services.shadow import shadow_catalogue
from modelplane.services.tokens import authenticate


async def get_runtime(request: Request) -> Runtime:
    # Dependencies that never block are async: FastAPI runs sync ones on a thread pool,
    # which costs more than they do.
    runtime: Runtime = request.app.state.runtime
    return runtime


USER_HEADER = "X-Modelplane-User"
SESSION_HEADER = "X-Modelplane-Session"
CONTEXT_HEADER_PREFIX = "x-modelplane-context-"


async def user_context(request: Request) -> UserContext:
    """Who a request is for, for rollout flags and experiments: the ``X-Modelplane-User``
    and ``X-Modelplane-Session`` headers (or ``userId`` / ``sessionId`` query parameters),
    plus any ``X-Modelplane-Context-<Field>`` header as a named context field."""
    headers, query = request.headers, request.query_params
    properties = {
        key.removeprefix(CONTEXT_HEADER_PREFIX): value
        for key, value in headers.items()
        if key.startswith(CONTEXT_HEADER_PREFIX)
    }
    return UserContext(
        user_id=headers.get(USER_HEADER) or query.get("userId"),
        session_id=headers.get(SESSION_HEADER) or query.get("sessionId"),
        properties=properties or None,
    )


UserContextDep = Annotated[UserContext, Depends(user_context)]


async def get_reader(request: Request) -> CatalogReader:
    """The read path for this request's user: their assignment picks static tables or
    database (and whether to compare both in the background)."""
    runtime: Runtime = request.app.state.runtime
    assignment = runtime.assignment(await user_context(request))
    if assignment.shadowed:
        shadow_catalogue(runtime)
    return runtime.reader_of(assignment)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ReaderDep = Annotated[CatalogReader, Depends(get_reader)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`modelplane tokens create`), sent as `Authorization: Bearer …`.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def current_token(request: Request, runtime: RuntimeDep, credentials: BearerDep) -> Identity:
    """The caller's token; 401 when it is missing, unknown, revoked or expired, 403 when
    its scopes leave out the one this route needs.

    The one place scopes are enforced: every route that takes a token comes through here,
    and the scope it needs is read from its method and path in ``domain/scopes.py``.

    A token the live snapshot knows is checked on the event loop (no database, no thread
    hop: the hop cost more than the check); any other goes to the database on a thread."""
    if credentials is None:
        raise NotAuthenticated("this endpoint needs a bearer token")
    known = runtime.live.current.tokens if runtime.live_reads else None
    if known is not None and runtime.live.current.source != "db":
        known = None  # the static tables know no tokens
    token = credentials.credentials
    if known is not None and hash_token(token.strip()) in known:
        identity = authenticate(runtime.engine, token, known, runtime.note_token_use)
    else:
        identity = await run_in_threadpool(
            authenticate, runtime.engine, token, known, runtime.note_token_use
        )
    if identity.scopes is not None:
        check_scope(identity, request.method, route_path(request))
    return identity


async def request_token(request: Request) -> Identity:
    """``current_token`` for a handler that solves no dependencies (``routes/route.py``)."""
    runtime: Runtime = request.app.state.runtime
    return await current_token(request, runtime, await _bearer(request))


def route_path(request: Request) -> str:
    """The matched route's path template (``/api/v1/flags/{name}``), not the URL's path."""
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


def check_scope(identity: Identity, method: str, path: str) -> None:
    needed = needed_scope(method, path)
    if not grants(identity.scopes, needed):
        held = ", ".join(sorted(identity.scopes or ()))
        if needed == NO_SCOPE:
            raise Forbidden(f"no scope opens {method} {path}; token {identity.name!r} is scoped")
        raise Forbidden(
            f"this needs the {needed!r} scope; token {identity.name!r} has only: {held}"
        )


CurrentToken = Annotated[Identity, Depends(current_token)]


def require_role(role: str) -> Callable[[Identity], Awaitable[Identity]]:
    """A dependency that admits ``role`` and stronger ones (viewer < editor < admin)."""

    async def check(identity: CurrentToken) -> Identity:  # async: never blocks
        if not allows(identity.role, role):
            raise Forbidden(
                f"this needs the {role} role; token {identity.name!r} is {identity.role}"
            )
        return identity

    check.__name__ = f"require_{role}"
    return check


PUBLIC_READ_SCHEME = "PublicReadToken"
_public_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=PUBLIC_READ_SCHEME,
    description="The same API token, needed for public reads only when the server sets "
    "`MODELPLANE_PUBLIC_READS_REQUIRE_TOKEN`.",
)
"""The bearer token of a public read: its own scheme name, so that the OpenAPI document
can mark those operations' token as optional (``api/openapi.py``)."""


async def public_read(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_public_bearer)],
) -> None:
    """Public reads are open unless ``public_reads_require_token`` is set; then a viewer
    token or stronger is needed."""
    if runtime.settings.public_reads_require_token:
        identity = await current_token(request, runtime, credentials)
        if not allows(identity.role, "viewer"):
            raise Forbidden(f"token {identity.name!r} ({identity.role}) cannot read")


Viewer = Annotated[Identity, Depends(require_role("viewer"))]
Editor = Annotated[Identity, Depends(require_role("editor"))]
Admin = Annotated[Identity, Depends(require_role("admin"))]
PublicRead = Depends(public_read)
