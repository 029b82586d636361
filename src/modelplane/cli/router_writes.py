"""``modelplane router set`` and ``modelplane router profile``: change the router's dials
and a model's profile, directly or against a server (``--server``), as the API does."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelplane.cli.manage import ReasonOpt, ServerOpt, TokenOpt, assign, backend
from modelplane.cli.output import JsonOpt, fail, out, print_json
from modelplane.cli.reads import router_app

ExpectedOpt = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        min=0,
        help="Refuse the write unless the document is still at this version "
        "(default: the version current when the command runs).",
    ),
]
_QUALITY = ("quality", "qualityScore")


def set_config(
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="PATH=VALUE, e.g. costTiers.cheapThreshold=1 (VALUE as JSON if it is)."
        ),
    ],
    reason: ReasonOpt = None,
    expected: ExpectedOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change some router dials: objects merge, lists replace; the result is validated whole."""
    patch: dict[str, Any] = {}
    for assignment in assignments:
        assign(patch, assignment)
    with backend(server, token) as b:
        config = b.update_router_config(patch, expected, reason)
    if as_json:
        print_json(config)
    else:
        out.print(f"router config now at version {config['version']}")


def set_profile(
    model_id: str,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="CATEGORY=SCORE (0-100), or quality=SCORE."),
    ] = None,
    reason: ReasonOpt = None,
    expected: ExpectedOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change some of a model's scores; the others keep their values."""
    patch: dict[str, Any] = {}
    for assignment in set_ or []:
        key, sep, raw = assignment.partition("=")
        if not sep or not key:
            fail(f"--set {assignment!r}: expected CATEGORY=SCORE")
        value: Any = int(raw) if raw.strip().lstrip("-").isdigit() else raw
        if key in _QUALITY:
            patch["qualityScore"] = value
        else:
            patch.setdefault("categoryScores", {})[key] = value
    if not patch:
        fail("nothing to change: give --set CATEGORY=SCORE")
    with backend(server, token) as b:
        profile = b.update_profile(model_id, patch, expected, reason)
    if as_json:
        print_json(profile)
    else:
        out.print(f"profile of {model_id} now at version {profile['version']}")


VersionOpt = Annotated[int, typer.Option("--to", min=1, help="The version to restore.")]


def rollback_config(
    version: VersionOpt,
    reason: ReasonOpt = None,
    expected: ExpectedOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore the router config as it was at a version (recorded as a new version)."""
    with backend(server, token) as b:
        config = b.rollback_router_config(version, expected, reason)
    if as_json:
        print_json(config)
    else:
        out.print(f"router config now at version {config['version']}")


def rollback_profile(
    model_id: str,
    version: VersionOpt,
    reason: ReasonOpt = None,
    expected: ExpectedOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a model's profile as it was at a version (recorded as a new version)."""
    with backend(server, token) as b:
        profile = b.rollback_profile(model_id, version, expected, reason)
    if as_json:
        print_json(profile)
    else:
        out.print(f"profile of {model_id} now at version {profile['version']}")


def register(app: typer.Typer) -> None:
    """Add the write commands to the ``router`` group (``cli/reads.py`` adds the group)."""
    router_app.command("set")(set_config)
    router_app.command("profile")(set_profile)
    router_app.command("rollback")(rollback_config)
    router_app.command("profile-rollback")(rollback_profile)
