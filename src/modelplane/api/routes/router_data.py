"""The router's data under /api/v1/router: its config document and per-model profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response

from modelplane.api.deps import Editor, PublicRead, ReaderDep, RuntimeDep, Viewer
from modelplane.api.routes.models import VersionPath, history_page, rollback_target
from modelplane.api.writes import VERSION_RULES, expected_version, read, set_etag, write, write_meta
from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.domain.profiles import Profile, ProfileSpec
from modelplane.domain.router_config import RouterConfig
from modelplane.services import routing_data as svc
from modelplane.services._common import validate

router = APIRouter(prefix="/api/v1/router", tags=["router"])
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of a GET.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
_CONFIG: dict[int | str, dict[str, Any]] = {200: {"model": RouterConfig}}
_PROFILE: dict[int | str, dict[str, Any]] = {200: {"model": Profile}}


# Config ------------------------------------------------------------------------------------


@router.get("/config", dependencies=[PublicRead], summary="Every router dial", responses=_CONFIG)
def get_config(reader: ReaderDep, response: Response) -> dict[str, Any]:
    config = reader.router_config()
    set_etag(response, config.version)
    return config.to_json()


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
    response: Response,
    body: Annotated[
        dict[str, Any],
        Body(openapi_examples={"tiers": {"value": {"costTiers": {"cheapThreshold": 1}}}}),
    ],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    patch, body_version, reason = write_meta(body)
    expected = expected_version(if_match, body_version)
    config = write(
        runtime, lambda uow: svc.update_router_config(uow, patch, who.name, expected, reason)
    )
    set_etag(response, config.version)
    return config.to_json()


@router.get("/config/history", summary="The config's versions, newest first")
def config_history(
    runtime: RuntimeDep, _: Viewer, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    entries, total = read(runtime, lambda uow: svc.router_config_history(uow, offset, limit))
    return history_page(entries, total, offset, limit)


@router.get("/config/history/{version}", summary="The whole config at one version")
def config_at(runtime: RuntimeDep, _: Viewer, version: VersionPath) -> dict[str, Any]:
    return read(runtime, lambda uow: svc.router_config_at(uow, version))


@router.post(
    "/config/rollback",
    summary="Restore the config as it was at a version",
    description="Body: `{version, reason?, expectedVersion?}`. " + VERSION_RULES,
    responses=_CONFIG,
)
def rollback_config(
    runtime: RuntimeDep,
    who: Editor,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    document, body_version, reason = write_meta(body)
    target = rollback_target(document)
    expected = expected_version(if_match, body_version)
    config = write(
        runtime,
        lambda uow: svc.rollback_router_config(uow, target, who.name, reason, expected),
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
    return read(runtime, lambda uow: svc.profile_at(uow, model_id, version))


@router.get("/profiles/{model_id:path}/history", summary="A profile's versions, newest first")
def profile_history(
    runtime: RuntimeDep, _: Viewer, model_id: str, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    entries, total = read(runtime, lambda uow: svc.profile_history(uow, model_id, offset, limit))
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
    model_id: str,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    document, body_version, reason = write_meta(body)
    target = rollback_target(document)
    expected = expected_version(if_match, body_version)
    profile = write(
        runtime,
        lambda uow: svc.rollback_profile(uow, model_id, target, who.name, reason, expected),
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
    model_id: str,
    response: Response,
    body: Annotated[
        dict[str, Any],
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
    if_match: IfMatch = None,
) -> dict[str, Any]:
    document, body_version, reason = write_meta(body)
    if document.get("modelId", model_id) != model_id:
        raise InvalidInput([FieldError("modelId", "differs from the model id in the path")])
    spec = validate(ProfileSpec, {**document, "modelId": model_id})
    expected = expected_version(if_match, body_version)
    profile = write(runtime, lambda uow: svc.put_profile(uow, spec, who.name, expected, reason))
    set_etag(response, profile.version)
    return profile.to_json()
