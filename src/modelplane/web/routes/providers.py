"""The read-only provider page: its models and their usage over a window."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import nearest
from modelplane.domain.reader import ModelFilter
from modelplane.domain.usage import MAX_WINDOW_DAYS, UsageFilter, Window
from modelplane.services import analytics
from modelplane.web.console import SignedIn

router = APIRouter(prefix="/admin/providers")


@router.get("/{provider_id}", response_class=HTMLResponse)
def provider_page(
    console: SignedIn,
    provider_id: str,
    days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = 30,
) -> Response:
    reader = console.runtime.reader
    providers = {p.id: p for p in reader.providers()}
    provider = providers.get(provider_id)
    if provider is None:
        return console.page(
            "missing.html",
            status=404,
            what=f"provider {provider_id}",
            hint=nearest(provider_id, list(providers)),
        )
    models = sorted(reader.models(ModelFilter(provider=provider_id)), key=lambda m: m.id)
    window = Window.resolve(utcnow().date(), None, None, days)
    filters = UsageFilter(provider=provider_id)
    uows = console.runtime.unit_of_work
    usage = {g.key: g.totals for g in analytics.top_models(uows, window, filters, "requests", 500)}
    return console.page(
        "provider.html",
        provider=provider,
        models=models,
        window=window,
        days=days,
        total=analytics.totals(uows, window, filters),
        usage=usage,
    )
