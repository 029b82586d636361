"""``modelplane stats …`` (usage and router analytics) and ``modelplane usage …`` (retention
and the rollup job). The same service functions answer the API and the console."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from modelplane.cli.app import runtime
from modelplane.cli.output import JsonOpt, fail, friendly_errors, out, print_json, print_table
from modelplane.domain.usage import UsageFilter, Window

if TYPE_CHECKING:
    from modelplane.services.usage import UnitOfWorkFactory

stats_app = typer.Typer(no_args_is_help=True, help="Usage and router analytics.")
usage_app = typer.Typer(no_args_is_help=True, help="Usage data: retention and rollups.")
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    app.add_typer(stats_app, name="stats")
    app.add_typer(usage_app, name="usage")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")
    raise AssertionError("unreachable")


SinceOpt = Annotated[str | None, typer.Option("--since", help="First day, YYYY-MM-DD (UTC).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Last day, YYYY-MM-DD (UTC).")]
DaysOpt = Annotated[int | None, typer.Option("--days", help="Number of days (default 30).")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Only this model.")]
ProviderOpt = Annotated[str | None, typer.Option("--provider", help="Only this provider.")]
FeatureOpt = Annotated[str | None, typer.Option("--feature", help="Only this feature.")]


def _window(since: str | None, until: str | None, days: int | None) -> Window:
    from modelplane.domain.clock import utcnow

    with friendly_errors():
        return Window.resolve(utcnow().date(), _day(since, "--since"), _day(until, "--until"), days)
    raise AssertionError("unreachable")


def _ask(work: Callable[[UnitOfWorkFactory], T]) -> T:
    """``work``'s answer, given the way to open a transaction; a domain error (the database
    unreachable, say) becomes one line on stderr."""
    with friendly_errors():
        return work(runtime().unit_of_work)
    raise AssertionError("unreachable")


def _cost(value: object) -> str:
    return f"${value}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _emit(as_json: bool, payload: dict[str, Any], headers: list[str], rows: list[Any]) -> None:
    if as_json:
        print_json(payload)
    elif rows:
        print_table(headers, rows)
    else:
        out.print("no usage in this window")


# stats ---------------------------------------------------------------------------------------


@stats_app.command("top")
def stats_top(
    by: Annotated[str, typer.Option("--by", help="requests, tokens or cost.")] = "requests",
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 10,
    since: SinceOpt = None,
    until: UntilOpt = None,
    days: DaysOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    feature: FeatureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The most used models by requests, tokens or cost."""
    from modelplane.services import analytics as svc

    window, filters = _window(since, until, days), UsageFilter(model, provider, feature)
    if by not in svc.TOP_BY:
        fail(f"--by: {by!r} is not one of {', '.join(svc.TOP_BY)}")
    rows = _ask(lambda u: svc.top_models(u, window, filters, by, limit))
    payload = {"window": window.to_json(), "by": by, "data": [r.to_json("model") for r in rows]}
    table = [
        (r.key, r.provider, r.totals.requests, r.totals.tokens, _cost(r.totals.cost)) for r in rows
    ]
    _emit(as_json, payload, ["model", "provider", "requests", "tokens", "cost"], table)


@stats_app.command("daily")
def stats_daily(
    since: SinceOpt = None,
    until: UntilOpt = None,
    days: DaysOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    feature: FeatureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Requests, tokens, errors and cost per day."""
    from modelplane.services import analytics as svc

    window, filters = _window(since, until, days), UsageFilter(model, provider, feature)
    rows = _ask(lambda u: svc.daily(u, window, filters))
    payload = {"window": window.to_json(), "data": [r.to_json("day") for r in rows]}
    table = [
        (r.key, r.totals.requests, r.totals.errors, r.totals.tokens, _cost(r.totals.cost))
        for r in rows
    ]
    _emit(as_json, payload, ["day", "requests", "errors", "tokens", "cost"], table)


@stats_app.command("breakdown")
def stats_breakdown(
    by: Annotated[str, typer.Option("--by", help="feature or provider.")] = "feature",
    since: SinceOpt = None,
    until: UntilOpt = None,
    days: DaysOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    feature: FeatureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Usage per feature or per provider."""
    from modelplane.services import analytics as svc

    window, filters = _window(since, until, days), UsageFilter(model, provider, feature)
    if by not in svc.BREAKDOWN_BY:
        fail(f"--by: {by!r} is not one of {', '.join(svc.BREAKDOWN_BY)}")
    rows = _ask(lambda u: svc.breakdown(u, window, filters, by))
    payload = {"window": window.to_json(), "by": by, "data": [r.to_json(by) for r in rows]}
    table = [
        (r.key, r.totals.requests, _pct(r.totals.error_rate), r.totals.tokens, _cost(r.totals.cost))
        for r in rows
    ]
    _emit(as_json, payload, [by, "requests", "errors", "tokens", "cost"], table)


@stats_app.command("latency")
def stats_latency(
    since: SinceOpt = None,
    until: UntilOpt = None,
    days: DaysOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    feature: FeatureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Error rate and latency percentiles (ms, bucket upper bounds) per model."""
    from modelplane.services import analytics as svc

    window, filters = _window(since, until, days), UsageFilter(model, provider, feature)
    rows = _ask(lambda u: svc.latency(u, window, filters))
    payload = {"window": window.to_json(), "data": [r.to_json() for r in rows]}
    table = [
        (
            r.model_id,
            r.requests,
            _pct(r.error_rate),
            "—" if r.mean_ms is None else f"{r.mean_ms:.0f}",
            *(r.percentiles.values()),
        )
        for r in rows
    ]
    headers = ["model", "requests", "errors", "mean", "p50", "p90", "p95", "p99"]
    _emit(as_json, payload, headers, table)


@stats_app.command("router")
def stats_router(
    since: SinceOpt = None,
    until: UntilOpt = None,
    days: DaysOpt = None,
    model: ModelOpt = None,
    provider: ProviderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The router's decisions: categories, complexity, tier mix against its weights."""
    from modelplane.services import analytics as svc

    window, filters = _window(since, until, days), UsageFilter(model, provider)
    with friendly_errors():
        reader = runtime().reader
    stats = _ask(lambda u: svc.router_stats(u, reader, window, filters))
    if as_json:
        print_json({"window": window.to_json(), **stats.to_json()})
        return
    out.print(
        f"{stats.decisions} decisions · exploration {_pct(stats.exploration_rate)} · "
        f"sticky {_pct(stats.sticky_rate)} · fallback {stats.fallback} · errors {stats.errors}"
    )
    if not stats.decisions:
        return
    out.print()
    print_table(
        ["category", "complexity", "decisions"],
        [(c, x, n) for (c, x), n in sorted(stats.by_category_complexity.items())],
    )
    out.print()
    print_table(
        ["complexity", "tier", "decisions", "share", "configured"],
        [
            (s.complexity, s.tier or "none", s.decisions, _pct(s.share), _pct(s.configured))
            for s in stats.tier_mix
        ],
    )


# usage ---------------------------------------------------------------------------------------


@usage_app.command("prune")
def usage_prune(
    older_than_days: Annotated[
        int | None,
        typer.Option("--older-than-days", min=1, help="Default: MODELPLANE_USAGE_RETENTION_DAYS."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
) -> None:
    """Delete raw usage events past retention. The daily rollups, and every analytics
    answer built on them, stay."""
    from modelplane.services import usage as svc

    days = older_than_days or runtime().settings.usage_retention_days
    cutoff = svc.retention_cutoff(days)
    if dry_run:
        count = _ask(lambda u: svc.count_older(u, cutoff))
        out.print(f"would delete {count} usage events before {_iso(cutoff)}")
        return
    count = _ask(lambda u: svc.prune_usage(u, cutoff))
    out.print(f"deleted {count} usage events before {_iso(cutoff)}")


@usage_app.command("rollup")
def usage_rollup() -> None:
    """Roll up the routing decisions of every closed day not yet rolled up (for cron)."""
    from modelplane.services import usage as svc

    days = _ask(svc.rollup_routing)
    if days:
        out.print(f"rolled up {len(days)} day(s): {days[0]} … {days[-1]}")
    else:
        out.print("nothing to roll up")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
