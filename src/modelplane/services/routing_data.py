"""Writes to the router's data: its config document and the per-model profiles.

``expected_version`` is the version the writer read (``VersionConflict`` otherwise); ``None``
means "whatever is current" and is for trusted callers only (seed, import, the CLI).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, NotFound, nearest
from modelplane.domain.history import ChangeType, HistoryEntry
from modelplane.domain.profiles import Profile, ProfileSpec
from modelplane.domain.router_config import RouterConfig, RouterConfigDoc
from modelplane.services._common import (
    conflict,
    deep_merge,
    record_version,
    require_object,
    validate,
)
from modelplane.store.unit_of_work import UnitOfWork

CONFIG_ID = "router"


# Router config -----------------------------------------------------------------------------


def get_router_config(uow: UnitOfWork) -> RouterConfig:
    config = uow.router_config.get()
    if config is None:
        raise NotFound("router config", CONFIG_ID)
    return config


def check_router_config(uow: UnitOfWork, doc: RouterConfigDoc) -> None:
    """Rules that need the database: the router and fallback models must exist and not be
    deprecated (with nothing else eligible, routing falls back to them)."""
    errors: list[FieldError] = []
    for key, model_id in _named_models(doc):
        model = uow.models.get(model_id)
        if model is None:
            errors.append(FieldError(f"routerSettings.{key}", f"unknown model {model_id!r}"))
        elif model.status == "deprecated":
            message = f"model {model_id!r} is deprecated; name an active or beta model"
            errors.append(FieldError(f"routerSettings.{key}", message))
    if errors:
        raise InvalidInput(errors)


def router_roles(uow: UnitOfWork, model_id: str) -> list[str]:
    """What the live router config uses ``model_id`` for: ``["router", "fallback"]``, one of
    them, or nothing."""
    config = uow.router_config.get()
    if config is None:
        return []
    return [_ROLES[key] for key, named in _named_models(config.doc()) if named == model_id]


def refuse_deprecating(uow: UnitOfWork, model_id: str) -> None:
    """``InvalidInput`` at ``status`` when the live router config names ``model_id``."""
    roles = router_roles(uow, model_id)
    if roles:
        which = " and ".join(roles)
        message = (
            f"model {model_id!r} is the router's {which} model; "
            "name another in the router config before deprecating it"
        )
        raise InvalidInput([FieldError("status", message)])


_ROLES = {"routerModelId": "router", "fallbackModelId": "fallback"}


def _named_models(doc: RouterConfigDoc) -> list[tuple[str, str]]:
    settings = doc.router_settings
    return [
        ("routerModelId", settings.router_model_id),
        ("fallbackModelId", settings.fallback_model_id),
    ]


def create_router_config(
    uow: UnitOfWork,
    doc: RouterConfigDoc,
    author: str,
    reason: str | None,
    change_type: ChangeType = "created",
) -> RouterConfig:
    check_router_config(uow, doc)
    at = utcnow()
    config = RouterConfig.model_validate(
        {**doc.model_dump(), "version": 1, "updated_at": at, "updated_by": author}
    )
    uow.router_config.add(config)
    _record_config(uow, None, config, change_type, author, reason, at)
    return config


def update_router_config(
    uow: UnitOfWork,
    patch: dict[str, Any],
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> RouterConfig:
    """Merge a partial document into the config and validate the result as a whole.
    Lists (speed rules, domains) are replaced whole. ``expected_version=None``: trusted
    callers only."""
    current = get_router_config(uow)
    base = current.doc().to_json()
    doc = validate(RouterConfigDoc, deep_merge(base, require_object(patch, "a config update")))
    return replace_router_config(uow, doc, author, expected_version, reason)


def replace_router_config(
    uow: UnitOfWork,
    doc: RouterConfigDoc,
    author: str,
    expected_version: int | None,
    reason: str | None,
    change_type: ChangeType = "updated",
    force: bool = False,
) -> RouterConfig:
    current = get_router_config(uow)
    if expected_version is not None and expected_version != current.version:
        raise _config_conflict(uow, expected_version, current.version)
    check_router_config(uow, doc)
    if doc == current.doc() and not force:
        return current
    at = utcnow()
    config = RouterConfig.model_validate(
        {**doc.model_dump(), "version": current.version + 1, "updated_at": at, "updated_by": author}
    )
    if not uow.router_config.replace(config, current.version):
        raise _config_conflict(uow, current.version, get_router_config(uow).version)
    _record_config(uow, current, config, change_type, author, reason, at)
    return config


def _config_conflict(uow: UnitOfWork, expected: int, current: int) -> Exception:
    return conflict(uow.router_config_history, "router config", CONFIG_ID, expected, current)


def router_config_history(
    uow: UnitOfWork, offset: int = 0, limit: int = 50
) -> tuple[list[HistoryEntry], int]:
    history = uow.router_config_history
    return history.page(CONFIG_ID, offset, limit), history.count(CONFIG_ID)


def router_config_at(uow: UnitOfWork, version: int) -> dict[str, Any]:
    document = uow.router_config_history.document(CONFIG_ID, version)
    if document is None:
        raise NotFound("router config version", str(version))
    return {**document, "version": version}


def rollback_router_config(
    uow: UnitOfWork,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> RouterConfig:
    document = uow.router_config_history.document(CONFIG_ID, version)
    if document is None:
        raise NotFound("router config version", str(version))
    doc = validate(RouterConfigDoc, document)
    why = reason or f"rolled back to version {version}"
    return replace_router_config(uow, doc, author, expected_version, why, "rolled_back", True)


def _record_config(
    uow: UnitOfWork,
    before: RouterConfig | None,
    after: RouterConfig,
    change_type: ChangeType,
    author: str,
    reason: str | None,
    at: datetime,
) -> None:
    record_version(
        uow,
        uow.router_config_history,
        "router_config",
        CONFIG_ID,
        after.version,
        change_type,
        before.doc().to_json() if before else None,
        after.doc().to_json(),
        author,
        reason,
        at,
    )


# Profiles ----------------------------------------------------------------------------------


def get_profile(uow: UnitOfWork, model_id: str) -> Profile:
    profile = uow.profiles.get(model_id)
    if profile is None:
        known = [p.model_id for p in uow.profiles.all()]
        raise NotFound("profile", model_id, nearest(model_id, known))
    return profile


def check_profile(uow: UnitOfWork, spec: ProfileSpec) -> None:
    errors = []
    if uow.models.get(spec.model_id) is None:
        hint = nearest(spec.model_id, uow.models.ids())
        suffix = f" (did you mean: {', '.join(hint)}?)" if hint else ""
        errors.append(FieldError("modelId", f"unknown model {spec.model_id!r}{suffix}"))
    known = {c.id for c in uow.categories.all()}
    errors += [
        FieldError(f"categoryScores.{cat}", f"unknown category; known: {', '.join(sorted(known))}")
        for cat in spec.category_scores
        if cat not in known
    ]
    if errors:
        raise InvalidInput(errors)


def put_profile(
    uow: UnitOfWork,
    spec: ProfileSpec,
    author: str,
    expected_version: int | None,
    reason: str | None = None,
    change_type: ChangeType | None = None,
    force: bool = False,
) -> Profile:
    """Create or replace a model's profile as a whole. ``expected_version`` 0 means
    "there must be no profile yet"; ``None``, trusted callers only, "whatever is current"."""
    current = uow.profiles.get(spec.model_id)
    current_version = current.version if current else 0
    if expected_version is not None and expected_version != current_version:
        raise _profile_conflict(uow, spec.model_id, expected_version, current_version)
    check_profile(uow, spec)
    if current is not None and current.spec() == spec and not force:
        return current
    at = utcnow()
    profile = Profile.model_validate(
        {
            **spec.model_dump(),
            "version": current_version + 1,
            "updated_at": at,
            "updated_by": author,
        }
    )
    if current is None:
        uow.profiles.add(profile)
    elif not uow.profiles.replace(profile, current_version):
        fresh = get_profile(uow, spec.model_id).version
        raise _profile_conflict(uow, spec.model_id, current_version, fresh)
    record_version(
        uow,
        uow.profile_history,
        "profile",
        spec.model_id,
        profile.version,
        change_type or ("created" if current is None else "updated"),
        current.spec().to_json() if current else None,
        profile.spec().to_json(),
        author,
        reason,
        at,
    )
    return profile


def _profile_conflict(uow: UnitOfWork, model_id: str, expected: int, current: int) -> Exception:
    return conflict(uow.profile_history, "profile", model_id, expected, current)


def profile_history(
    uow: UnitOfWork, model_id: str, offset: int = 0, limit: int = 50
) -> tuple[list[HistoryEntry], int]:
    total = uow.profile_history.count(model_id)
    if total == 0:
        get_profile(uow, model_id)
    return uow.profile_history.page(model_id, offset, limit), total


def profile_at(uow: UnitOfWork, model_id: str, version: int) -> dict[str, Any]:
    document = uow.profile_history.document(model_id, version)
    if document is None:
        raise NotFound("profile version", f"{model_id}@{version}")
    return {**document, "version": version}


def rollback_profile(
    uow: UnitOfWork,
    model_id: str,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Profile:
    document = uow.profile_history.document(model_id, version)
    if document is None:
        raise NotFound("profile version", f"{model_id}@{version}")
    spec = validate(ProfileSpec, document)
    why = reason or f"rolled back to version {version}"
    return put_profile(uow, spec, author, expected_version, why, "rolled_back", force=True)
