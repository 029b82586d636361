"""``modelplane flags``, ``modelplane rollout`` and ``modelplane experiments``.

Each talks to the database directly, or with ``--server`` (``MODELPLANE_SERVER``) and
``--token`` (``MODELPLANE_TOKEN``) to a running server; the JSON is the API's either way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import fail, out, print_json, print_table

flags_app = typer.Typer(no_args_is_help=True, help="Rollout flags (per-user source choice).")
rollout_app = typer.Typer(no_args_is_help=True, help="Evidence for the next rollout step.")
experiments_app = typer.Typer(no_args_is_help=True, help="A/B tests of router configs.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Recorded in history.")]
ExpectedOpt = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        min=0,
        help="Refuse the write unless the flag is still at this version "
        "(default: the version current when the command runs).",
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(flags_app, name="flags")
    app.add_typer(rollout_app, name="rollout")
    app.add_typer(experiments_app, name="experiments")


# flags -------------------------------------------------------------------------------------


@flags_app.command("list")
def flags_list(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Every flag (known ones not set yet at version 0) with the environment override."""
    with backend(server, token) as b:
        rows = b.list_flags()["data"]
    if as_json:
        print_json({"data": rows, "count": len(rows)})
        return
    print_table(
        ["flag", "on", "percentage", "stickiness", "group", "override", "version"],
        [
            (
                r["name"],
                r["enabled"],
                f"{r['percentage']}%",
                r["stickiness"],
                r.get("groupId") or r["name"],
                _override_text(r["override"]),
                r["version"],
            )
            for r in rows
        ],
    )


def _override_text(value: object) -> str:
    return "-" if value is None else ("on" if value else "off")


@flags_app.command("set")
def flags_set(
    name: str,
    on: Annotated[bool | None, typer.Option("--on/--off", help="The kill switch.")] = None,
    percentage: Annotated[int | None, typer.Option(min=0, max=100, help="0-100.")] = None,
    group: Annotated[str | None, typer.Option(help="Group id (default: the flag's name).")] = None,
    stickiness: Annotated[
        str | None, typer.Option(help="userId (then sessionId), sessionId, or a context field.")
    ] = None,
    reason: ReasonOpt = None,
    expected: ExpectedOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a flag (or create one); every change is versioned with its reason."""
    changes: dict[str, Any] = {}
    if on is not None:
        changes["enabled"] = on
    if percentage is not None:
        changes["percentage"] = percentage
    if group is not None:
        changes["groupId"] = group
    if stickiness is not None:
        changes["stickiness"] = stickiness
    with backend(server, token) as b:
        flag = b.set_flag(name, changes, expected, reason)
    _show_flag(flag, as_json)


def _show_flag(flag: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(flag)
    else:
        state = "on" if flag["enabled"] else "off"
        out.print(f"{flag['name']}: {state} at {flag['percentage']}% (version {flag['version']})")


@flags_app.command("history")
def flags_history(
    name: str,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A flag's versions, newest first: who, when, why, and what changed."""
    with backend(server, token) as b:
        page = b.flag_history(name, offset, limit)
    if as_json:
        print_json(page)
        return
    print_table(
        ["version", "change", "at", "author", "reason", "fields"],
        [
            (
                e["version"],
                e["change_type"],
                e["at"],
                e["author"],
                e.get("reason") or "",
                ", ".join(c["field"] for c in e["changes"]),
            )
            for e in page["data"]
        ],
    )


@flags_app.command("rollback")
def flags_rollback(
    name: str,
    version: Annotated[int, typer.Option("--to", min=1, help="The version to restore.")],
    reason: ReasonOpt = None,
    expected: ExpectedOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a flag as it was at a version (recorded as a new version)."""
    with backend(server, token) as b:
        flag = b.rollback_flag(name, version, expected, reason)
    _show_flag(flag, as_json)


@flags_app.command("eval")
def flags_eval(
    name: str,
    user: Annotated[str | None, typer.Option("--user", help="The user id.")] = None,
    session: Annotated[str | None, typer.Option("--session", help="The session id.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Is this user enrolled? Prints the bucket (1-100) and the reason."""
    with backend(server, token) as b:
        result = b.evaluate_flag(name, user, session)
    if as_json:
        print_json(result)
    else:
        verdict = "enrolled" if result["enabled"] else "not enrolled"
        out.print(f"{name}: {verdict} (bucket {result['bucket']}, {result['reason']})")


# rollout report ----------------------------------------------------------------------------


@rollout_app.command("report")
def rollout_report_command(
    hours: Annotated[float | None, typer.Option(help="Only the last N hours.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per source: sampled requests, error rate, latency; mismatches by kind, with examples."""
    with backend(server, token) as b:
        report = b.rollout_report(hours)
    if as_json:
        print_json(report)
        return
    print_table(
        ["flag", "on", "percentage"],
        [(f["name"], f["enabled"], f"{f['percentage']}%") for f in report["flags"]],
    )
    out.print()
    if not report["sources"]:
        out.print(
            "no sampled requests yet: parity mode is off until a share is set, e.g. "
            "`modelplane flags set parity_shadow --on --percentage 5`"
        )
        return
    print_table(
        ["source", "requests", "errors", "error rate", "p50 µs", "p99 µs"],
        [
            (
                source,
                s["requests"],
                s["errors"],
                f"{s['errorRate']:.2%}",
                s["latencyUs"]["p50"],
                s["latencyUs"]["p99"],
            )
            for source, s in sorted(report["sources"].items())
        ],
    )
    out.print()
    if not report["mismatches"]:
        out.print("no mismatches")
    for kind, entry in report["mismatches"].items():
        out.print(f"{kind}: {entry['count']}")
        for example in entry["examples"]:
            out.print(f"    {example['modelId']}  {json.dumps(example['details'])}")


# experiments -------------------------------------------------------------------------------


@experiments_app.command("create")
def experiments_create(
    file: Annotated[Path, typer.Argument(help="JSON: {name, description?, variants: [...]}.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start an experiment from a JSON file (variants: name, weight, config)."""
    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{file}: {exc}")
    with backend(server, token) as b:
        experiment = b.create_experiment(data)
    if as_json:
        print_json(experiment)
    else:
        weights = _weights(experiment)
        out.print(f"experiment {experiment['name']} running: {weights}")


def _weights(experiment: dict[str, Any]) -> str:
    return ", ".join(f"{v['name']} {v['weight']}%" for v in experiment["variants"])


@experiments_app.command("list")
def experiments_list(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Every experiment, running and ended."""
    with backend(server, token) as b:
        listed = b.list_experiments()
    if as_json:
        print_json(listed)
        return
    print_table(
        ["experiment", "status", "variants", "outcome"],
        [(e["name"], e["status"], _weights(e), e.get("outcome")) for e in listed["data"]],
    )


@experiments_app.command("show")
def experiments_show(
    name: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """One experiment: its status, variants and outcome."""
    with backend(server, token) as b:
        experiment = b.get_experiment(name)
    if as_json:
        print_json(experiment)
        return
    out.print(f"{experiment['name']}: {experiment['status']} ({_weights(experiment)})")
    if experiment.get("outcome"):
        out.print(f"outcome: {experiment['outcome']}")


@experiments_app.command("report")
def experiments_report(
    name: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Per variant: decisions, tier mix, exploration rate, mean estimated cost per 1K tokens."""
    with backend(server, token) as b:
        report = b.experiment_report(name)
    if as_json:
        print_json(report)
        return
    print_table(
        ["variant", "weight", "decisions", "cheap", "mid", "premium", "exploration", "$/1K tokens"],
        [
            (
                v["variant"],
                f"{v['weight']}%",
                v["decisions"],
                *(f"{v['tierMix'][t]:.1%}" for t in ("cheap", "mid", "premium")),
                f"{v['explorationRate']:.1%}",
                v["meanCostPer1kTokens"],
            )
            for v in report["variants"]
        ],
    )


@experiments_app.command("end")
def experiments_end(
    name: str,
    promote: Annotated[str | None, typer.Option(help="Make this variant the live config.")] = None,
    discard: Annotated[bool, typer.Option("--discard", help="End without promoting.")] = False,
    reason: ReasonOpt = None,
    expected: Annotated[
        int | None,
        typer.Option(
            "--expected-version",
            min=1,
            help="Promote only if the live router config is still at this version.",
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """End an experiment: promote one variant (a new config version) or discard them all."""
    if (promote is None) == (not discard):
        fail("say either --promote VARIANT or --discard")
    with backend(server, token) as b:
        ended = b.end_experiment(name, promote, expected, reason)
    config = ended.get("routerConfig")
    if as_json:
        print_json(ended)
    elif config is not None:
        out.print(f"promoted {promote}: router config is now version {config['version']}")
    else:
        out.print(f"experiment {name} discarded")
