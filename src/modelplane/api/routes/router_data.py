"""The router's data under /api/v1/router: its config document and per-model profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from modelplane.api import bodies
from modelplane.api.deps import Editor, PublicRead, ReaderDep, RuntimeDep, Viewer
from modelplane.api.routes.models import VersionPath, history_page, rollback_target
from modelplane.api.threads import DatabaseRoute
from modelplane.api.writes import VERSION_RULES, WriteMetaDep, set_etag
from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.domain.profiles import Profile, ProfileSpec
from modelplane.domain.router_config import RouterConfig
from modelplane.domain.validation import validate
from modelplane.services import replay as replay_svc
from modelplane.services import router_data as svc

router = APIRouter(prefix="/api/v1/router", tags=["router"], route_class=DatabaseRoute)
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
_CONFIG: dict[int | str, dict[str, Any]] = {200: {"model": RouterConfig}}
_PROFILE: dict[int | str, dict[str, Any]] = {200: {"model": Profile}}


# Config ------------------------------------------------------------------------------------


@router.post(
    "/replay",
    summary="Replay a prompt set under several router configs",
    description=(
        "Routes every prompt under each config and compares them, writing nothing and "
        "logging no decision: tier mix and share, the estimated cost per 1,000 requests at "
        "the catalogue's prices, the mean difficulty sent to each tier, and the prompts whose "
        "chosen model changes. `prompts` is a list of route requests (`text` plus any route "
        "field; a prompt without `seed` gets its position, from 1) or the same as JSON lines. "
        "The configs are `configVersions` (stored), `configs` (whole documents, not saved) "
        "and the live one: included when `live` is true, or when fewer than two others are "
        "named. The same as `modelplane router replay` and the console playground."
    ),
)
def replay_prompts(runtime: RuntimeDep, _: Viewer, body: bodies.Replay) -> dict[str, Any]:
    return replay_svc.replay_request(
        runtime.unit_of_work, runtime.reader, runtime.settings, body.as_sent()
    )


@router.get("/config", dependencies=[PublicRead], summary="Every router dial", responses=_CONFIG)
def get_config(reader: ReaderDep, response: Response) -> dict[str, Any]:
    config = reader.router_config()
    set_etag(response, config.version)
    return config.to_json()


@router.get(
    "/quality-curve",
    dependencies=[PublicRead],
    summary="What the live premiumShare buys",
    description=(
        "The difficulty estimate's premium-share vs quality curve on held-out exam questions "
        "(the share of the quality gap between a strong and a weak model recovered when the "
        "hardest share of the prompts go strong; a coin recovers its share), read at the live "
        "config's `quality.premiumShare` (`recoveredAtPremiumShare`). The same as the "
        "console's auto-router page and `modelplane router curve`."
    ),
)
def get_quality_curve(reader: ReaderDep) -> dict[str, Any]:
    return svc.quality_curve(reader.router_config())


@router.patch(
    "/config",
    summary="Change some router dials",
    description=(
        "A partial config: objects merge, lists replace. The result is validated whole "
        "(thresholds ordered, weights summing to 1, positive multipliers, known models). "
        + VERSION_RULES
    ),
    responses=_CONFIG,
)
def update_config(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    response: Response,
    body: Annotated[
        bodies.RouterConfigPatch,
        Body(openapi_examples={"tiers": {"value": {"costTiers": {"cheapThreshold": 1}}}}),
    ],
) -> dict[str, Any]:
    expected = meta.expected
    config = svc.update_router_config(
        runtime.unit_of_work, body.document(), who.name, expected, meta.reason
    )
    set_etag(response, config.version)
    return config.to_json()


@router.get("/config/history", summary="The config's versions, newest first")
def config_history(
    runtime: RuntimeDep, _: Viewer, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    entries, total = svc.router_config_history(runtime.unit_of_work, offset, limit)
    return history_page(entries, total, offset, limit)


@router.get("/config/history/{version}", summary="The whole config at one version")
def config_at(runtime: RuntimeDep, _: Viewer, version: VersionPath) -> dict[str, Any]:
    return svc.router_config_at(runtime.unit_of_work, version)


@router.post(
    "/config/rollback",
    summary="Restore the config as it was at a version",
    description="Body: `{version, reason?, expectedVersion?}`. " + VERSION_RULES,
    responses=_CONFIG,
)
def rollback_config(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    response: Response,
    body: Annotated[bodies.Rollback, Body()],
) -> dict[str, Any]:
    target = rollback_target(body.document())
    config = svc.rollback_router_config(
        runtime.unit_of_work, target, who.name, meta.reason, meta.expected
    )
    set_etag(response, config.version)
    return config.to_json()


# Profiles ----------------------------------------------------------------------------------


@router.get("/profiles", dependencies=[PublicRead], summary="Every model's profile")
def list_profiles(reader: ReaderDep) -> dict[str, Any]:
    profiles = reader.profiles()
    return {
        "data": [p.to_json() for p in profiles],
        "count": len(profiles),
        "categories": [c.to_json() for c in reader.categories()],
    }


@router.get("/profiles/{model_id:path}/history/{version}", summary="A profile at one version")
def profile_at(
    runtime: RuntimeDep, _: Viewer, model_id: str, version: VersionPath
) -> dict[str, Any]:
    return svc.profile_at(runtime.unit_of_work, model_id, version)


@router.get("/profiles/{model_id:path}/history", summary="A profile's versions, newest first")
def profile_history(
    runtime: RuntimeDep, _: Viewer, model_id: str, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    entries, total = svc.profile_history(runtime.unit_of_work, model_id, offset, limit)
    return history_page(entries, total, offset, limit)


@router.post(
    "/profiles/{model_id:path}/rollback",
    summary="Restore a profile as it was at a version",
    description="Body: `{version, reason?, expectedVersion?}`. " + VERSION_RULES,
    responses=_PROFILE,
)
def rollback_profile(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[bodies.Rollback, Body()],
) -> dict[str, Any]:
    target = rollback_target(body.document())
    profile = svc.rollback_profile(
        runtime.unit_of_work, model_id, target, who.name, meta.reason, meta.expected
    )
    set_etag(response, profile.version)
    return profile.to_json()


@router.get(
    "/profiles/{model_id:path}",
    dependencies=[PublicRead],
    summary="One profile",
    responses=_PROFILE,
)
def get_profile(reader: ReaderDep, model_id: str, response: Response) -> dict[str, Any]:
    profile = reader.profile(model_id)
    if profile is None:
        raise NotFound("profile", model_id)
    set_etag(response, profile.version)
    return profile.to_json()


@router.put(
    "/profiles/{model_id:path}",
    summary="Create or replace a model's profile",
    description=(
        "Body: `{qualityScore, categoryScores, reason?, expectedVersion?}`; scores 0-100, "
        "known categories only. To create a profile, send version 0. " + VERSION_RULES
    ),
    responses=_PROFILE,
)
def put_profile(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[
        bodies.ProfilePut,
        Body(
            openapi_examples={
                "scores": {
                    "value": {
                        "qualityScore": 80,
                        "categoryScores": {"coding": 85},
                        "expectedVersion": 0,
                    }
                }
            }
        ),
    ],
) -> dict[str, Any]:
    document = body.document()
    if document.get("modelId", model_id) != model_id:
        raise InvalidInput([FieldError("modelId", "differs from the model id in the path")])
    spec = validate(ProfileSpec, {**document, "modelId": model_id})
    profile = svc.put_profile(runtime.unit_of_work, spec, who.name, meta.expected, meta.reason)
    set_etag(response, profile.version)
    return profile.to_json()
