"""Usage and router analytics under /api/v1/analytics (viewer or stronger).

Every endpoint takes a window of whole UTC days (``days``, default 30, ending ``until``,
default today; or ``since`` and ``until``) and optional ``model``, ``provider`` and
``feature`` filters. Costs are exact decimal strings (USD).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from modelplane.api.deps import RuntimeDep, Viewer
from modelplane.domain.clock import utcnow
from modelplane.domain.usage import MAX_WINDOW_DAYS, UsageFilter, Window
from modelplane.services import analytics as svc

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


def _window(
    since: Annotated[date | None, Query(description="First day (UTC), included.")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC), included.")] = None,
    days: Annotated[
        int | None,
        Query(
            description="Number of days; default 30.",
            # documents the domain's bound (domain/usage.Window), which is checked there
            json_schema_extra={"minimum": 1, "maximum": MAX_WINDOW_DAYS},
        ),
    ] = None,
) -> Window:
    return Window.resolve(utcnow().date(), since, until, days)


def _filters(
    model: str | None = None, provider: str | None = None, feature: str | None = None
) -> UsageFilter:
    return UsageFilter(model, provider, feature)


WindowDep = Annotated[Window, Depends(_window)]
FilterDep = Annotated[UsageFilter, Depends(_filters)]


def _envelope(window: Window, filters: UsageFilter, **body: Any) -> dict[str, Any]:
    return {"window": window.to_json(), "filters": filters.to_json(), **body}


@router.get("/summary", summary="Totals over the window")
def summary(runtime: RuntimeDep, _: Viewer, window: WindowDep, filters: FilterDep) -> Any:
    totals = svc.totals(runtime.unit_of_work, window, filters)
    return _envelope(window, filters, totals=totals.to_json())


@router.get("/top-models", summary="The most used models by requests, tokens or cost")
def top_models(
    runtime: RuntimeDep,
    _: Viewer,
    window: WindowDep,
    filters: FilterDep,
    by: svc.TopBy = "requests",
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> Any:
    rows = svc.top_models(runtime.unit_of_work, window, filters, by, limit)
    data = [r.to_json("model") for r in rows]
    return _envelope(window, filters, by=by, data=data, count=len(data))


@router.get("/daily", summary="Usage and cost per day")
def daily(runtime: RuntimeDep, _: Viewer, window: WindowDep, filters: FilterDep) -> Any:
    rows = svc.daily(runtime.unit_of_work, window, filters)
    data = [r.to_json("day") for r in rows]
    return _envelope(window, filters, data=data, count=len(data))


@router.get("/breakdown", summary="Usage per feature or per provider")
def breakdown(
    runtime: RuntimeDep,
    _: Viewer,
    window: WindowDep,
    filters: FilterDep,
    by: svc.BreakdownBy = "feature",
) -> Any:
    rows = svc.breakdown(runtime.unit_of_work, window, filters, by)
    data = [r.to_json(by) for r in rows]
    return _envelope(window, filters, by=by, data=data, count=len(data))


@router.get(
    "/latency",
    summary="Error rate and latency percentiles per model",
    description="Percentiles are the upper bound of the histogram bucket they fall in: never "
    "below the true value and at most about 26% above it.",
)
def latency(runtime: RuntimeDep, _: Viewer, window: WindowDep, filters: FilterDep) -> Any:
    rows = svc.latency(runtime.unit_of_work, window, filters)
    data = [r.to_json() for r in rows]
    return _envelope(window, filters, data=data, count=len(data))


@router.get(
    "/router",
    summary="The router's decisions: categories, complexity, tier mix, exploration",
    description="From the decision log. `model` and `provider` select by the chosen model; "
    "decisions carry no feature, so `feature` does not apply.",
)
def router_stats(runtime: RuntimeDep, _: Viewer, window: WindowDep, filters: FilterDep) -> Any:
    stats = svc.router_stats(runtime.unit_of_work, runtime.reader, window, filters)
    return _envelope(window, filters, **stats.to_json())
