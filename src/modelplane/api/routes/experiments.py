"""Router-config experiments under /api/v1/experiments: create, list, read, report, and
end by promoting a variant or discarding them all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api import bodies
from modelplane.api.deps import Editor, RuntimeDep, Viewer
from modelplane.api.threads import DatabaseRoute
from modelplane.api.writes import VERSION_RULES, WriteMetaDep
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.validation import validate_reason
from modelplane.services import experiments as svc

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"], route_class=DatabaseRoute)

_EXAMPLE = {
    "name": "cheaper-mid",
    "description": "does a lower mid threshold save money?",
    "variants": [
        {"name": "control", "weight": 50, "config": {"...": "the live config"}},
        {"name": "cheaper", "weight": 50, "config": {"...": "a changed config"}},
    ],
}


@router.post("", status_code=201, summary="Start an experiment")
def create_experiment(
    runtime: RuntimeDep,
    who: Editor,
    _: WriteMetaDep,  # reads an admin's X-Emergency-Override under an experiment policy
    body: Annotated[bodies.ExperimentCreate, Body(openapi_examples={"ab": {"value": _EXAMPLE}})],
) -> dict[str, Any]:
    """Every variant's config is validated like the live config; weights sum to 100. Under
    an experiment approval policy this answers 409: open a change request (kind
    `experiment`), or, as an admin, send `X-Emergency-Override: <reason>`."""
    return svc.create_experiment(runtime.unit_of_work, body.as_sent(), who.name).to_json()


@router.get("", summary="Every experiment, running and ended")
def list_experiments(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    experiments = svc.list_experiments(runtime.unit_of_work)
    return {"data": [e.to_json() for e in experiments], "count": len(experiments)}


@router.get(
    "/{name}/report",
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


@router.get("/{name}", summary="One experiment")
def get_experiment(runtime: RuntimeDep, _: Viewer, name: str) -> dict[str, Any]:
    return svc.get_experiment(runtime.unit_of_work, name).to_json()


@router.post(
    "/{name}/promote",
    summary="End an experiment: its variant becomes the live router config",
    description="Body: `{variant, reason?, expectedVersion}`, where `expectedVersion` is the "
    "live config's version the variant was compared with. " + VERSION_RULES,
)
def promote(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    name: str,
    body: Annotated[bodies.ExperimentPromote, Body()],
) -> dict[str, Any]:
    variant = body.document().get("variant")
    if not isinstance(variant, str) or not variant:
        raise InvalidInput([FieldError("variant", "the name of the variant to promote")])
    expected = meta.expected
    config = svc.end_experiment(
        runtime.unit_of_work, name, who.name, variant, meta.reason, expected
    )
    experiment = svc.get_experiment(runtime.unit_of_work, name).to_json()
    return {**experiment, "routerConfig": config.to_json() if config else None}


@router.post("/{name}/discard", summary="End an experiment without promoting a variant")
def discard(
    runtime: RuntimeDep, who: Editor, name: str, body: Annotated[bodies.Reasoned, Body()]
) -> dict[str, Any]:
    svc.end_experiment(runtime.unit_of_work, name, who.name, None, _reason(body))
    return {**svc.get_experiment(runtime.unit_of_work, name).to_json(), "routerConfig": None}


def _reason(body: bodies.Document) -> str | None:
    return validate_reason(body.as_sent().get("reason"))
