"""Every route, called by anonymous, viewer, editor and admin callers: each gets exactly
what its role allows; then by scoped tokens: each gets exactly what its scopes allow. A
route added to the app without a row here, or without a scope, fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.access import TokenSpec, hash_token
from modelplane.domain.errors import InvalidInput
from modelplane.domain.scopes import NO_SCOPE, SCOPES, needed_scope
from modelplane.domain.validation import validate
from modelplane.services.tokens import create_token
from modelplane.store.auth_repositories import TokenRecord, TokenRepository

ANYONE, TOKEN, VIEWER, EDITOR, ADMIN = "public", "any token", "viewer", "editor", "admin"
CALLERS = ("anonymous", "viewer", "editor", "admin")
_LEVEL = {"anonymous": 0, "viewer": 1, "editor": 2, "admin": 3}
_NEEDS = {ANYONE: 0, TOKEN: 1, VIEWER: 1, EDITOR: 2, ADMIN: 3}
M = "openai:gpt-5"


@dataclass(frozen=True)
class Call:
    needs: str
    path: str
    ok: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    covered_by: str | None = None
    """Where the route's authorization is tested instead (it is then left out here)."""


_WEBHOOKS = "tests/webhooks/test_webhooks.py::test_only_admins_manage_webhooks"
"""Subscribing needs a receiver that this test's runtime may reach; that test has one."""

ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/openapi.json"): Call(ANYONE, "/openapi.json"),
    ("GET", "/docs"): Call(ANYONE, "/docs"),
    ("GET", "/docs/oauth2-redirect"): Call(ANYONE, "/docs/oauth2-redirect"),
    ("GET", "/redoc"): Call(ANYONE, "/redoc"),
    ("GET", "/healthz"): Call(ANYONE, "/healthz"),
    ("GET", "/"): Call(ANYONE, "/"),  # redirects to the console, which asks to sign in
    ("GET", "/api/v1/events"): Call(
        ANYONE, "/api/v1/events", covered_by="tests/live (an endless event stream)"
    ),
    ("GET", "/v1/models"): Call(ANYONE, "/v1/models"),
    ("GET", "/v1/models/{model_id:path}"): Call(ANYONE, f"/v1/models/{M}"),
    ("GET", "/api/v1/models"): Call(ANYONE, "/api/v1/models"),
    ("GET", "/api/v1/models/search"): Call(ANYONE, "/api/v1/models/search?q=gpt"),
    ("GET", "/api/v1/models/{model_id:path}"): Call(ANYONE, f"/api/v1/models/{M}"),
    ("GET", "/api/v1/models/{model_id:path}/price"): Call(ANYONE, f"/api/v1/models/{M}/price"),
    ("GET", "/api/v1/models/{model_id:path}/prices"): Call(ANYONE, f"/api/v1/models/{M}/prices"),
    ("POST", "/api/v1/models/{model_id:path}/prices"): Call(
        EDITOR,
        f"/api/v1/models/{M}/prices",
        201,
        {"pricing": {"input": 3}, "effectiveFrom": "2031-01-01T00:00:00Z"},
    ),
    ("GET", "/api/v1/models/{model_id:path}/history"): Call(VIEWER, f"/api/v1/models/{M}/history"),
    ("GET", "/api/v1/models/{model_id:path}/history/{version}"): Call(
        VIEWER, f"/api/v1/models/{M}/history/1"
    ),
    ("POST", "/api/v1/models"): Call(
        EDITOR,
        "/api/v1/models",
        201,
        {
            "id": "openai:matrix-1",
            "provider": "openai",
            "name": "Matrix",
            "contextWindow": 1000,
            "pricing": {"input": 1, "output": 2},
        },
    ),
    ("PATCH", "/api/v1/models/{model_id:path}"): Call(
        EDITOR, f"/api/v1/models/{M}", json={"name": "GPT-5 renamed", "expectedVersion": 1}
    ),
    ("POST", "/api/v1/models/{model_id:path}/deprecate"): Call(
        EDITOR, f"/api/v1/models/{M}/deprecate", json={"expectedVersion": 1}
    ),
    ("POST", "/api/v1/models/{model_id:path}/reactivate"): Call(
        EDITOR, f"/api/v1/models/{M}/reactivate", 422, json={"expectedVersion": 1}
    ),  # allowed, but the model is not deprecated
    ("POST", "/api/v1/models/{model_id:path}/retire"): Call(
        ADMIN, f"/api/v1/models/{M}/retire", 422, json={}
    ),  # allowed, but a retirement needs a reason
    ("POST", "/api/v1/models/bulk-status"): Call(
        EDITOR, "/api/v1/models/bulk-status", json={"ids": [M], "status": "active", "reason": "r"}
    ),  # already active: nothing written
    ("POST", "/api/v1/models/{model_id:path}/duplicate"): Call(
        EDITOR, f"/api/v1/models/{M}/duplicate", 201, json={}
    ),
    ("POST", "/api/v1/models/{model_id:path}/rollback"): Call(
        EDITOR, f"/api/v1/models/{M}/rollback", json={"version": 1, "expectedVersion": 1}
    ),
    ("GET", "/api/v1/providers"): Call(ANYONE, "/api/v1/providers"),
    ("POST", "/api/v1/providers"): Call(
        EDITOR, "/api/v1/providers", 201, {"id": "acme", "displayName": "Acme"}
    ),
    ("GET", "/api/v1/router/config"): Call(ANYONE, "/api/v1/router/config"),
    ("GET", "/api/v1/router/quality-curve"): Call(ANYONE, "/api/v1/router/quality-curve"),
    ("POST", "/api/v1/router/replay"): Call(
        VIEWER, "/api/v1/router/replay", json={"prompts": [{"text": "hi"}], "configVersions": [1]}
    ),
    ("PATCH", "/api/v1/router/config"): Call(
        EDITOR,
        "/api/v1/router/config",
        json={"routerSettings": {"maxRetries": 3}, "expectedVersion": 1},
    ),
    ("GET", "/api/v1/router/config/history"): Call(VIEWER, "/api/v1/router/config/history"),
    ("GET", "/api/v1/router/config/history/{version}"): Call(
        VIEWER, "/api/v1/router/config/history/1"
    ),
    ("POST", "/api/v1/router/config/rollback"): Call(
        EDITOR, "/api/v1/router/config/rollback", json={"version": 1, "expectedVersion": 1}
    ),
    ("GET", "/api/v1/router/profiles"): Call(ANYONE, "/api/v1/router/profiles"),
    ("GET", "/api/v1/router/profiles/{model_id:path}"): Call(
        ANYONE, f"/api/v1/router/profiles/{M}"
    ),
    ("PUT", "/api/v1/router/profiles/{model_id:path}"): Call(
        EDITOR,
        f"/api/v1/router/profiles/{M}",
        json={"qualityScore": 50, "categoryScores": {"coding": 50}, "expectedVersion": 1},
    ),
    ("GET", "/api/v1/router/profiles/{model_id:path}/history"): Call(
        VIEWER, f"/api/v1/router/profiles/{M}/history"
    ),
    ("GET", "/api/v1/router/profiles/{model_id:path}/history/{version}"): Call(
        VIEWER, f"/api/v1/router/profiles/{M}/history/1"
    ),
    ("POST", "/api/v1/router/profiles/{model_id:path}/rollback"): Call(
        EDITOR,
        f"/api/v1/router/profiles/{M}/rollback",
        json={"version": 1, "expectedVersion": 1},
    ),
    ("GET", "/api/v1/export"): Call(VIEWER, "/api/v1/export"),
    ("POST", "/api/v1/import"): Call(
        EDITOR, "/api/v1/import?dryRun=true", json={"schemaVersion": 1, "models": []}
    ),
    ("POST", "/api/v1/models/{model_id:path}/replace"): Call(
        EDITOR, f"/api/v1/models/{M}/replace", json={"newId": "openai:gpt-5.1", "dryRun": True}
    ),
    ("POST", "/api/v1/sync"): Call(
        ADMIN, "/api/v1/sync?source=litellm&dryRun=true", json={"gpt-x": {"mode": "embedding"}}
    ),
    ("GET", "/api/v1/sync/runs"): Call(VIEWER, "/api/v1/sync/runs"),
    ("POST", "/api/v1/route"): Call(
        TOKEN, "/api/v1/route", json={"text": "write a haiku about the sea", "seed": 1}
    ),
    ("GET", "/api/v1/analytics/breakdown"): Call(VIEWER, "/api/v1/analytics/breakdown"),
    ("GET", "/api/v1/analytics/daily"): Call(VIEWER, "/api/v1/analytics/daily"),
    ("GET", "/api/v1/analytics/latency"): Call(VIEWER, "/api/v1/analytics/latency"),
    ("GET", "/api/v1/analytics/router"): Call(VIEWER, "/api/v1/analytics/router"),
    ("GET", "/api/v1/analytics/summary"): Call(VIEWER, "/api/v1/analytics/summary"),
    ("GET", "/api/v1/analytics/top-models"): Call(VIEWER, "/api/v1/analytics/top-models"),
    ("POST", "/api/v1/usage"): Call(
        EDITOR,
        "/api/v1/usage",
        covered_by="tests/analytics/test_api.py::test_ingest_needs_an_ingest_token_or_stronger",
    ),
    ("POST", "/api/v1/feedback"): Call(
        EDITOR,
        "/api/v1/feedback",
        covered_by="tests/experiments/test_decision_ids.py (ingest, editor or admin)",
    ),
    ("PUT", "/api/v1/experiments/{name}/guardrails"): Call(
        EDITOR, "/api/v1/experiments/nope/guardrails", 404, {"guardrails": []}
    ),
    ("GET", "/api/v1/flags/{name}/guard"): Call(VIEWER, "/api/v1/flags/models_source/guard"),
    ("PUT", "/api/v1/flags/{name}/guardrails"): Call(
        EDITOR, "/api/v1/flags/models_source/guardrails", json={"guardrails": None}
    ),
    ("PUT", "/api/v1/flags/{name}/schedule"): Call(
        EDITOR, "/api/v1/flags/models_source/schedule", json={"steps": [100], "dwellSeconds": 0}
    ),
    ("POST", "/api/v1/flags/{name}/schedule/pause"): Call(
        EDITOR, "/api/v1/flags/parity_shadow/schedule/pause", 404
    ),  # allowed, but parity_shadow has no row yet
    ("POST", "/api/v1/flags/{name}/schedule/resume"): Call(
        EDITOR, "/api/v1/flags/parity_shadow/schedule/resume", 404
    ),
    ("POST", "/api/v1/guard/run"): Call(ADMIN, "/api/v1/guard/run"),
    ("GET", "/api/v1/guard/events"): Call(VIEWER, "/api/v1/guard/events"),
    ("GET", "/api/v1/tokens"): Call(ADMIN, "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"): Call(
        ADMIN, "/api/v1/tokens", 201, {"name": "new-token", "role": "viewer"}
    ),
    ("DELETE", "/api/v1/tokens/{name}"): Call(ADMIN, "/api/v1/tokens/viewer-token"),
    ("GET", "/api/v1/webhooks"): Call(ADMIN, "/api/v1/webhooks", covered_by=_WEBHOOKS),
    ("POST", "/api/v1/webhooks"): Call(ADMIN, "/api/v1/webhooks", covered_by=_WEBHOOKS),
    ("GET", "/api/v1/webhooks/deliveries"): Call(
        ADMIN, "/api/v1/webhooks/deliveries", covered_by=_WEBHOOKS
    ),
    ("GET", "/api/v1/webhooks/deliveries/{delivery_id}"): Call(
        ADMIN, "/api/v1/webhooks/deliveries/{delivery_id}", covered_by=_WEBHOOKS
    ),
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/replay"): Call(
        ADMIN, "/api/v1/webhooks/deliveries/{delivery_id}/replay", covered_by=_WEBHOOKS
    ),
    ("GET", "/api/v1/webhooks/{webhook_id}"): Call(
        ADMIN, "/api/v1/webhooks/{webhook_id}", covered_by=_WEBHOOKS
    ),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): Call(
        ADMIN, "/api/v1/webhooks/{webhook_id}", covered_by=_WEBHOOKS
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Call(
        ADMIN, "/api/v1/webhooks/{webhook_id}", covered_by=_WEBHOOKS
    ),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Call(
        ADMIN, "/api/v1/webhooks/{webhook_id}/deliveries", covered_by=_WEBHOOKS
    ),
    ("GET", "/api/v1/flags"): Call(VIEWER, "/api/v1/flags"),
    ("GET", "/api/v1/flags/{name}"): Call(VIEWER, "/api/v1/flags/models_source"),
    ("PATCH", "/api/v1/flags/{name}"): Call(
        EDITOR, "/api/v1/flags/matrix_flag", json={"enabled": True, "expectedVersion": 0}
    ),
    ("GET", "/api/v1/flags/{name}/history"): Call(VIEWER, "/api/v1/flags/models_source/history"),
    ("GET", "/api/v1/flags/{name}/history/{version}"): Call(
        VIEWER, "/api/v1/flags/models_source/history/1"
    ),
    ("POST", "/api/v1/flags/{name}/rollback"): Call(
        EDITOR, "/api/v1/flags/models_source/rollback", json={"version": 1, "expectedVersion": 1}
    ),
    ("GET", "/api/v1/flags/{name}/evaluate"): Call(
        VIEWER, "/api/v1/flags/models_source/evaluate?userId=u-1"
    ),
    ("GET", "/api/v1/rollout/report"): Call(VIEWER, "/api/v1/rollout/report"),
    ("GET", "/api/v1/experiments"): Call(VIEWER, "/api/v1/experiments"),
    ("POST", "/api/v1/experiments"): Call(
        EDITOR, "/api/v1/experiments", 422, json={"name": "x", "variants": []}
    ),  # allowed, but an experiment needs variants
    ("GET", "/api/v1/experiments/{name}"): Call(VIEWER, "/api/v1/experiments/none", 404),
    ("GET", "/api/v1/experiments/{name}/report"): Call(
        VIEWER, "/api/v1/experiments/none/report", 404
    ),
    ("POST", "/api/v1/experiments/{name}/promote"): Call(
        EDITOR,
        "/api/v1/experiments/none/promote",
        404,
        json={"variant": "a", "expectedVersion": 1},
    ),
    ("POST", "/api/v1/experiments/{name}/discard"): Call(
        EDITOR, "/api/v1/experiments/none/discard", 404, json={}
    ),
    ("GET", "/api/v1/fleet"): Call(VIEWER, "/api/v1/fleet"),
    ("GET", "/api/v1/audit"): Call(VIEWER, "/api/v1/audit?kind=model&format=csv"),
    ("GET", "/api/v1/approval-policies"): Call(VIEWER, "/api/v1/approval-policies"),
    ("PUT", "/api/v1/approval-policies/{kind}"): Call(
        ADMIN, "/api/v1/approval-policies/flag", json={"approvers": 0, "role": "editor"}
    ),
    ("GET", "/api/v1/change-requests"): Call(VIEWER, "/api/v1/change-requests"),
    ("POST", "/api/v1/change-requests"): Call(
        EDITOR, "/api/v1/change-requests", 422, json={"title": "x", "changes": []}
    ),
    ("POST", "/api/v1/change-requests/run-due"): Call(
        ADMIN, "/api/v1/change-requests/run-due", json={}
    ),
    ("GET", "/api/v1/change-requests/{request_id}"): Call(
        VIEWER, "/api/v1/change-requests/999", 404
    ),
    ("POST", "/api/v1/change-requests/{request_id}/comments"): Call(
        VIEWER, "/api/v1/change-requests/999/comments", 404, json={"text": "hi"}
    ),
    **{
        ("POST", f"/api/v1/change-requests/{{request_id}}/{action}"): Call(
            EDITOR, f"/api/v1/change-requests/999/{action}", 404, json={}
        )
        for action in ("approve", "reject", "withdraw", "rebase", "apply")
    },
    ("GET", "/api/v1/users"): Call(ADMIN, "/api/v1/users"),
    ("POST", "/api/v1/users"): Call(
        ADMIN,
        "/api/v1/users",
        201,
        {"username": "matrix", "role": "viewer", "password": "a long password"},
    ),
    ("GET", "/api/v1/users/{username}"): Call(ADMIN, "/api/v1/users/nobody", 404),
    ("PUT", "/api/v1/users/{username}/role"): Call(
        ADMIN, "/api/v1/users/nobody/role", 404, {"role": "viewer"}
    ),
    ("POST", "/api/v1/users/{username}/disable"): Call(
        ADMIN, "/api/v1/users/nobody/disable", 404, {}
    ),
    ("POST", "/api/v1/users/{username}/enable"): Call(
        ADMIN, "/api/v1/users/nobody/enable", 404, {}
    ),
    ("POST", "/api/v1/users/{username}/password"): Call(
        ADMIN, "/api/v1/users/nobody/password", 404, {"password": "a long password"}
    ),
}


def _walk(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _walk(inner.routes) if inner is not None else [route]


CONSOLE_PREFIXES = ("/admin", "/static")
"""The web console signs people in with sessions, not tokens; its own tests cover it."""


def app_routes(runtime: Runtime | None = None) -> set[tuple[str, str]]:
    app = create_app(runtime or Runtime())
    found = set()
    for route in _walk(app.routes):
        path = getattr(route, "path", "")
        if path.startswith(CONSOLE_PREFIXES):
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def test_every_route_of_the_app_is_in_the_matrix() -> None:
    routes = app_routes()
    assert routes - ROUTES.keys() == set(), "add these routes to ROUTES"
    assert ROUTES.keys() - routes == set(), "these rows name no route"


MATRIX = sorted(k for k, c in ROUTES.items() if c.covered_by is None)


def test_routes_left_out_of_the_matrix_name_a_test_that_covers_them() -> None:
    for call in ROUTES.values():
        if call.covered_by and "::" in call.covered_by:
            path, name = call.covered_by.split("::")
            assert f"def {name}(" in (Path(__file__).parents[2] / path).read_text()


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", MATRIX, ids=lambda r: f"{r[0]} {r[1]}")
def test_each_caller_gets_exactly_what_its_role_allows(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    route: tuple[str, str],
    caller: str,
) -> None:
    call = ROUTES[route]
    response = client.request(
        route[0], call.path, json=call.json, headers={**headers[caller], **call.headers}
    )
    if _LEVEL[caller] >= _NEEDS[call.needs]:
        assert response.status_code == call.ok, response.text
    elif caller == "anonymous":
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    "route",
    [k for k in MATRIX if ROUTES[k].needs not in (ANYONE, TOKEN)],
)
def test_an_ingest_token_may_do_none_of_this(
    client: TestClient, headers: dict[str, dict[str, str]], route: tuple[str, str]
) -> None:
    call = ROUTES[route]
    response = client.request(route[0], call.path, json=call.json, headers=headers["ingest"])
    assert response.status_code == 403


def test_a_revoked_or_made_up_token_gets_401(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    revoked = client.delete("/api/v1/tokens/editor-token", headers=headers["admin"])
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    for sent in (headers["editor"], {"Authorization": "Bearer mp_made-up"}):
        response = client.get(f"/api/v1/models/{M}/history", headers=sent)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_public_reads_need_a_token_when_the_setting_says_so(
    runtime: Runtime, headers: dict[str, dict[str, str]]
) -> None:
    strict = Runtime(runtime.settings.model_copy(update={"public_reads_require_token": True}))
    public = [
        c.path
        for c in ROUTES.values()
        if c.needs == ANYONE and "/v1/" in c.path and not c.covered_by
    ]
    try:
        with TestClient(create_app(strict)) as client:
            for path in public:
                assert client.get(path).status_code == 401, path
                assert client.get(path, headers=headers["viewer"]).status_code == 200, path
    finally:
        strict.close()


# scopes -------------------------------------------------------------------------------------

PUBLIC_WITHOUT_SCOPE = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/healthz"),
    ("GET", "/"),
}
"""Routes that never look at a token, so no scope applies to them."""


def _scoped(runtime: Runtime, name: str, scopes: list[str], role: str = "admin") -> dict[str, str]:
    spec = validate(TokenSpec, {"name": name, "role": role, "scopes": scopes})
    _, token = create_token(runtime.unit_of_work, spec, "test")
    return {"Authorization": f"Bearer {token}"}


def test_every_route_declares_the_scope_it_needs() -> None:
    undeclared = {
        (method, path)
        for method, path in app_routes()
        if (method, path) not in PUBLIC_WITHOUT_SCOPE and needed_scope(method, path) == NO_SCOPE
    }
    assert undeclared == set(), "name these routes' kind in domain/scopes.WRITE_KINDS"
    assert all(
        needed_scope(m, p) in SCOPES for m, p in ROUTES if (m, p) not in PUBLIC_WITHOUT_SCOPE
    )


def test_the_openapi_document_lists_no_route_without_a_scope(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method in operations:
            key = (method.upper(), path)
            if key not in {(m, p.replace(":path", "")) for m, p in PUBLIC_WITHOUT_SCOPE}:
                assert needed_scope(method, path) in SCOPES, key


_WRITES = [k for k in MATRIX if k[0] != "GET" and needed_scope(*k) != "read"]
_TOKEN_READS = [
    k for k in MATRIX if (k[0] == "GET" or needed_scope(*k) == "read") and ROUTES[k].needs != ANYONE
]
"""Reads that need a token: the GETs, and a POST that writes nothing (the replay)."""


def test_a_read_only_token_reads_and_gets_403_naming_the_scope_on_every_write(
    runtime: Runtime, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    reader = _scoped(runtime, "read-only", ["read"])
    for route in _TOKEN_READS:
        call = ROUTES[route]
        response = client.request(route[0], call.path, json=call.json, headers=reader)
        assert response.status_code == call.ok, route
    for route in _WRITES:
        call = ROUTES[route]
        response = client.request(route[0], call.path, json=call.json, headers=reader)
        assert response.status_code == 403, route
        assert repr(needed_scope(*route)) in response.json()["detail"], route


def test_a_route_only_token_can_route_and_do_nothing_else(
    runtime: Runtime, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    router = _scoped(runtime, "route-only", ["route"])
    for route in _TOKEN_READS + _WRITES:
        call = ROUTES[route]
        response = client.request(route[0], call.path, json=call.json, headers=router)
        if route == ("POST", "/api/v1/route"):
            assert response.status_code == 200, response.text
        else:
            assert response.status_code == 403, route
            assert "'route'" not in response.json()["detail"]


_WITHIN = {("POST", "/api/v1/tokens"): {"name": "new", "role": "admin", "scopes": ["write:token"]}}
"""A scoped token may only create tokens within its own scopes."""


@pytest.mark.parametrize("route", _WRITES, ids=lambda r: f"{r[0]} {r[1]}")
def test_each_write_passes_with_its_own_scope_alone(
    runtime: Runtime,
    client: TestClient,
    headers: dict[str, dict[str, str]],
    route: tuple[str, str],
) -> None:
    call = ROUTES[route]
    own = _scoped(runtime, "own-scope", [needed_scope(*route)])
    body = _WITHIN.get(route, call.json)
    response = client.request(route[0], call.path, json=body, headers=own)
    assert response.status_code == call.ok, response.text


def test_a_scope_never_grants_more_than_the_role(runtime: Runtime, client: TestClient) -> None:
    # A viewer cannot be given write:model; a viewer token scoped to read still cannot
    # write, and an editor token with write:sync is refused at creation too.
    for role, scope in (("viewer", "write:model"), ("editor", "write:sync"), ("ingest", "read")):
        with pytest.raises(InvalidInput) as refused:
            validate(TokenSpec, {"name": "x", "role": role, "scopes": [scope]})
        assert refused.value.errors[0].path == "scopes"
    viewer = _scoped(runtime, "scoped-viewer", ["read", "write:change_request"], role="viewer")
    call = ROUTES[("POST", "/api/v1/change-requests/{request_id}/approve")]
    response = client.post(call.path, json={}, headers=viewer)
    assert response.status_code == 403
    assert "editor role" in response.json()["detail"]


def test_an_expired_token_gets_401_saying_when(runtime: Runtime, client: TestClient) -> None:
    gone = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with runtime.unit_of_work() as uow:
        record = TokenRecord("old-bot", "admin", gone - timedelta(days=30), "test", None, None)
        TokenRepository(uow.connection).add(replace(record, expires_at=gone), hash_token("mp_old"))
        uow.commit()
    for path in (f"/api/v1/models/{M}/history", "/api/v1/tokens"):
        response = client.get(path, headers={"Authorization": "Bearer mp_old"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["expiredAt"] == "2026-01-02T03:04:05Z"
        assert "expired at 2026-01-02T03:04:05Z" in body["detail"]
    listed = client.get("/api/v1/tokens", headers=_scoped(runtime, "lister", ["read"]))
    old = next(t for t in listed.json()["data"] if t["name"] == "old-bot")
    assert (old["state"], old["expired"], old["active"]) == ("expired", True, False)
