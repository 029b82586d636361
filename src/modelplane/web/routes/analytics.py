"""The analytics page: usage and router numbers over a window, each table with its chart
beside it and a CSV download (``?table=<id>&format=csv``). Any signed-in user may read it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import InvalidInput
from modelplane.domain.usage import PERCENTILES, UsageFilter, Window
from modelplane.services import analytics as svc
from modelplane.web.charts import bar_chart, line_chart, lines_chart, plain
from modelplane.web.console import Console, SignedIn

router = APIRouter(prefix="/admin/analytics")

Kind = Literal["text", "int", "usd", "pct", "ms"]
Format = Literal["csv", "html"]


@dataclass
class DataTable:
    """One table of the page: what the chart draws, the page shows and the CSV holds."""

    id: str
    title: str
    columns: list[tuple[str, Kind]]
    rows: list[list[Any]]
    chart: Markup | None = None
    note: str | None = None

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([name for name, _ in self.columns])
        writer.writerows([["" if v is None else str(v) for v in row] for row in self.rows])
        return buffer.getvalue()


@dataclass
class AnalyticsQuery:
    window: Window
    filters: UsageFilter
    raw: dict[str, str] = field(default_factory=dict)

    def link(self, **extra: str) -> str:
        return "/admin/analytics?" + urlencode({**self.raw, **extra})


@router.get("", response_class=HTMLResponse)
def analytics_page(
    console: SignedIn,
    since: str | None = None,
    until: str | None = None,
    days: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    feature: str | None = None,
    table: str | None = None,
    format: Format | None = None,
) -> Response:
    raw = {
        k: v.strip()
        for k, v in {
            "since": since,
            "until": until,
            "days": days,
            "model": model,
            "provider": provider,
            "feature": feature,
        }.items()
        if v and v.strip()
    }
    try:
        query = _query(raw)
    except InvalidInput as exc:
        return console.page("analytics.html", status=422, query=None, raw=raw, error=str(exc))
    tables, stats = _tables(console, query)
    if format == "csv":
        return _csv(tables, table, query)
    return console.page(
        "analytics.html", query=query, raw=raw, error=None, tables=tables, router=stats
    )


def _query(raw: dict[str, str]) -> AnalyticsQuery:
    from modelplane.domain.errors import FieldError

    def day(name: str) -> date | None:
        if name not in raw:
            return None
        try:
            return date.fromisoformat(raw[name])
        except ValueError:
            raise InvalidInput([FieldError(name, "expected a date, YYYY-MM-DD")]) from None

    days = raw.get("days")
    if days is not None and not days.isdigit():
        raise InvalidInput([FieldError("days", "expected a whole number")])
    window = Window.resolve(
        utcnow().date(), day("since"), day("until"), int(days) if days else None
    )
    filters = UsageFilter(raw.get("model"), raw.get("provider"), raw.get("feature"))
    return AnalyticsQuery(window, filters, raw)


def _csv(tables: dict[str, DataTable], name: str | None, query: AnalyticsQuery) -> Response:
    chosen = tables.get(name or "")
    if chosen is None:
        known = ", ".join(tables)
        return Response(
            f"unknown table; one of: {known}\n", status_code=404, media_type="text/plain"
        )
    filename = f"{chosen.id}-{query.window.since}-{query.window.until}.csv"
    return Response(
        chosen.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _tables(
    console: Console, query: AnalyticsQuery
) -> tuple[dict[str, DataTable], svc.RouterStats]:
    runtime = console.runtime
    found = svc.dashboard(runtime.unit_of_work, runtime.reader, query.window, query.filters)
    built = [
        _daily(found.daily),
        _top(found.top_models),
        _breakdown("features", "By feature", found.features),
        _breakdown("providers", "By provider", found.providers),
        _latency(found.latency, found.latency_by_day),
        *_router(found.router),
    ]
    return {t.id: t for t in built}, found.router


def _usd(value: Decimal) -> float:
    return float(value)


def _money(value: float) -> str:
    return f"${value:,.4g}" if value else "$0"


def _totals_row(key: str, totals: svc.Totals) -> list[Any]:
    return [key, totals.requests, totals.errors, totals.tokens, totals.cost]


_TOTAL_COLUMNS: list[tuple[str, Kind]] = [
    ("requests", "int"),
    ("errors", "int"),
    ("tokens", "int"),
    ("cost_usd", "usd"),
]


def _daily(groups: Sequence[svc.Group]) -> DataTable:
    labels = [g.key for g in groups]
    chart = line_chart(labels, [_usd(g.totals.cost) for g in groups], "Cost per day", _money)
    return DataTable(
        "daily",
        "Daily usage and cost",
        [("day", "text"), *_TOTAL_COLUMNS],
        [_totals_row(g.key, g.totals) for g in groups],
        chart,
    )


def _top(groups: Sequence[svc.Group]) -> DataTable:
    chart = bar_chart(
        [g.key.split(":")[-1] for g in groups],
        [g.totals.requests for g in groups],
        "Requests by model",
    )
    return DataTable(
        "top-models",
        "Top models",
        [("model", "text"), ("provider", "text"), *_TOTAL_COLUMNS],
        [[g.key, g.provider, *_totals_row(g.key, g.totals)[1:]] for g in groups],
        chart,
    )


def _breakdown(table_id: str, title: str, groups: Sequence[svc.Group]) -> DataTable:
    key = "feature" if table_id == "features" else "provider"
    chart = bar_chart(
        [g.key for g in groups],
        [_usd(g.totals.cost) for g in groups],
        f"Cost {title.lower()}",
        _money,
    )
    return DataTable(
        table_id,
        title,
        [(key, "text"), *_TOTAL_COLUMNS],
        [_totals_row(g.key, g.totals) for g in groups],
        chart,
    )


def _latency(models: Sequence[svc.ModelLatency], days: Sequence[svc.DayLatency]) -> DataTable:
    chart = lines_chart(
        [d.day.isoformat() for d in days],
        [(f"p{p}", [_ms(d.percentiles[p]) for d in days]) for p in svc.LINE_PERCENTILES],
        "Latency percentiles per day, every model in the filter",
        x_title="Day (UTC)",
        y_title="Latency (ms)",
    )
    return DataTable(
        "latency",
        "Errors and latency by model",
        [
            ("model", "text"),
            ("requests", "int"),
            ("error_rate", "pct"),
            ("mean_ms", "ms"),
            *[(f"p{p}_ms", "ms") for p in PERCENTILES],
        ],
        [
            [m.model_id, m.requests, m.error_rate, m.mean_ms, *m.percentiles.values()]
            for m in models
        ],
        chart,
        note="Percentiles are histogram bucket upper bounds: at most about 26% above the "
        "true value.",
    )


def _ms(value: int | None) -> float | None:
    return float(value) if value is not None else None


def _router(stats: svc.RouterStats) -> list[DataTable]:
    categories = sorted(stats.by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    by_category = DataTable(
        "router-categories",
        "Routing decisions by category and complexity",
        [("category", "text"), ("complexity", "text"), ("decisions", "int")],
        [[c, x, n] for (c, x), n in sorted(stats.by_category_complexity.items())],
        bar_chart([c for c, _ in categories], [n for _, n in categories], "Decisions by category"),
    )
    tier_mix = DataTable(
        "tier-mix",
        "Tier mix against the configured weights",
        [
            ("complexity", "text"),
            ("tier", "text"),
            ("decisions", "int"),
            ("share", "pct"),
            ("configured_weight", "pct"),
        ],
        [
            [s.complexity, s.tier or "none", s.decisions, s.share, s.configured]
            for s in stats.tier_mix
        ],
        bar_chart(
            [f"{s.complexity[:3]}/{s.tier or 'none'}" for s in stats.tier_mix],
            [(s.share or 0) * 100 for s in stats.tier_mix],
            "Share of decisions by complexity/tier (%)",
            lambda v: f"{plain(v)}%",
        ),
    )
    return [by_category, tier_mix]


__all__ = ["router"]
