"""Experiments' reports, flags' guardrails and schedules, and the guard, under /api/v1."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import RuntimeDep, Viewer
from modelplane.services import experiments as svc

router = APIRouter(prefix="/api/v1", tags=["rollout"])


@router.get(
    "/experiments",
    summary="Every experiment",
)
def list_experiments(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    experiments = svc.list_experiments(runtime.unit_of_work)
    return {"data": [e.to_json() for e in experiments], "count": len(experiments)}


@router.get(
    "/experiments/{name}/report",
    summary="An experiment's outcomes per variant, with intervals and verdicts",
    description="Per variant (`arms`): `requests` and, each with `value`, `interval` and "
    "`n`, `cost_per_request` (usage priced at ingestion, joined to the decision by "
    "`decisionId`), `latency_p50`, `latency_p95`, `error_rate`, `fallback_rate` and "
    "`feedback` (mean score 0..1). `verdicts` names the better variant per metric once "
    "the always-valid sequential test concludes (`method`), else null; `srm` is the "
    "sample-ratio check against the weights; `summary` says it in a sentence.",
)
def experiment_report(runtime: RuntimeDep, _: Viewer, name: str) -> dict[str, Any]:
    return svc.experiment_report(runtime.unit_of_work, name)
