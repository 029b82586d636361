"""One core, three faces: every CLI command that changes something can also talk to a
server, and every write the API offers has a CLI command that sends it.

Both lists are explicit, so a new command or route fails here until it is placed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer.main

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.cli import app

LOCAL_ONLY: dict[str, str] = {
    # Commands with no server mode, and why: they read, or they run on the database host.
    "db upgrade": "schema migration, on the database itself",
    "db downgrade": "schema migration, on the database itself",
    "db current": "reads the schema version",
    "seed": "fills an empty database (first install)",
    "serve": "is the server",
    "watch": "listens to a database's change stream",
    "route": "routes a prompt in this process (no write)",
    "classify": "classifies a prompt in this process (no write)",
    "models list": "a read",
    "models show": "a read",
    "models search": "a read",
    "router config": "a read",
    "router curve": "a read",
    "router profiles": "a read",
    "stats top": "a read",
    "stats daily": "a read",
    "stats breakdown": "a read",
    "stats latency": "a read",
    "stats router": "a read",
    "usage prune": "retention job, on the database host",
    "usage rollup": "rollup job, on the database host",
}

API_WRITES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/models"): "models create",
    ("PATCH", "/api/v1/models/{model_id}"): "models update",
    ("POST", "/api/v1/models/{model_id}/deprecate"): "models deprecate",
    ("POST", "/api/v1/models/{model_id}/reactivate"): "models reactivate",
    ("POST", "/api/v1/models/{model_id}/duplicate"): "models duplicate",
    ("POST", "/api/v1/models/{model_id}/retire"): "models retire",
    ("POST", "/api/v1/models/bulk-status"): "models bulk-status",
    ("POST", "/api/v1/models/{model_id}/rollback"): "models rollback",
    ("POST", "/api/v1/providers"): "providers create",
    ("PATCH", "/api/v1/router/config"): "router set",
    ("POST", "/api/v1/router/config/rollback"): "router rollback",
    ("PUT", "/api/v1/router/profiles/{model_id}"): "router profile",
    ("POST", "/api/v1/router/profiles/{model_id}/rollback"): "router profile-rollback",
    ("POST", "/api/v1/import"): "import",
    ("POST", "/api/v1/route"): "route",
    ("POST", "/api/v1/router/replay"): "router replay",
    ("POST", "/api/v1/usage"): "usage record",
    ("POST", "/api/v1/tokens"): "tokens create",
    ("DELETE", "/api/v1/tokens/{name}"): "tokens revoke",
    ("PATCH", "/api/v1/flags/{name}"): "flags set",
    ("POST", "/api/v1/flags/{name}/rollback"): "flags rollback",
    ("POST", "/api/v1/experiments"): "experiments create",
    ("POST", "/api/v1/experiments/{name}/promote"): "experiments end",
    ("POST", "/api/v1/experiments/{name}/discard"): "experiments end",
    ("POST", "/api/v1/users"): "users create",
    ("PUT", "/api/v1/users/{username}/role"): "users set-role",
    ("POST", "/api/v1/users/{username}/disable"): "users disable",
    ("POST", "/api/v1/users/{username}/enable"): "users enable",
    ("POST", "/api/v1/users/{username}/password"): "users set-password",
    ("POST", "/api/v1/models/{model_id}/prices"): "models update",  # with --effective-from
    ("POST", "/api/v1/models/{model_id}/replace"): "models replace",
    ("POST", "/api/v1/feedback"): "feedback",
    ("PUT", "/api/v1/flags/{name}/guardrails"): "flags guardrails",
    ("PUT", "/api/v1/flags/{name}/schedule"): "flags schedule",
    ("POST", "/api/v1/flags/{name}/schedule/pause"): "flags pause",
    ("POST", "/api/v1/flags/{name}/schedule/resume"): "flags resume",
    ("PUT", "/api/v1/experiments/{name}/guardrails"): "experiments guardrails",
    ("POST", "/api/v1/guard/run"): "guard run",
    ("POST", "/api/v1/webhooks"): "webhooks create",
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): "webhooks update",
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): "webhooks delete",
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/replay"): "webhooks replay",
    ("POST", "/api/v1/sync"): "sync litellm",  # and openrouter, modelsdev (?source=)
    ("PUT", "/api/v1/approval-policies/{kind}"): "changes policy set",
    ("POST", "/api/v1/change-requests"): "changes create",
    ("POST", "/api/v1/change-requests/run-due"): "changes run-due",
    ("POST", "/api/v1/change-requests/{request_id}/comments"): "changes comment",
    ("POST", "/api/v1/change-requests/{request_id}/approve"): "changes approve",
    ("POST", "/api/v1/change-requests/{request_id}/reject"): "changes reject",
    ("POST", "/api/v1/change-requests/{request_id}/withdraw"): "changes withdraw",
    ("POST", "/api/v1/change-requests/{request_id}/rebase"): "changes rebase",
    ("POST", "/api/v1/change-requests/{request_id}/apply"): "changes apply",  # and schedule
}
"""Each API write and the CLI command that sends it (``route`` posts a prompt, no write)."""


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):  # a group (Typer's own click or the real one)
            yield from _commands(command, f"{path} ")
        else:
            yield path, command


def command_tree() -> dict[str, Any]:
    return dict(_commands(typer.main.get_command(app)))


def has_server_mode(command: Any) -> bool:
    options = {opt for p in command.params for opt in getattr(p, "opts", [])}
    return {"--server", "--token"} <= options


def test_every_command_but_the_local_ones_has_a_server_mode() -> None:
    tree = command_tree()
    missing = sorted(
        name for name, cmd in tree.items() if name not in LOCAL_ONLY and not has_server_mode(cmd)
    )
    assert missing == [], "give these --server/--token (cli/backends.py) or say why not"
    assert sorted(set(LOCAL_ONLY) - tree.keys()) == [], "these commands no longer exist"
    assert len(tree) > len(LOCAL_ONLY)


def api_writes() -> set[tuple[str, str]]:
    spec = create_app(Runtime()).openapi()
    return {
        (method.upper(), path.replace(":path", ""))
        for path, item in spec["paths"].items()
        for method in item
        if method in ("post", "put", "patch", "delete")
    }


def test_every_api_write_has_a_cli_command() -> None:
    writes = api_writes()
    assert sorted(writes - API_WRITES.keys()) == [], "add a CLI command for these writes"
    assert sorted(API_WRITES.keys() - writes) == [], "these writes no longer exist"
    tree = command_tree()
    absent = sorted({c for c in API_WRITES.values() if c not in tree})
    assert absent == [], "these CLI commands are named but do not exist"
    local = sorted({c for c in API_WRITES.values() if c in LOCAL_ONLY and c != "route"})
    assert local == [], "a command that sends an API write needs a server mode"
