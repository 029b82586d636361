"""``modelplane flags``, ``modelplane rollout`` and ``modelplane experiments``.

Each talks to the database directly, or with ``--server`` (``MODELPLANE_SERVER``) and
``--token`` (``MODELPLANE_TOKEN``) to a running server; the JSON is the API's either way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import fail, out, print_json, print_table, read_text

flags_app = typer.Typer(no_args_is_help=True, help="Rollout flags (per-user source choice).")
rollout_app = typer.Typer(no_args_is_help=True, help="Evidence for the next rollout step.")
experiments_app = typer.Typer(no_args_is_help=True, help="A/B tests of router configs.")
guard_app = typer.Typer(no_args_is_help=True, help="Guardrails: rollbacks and schedules.")

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
    app.command("feedback")(feedback_command)
    app.add_typer(guard_app, name="guard")


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
        data = json.loads(read_text(file))
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
    """Per variant: decisions and tier mix; requests, cost per request, latency, error,
    fallback and feedback with always-valid intervals; a verdict per metric and the
    sample-ratio check."""
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
    out.print()
    metrics = ("cost_per_request", "latency_p95", "error_rate", "fallback_rate", "feedback")
    print_table(
        ["variant", "requests", *metrics],
        [
            (name, arm["requests"], *(_figure(arm[m]) for m in metrics))
            for name, arm in report["arms"].items()
        ],
    )
    out.print()
    out.print(report["summary"])
    verdicts = ", ".join(f"{m}: {w or '-'}" for m, w in report["verdicts"].items())
    out.print(f"verdicts: {verdicts}")
    srm = report["srm"]
    if srm["warning"]:
        out.print(f"warning: {srm['warning']}")
    out.print(f"orphaned feedback: {report['orphanedFeedback']}; method: {report['method']}")


def _figure(figure: dict[str, Any]) -> str:
    value, interval = figure["value"], figure["interval"]
    if value is None:
        return "-"
    if interval is None:
        return f"{value:.4g}"
    return f"{value:.4g} [{interval[0]:.3g}, {interval[1]:.3g}]"


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


# feedback ----------------------------------------------------------------------------------


def feedback_command(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one feedback event a line.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import feedback on routing decisions ({decisionId, signal, value, eventId?,
    comment?} a line), all or nothing; resent event ids are skipped."""
    try:
        lines = read_text(file).splitlines()
        events = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        fail(f"{file}: {exc}")
    with backend(server, token) as b:
        result = b.record_feedback(events)
    if as_json:
        print_json(result)
    else:
        out.print(
            f"{result['accepted']} recorded, {result['duplicates']} already held, "
            f"{result['orphaned']} for decisions not in the log"
        )


# guardrails, schedules, the guard --------------------------------------------------------------


def _read_json(file: Path) -> Any:
    try:
        return json.loads(read_text(file))
    except (OSError, ValueError) as exc:
        fail(f"{file}: {exc}")


@flags_app.command("guardrails")
def flags_guardrails(
    name: str,
    file: Annotated[
        Path | None,
        typer.Argument(help="JSON list: [{metric, comparison, threshold?, minSample}]."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the guardrails.")] = False,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a flag's guardrails (versioned); a breach makes the guard roll it back."""
    if (file is None) == (not clear):
        fail("give a guardrails file or --clear")
    data = None if clear or file is None else _read_json(file)
    with backend(server, token) as b:
        flag = b.set_flag_guardrails(name, data, reason)
    if as_json:
        print_json(flag)
    else:
        count = len(flag.get("guardrails") or [])
        out.print(f"{flag['name']}: {count} guardrails (version {flag['version']})")


@flags_app.command("schedule")
def flags_schedule(
    name: str,
    steps: Annotated[str | None, typer.Option(help="Percentages, e.g. 1,10,50,100.")] = None,
    dwell: Annotated[int, typer.Option(help="Seconds at each step at least.")] = 3600,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the schedule.")] = False,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a flag a progressive schedule the guard walks while its guardrails hold."""
    if (steps is None) == (not clear):
        fail("give --steps or --clear")
    percentages = None
    if steps is not None:
        try:
            percentages = [int(s) for s in steps.split(",")]
        except ValueError:
            fail(f"--steps: expected whole percentages separated by commas, got {steps!r}")
    with backend(server, token) as b:
        flag = b.set_flag_schedule(name, percentages, dwell, reason)
    if as_json:
        print_json(flag)
    else:
        out.print(f"{flag['name']}: at {flag['percentage']}%, schedule {steps or 'removed'}")


def _pause(
    name: str, paused: bool, reason: str | None, server: str | None, token: str | None
) -> None:
    with backend(server, token) as b:
        flag = b.pause_schedule(name, paused, reason)
    state = "paused" if paused else "running"
    out.print(f"{flag['name']}: schedule {state} at {flag['percentage']}%")


@flags_app.command("pause")
def flags_pause(
    name: str, reason: ReasonOpt = None, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Stop a flag's schedule where it is."""
    _pause(name, True, reason, server, token)


@flags_app.command("resume")
def flags_resume(
    name: str, reason: ReasonOpt = None, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Let a flag's schedule advance again."""
    _pause(name, False, reason, server, token)


@flags_app.command("guard")
def flags_guard_status(
    name: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """How each of a flag's guardrails stands now (enrolled against the rest)."""
    with backend(server, token) as b:
        status = b.flag_guard(name)
    if as_json:
        print_json(status)
        return
    for c in status["checks"]:
        out.print(c["evidence"])
    if not status["checks"]:
        out.print(f"{name}: no guardrails")


@experiments_app.command("guardrails")
def experiments_guardrails(
    name: str,
    file: Annotated[Path, typer.Argument(help="JSON list of guardrails.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a running experiment's guardrails; a breach ends it with discard."""
    data = _read_json(file)
    with backend(server, token) as b:
        experiment = b.set_experiment_guardrails(name, data)
    if as_json:
        print_json(experiment)
    else:
        out.print(f"{experiment['name']}: {len(experiment.get('guardrails') or [])} guardrails")


@guard_app.command("run")
def guard_run(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Check every guarded flag and experiment once (for cron): roll back, advance, discard."""
    with backend(server, token) as b:
        result = b.run_guard()
    if as_json:
        print_json(result)
        return
    for action in result["actions"]:
        out.print(f"{action['kind']} {action['name']}: {action['action']}: {action['reason']}")
    if not result["actions"]:
        out.print("nothing to do: every guardrail holds or waits for its sample")


@guard_app.command("events")
def guard_events_command(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """What the guard did, newest first."""
    with backend(server, token) as b:
        events = b.guard_events()["data"]
    if as_json:
        print_json({"data": events, "count": len(events)})
        return
    print_table(
        ["at", "kind", "name", "action"],
        [(e["at"], e["kind"], e["name"], e["action"]) for e in events],
    )
