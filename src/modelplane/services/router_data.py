"""Writes to the router's data: its config document and the per-model profiles.

Every public function opens and commits its own unit of work from ``uows``; the ``*_in``
ones work inside a caller's (seed, import, experiments). ``expected_version`` is the
version the writer read (``VersionConflict`` otherwise); ``None`` means "whatever is
current" and is for trusted callers only (seed, import, the CLI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from modelplane.domain.errors import FieldError, InvalidInput, NotFound, unknown
from modelplane.domain.history import HistoryEntry
from modelplane.domain.profiles import Profile, ProfileSpec
from modelplane.domain.router_config import RouterConfig, RouterConfigDoc
from modelplane.domain.validation import deep_merge, require_object, validate
from modelplane.router.classification.difficulty import quality_curve as shipped_quality_curve
from modelplane.services import versioned
from modelplane.services.versioned import Change
from modelplane.store.locks import RuleFamily
from modelplane.store.repositories import (
    HistoryRepository,
    ProfileRepository,
    RouterConfigRepository,
)
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

CONFIG_ID = "router"


# Rules -------------------------------------------------------------------------------------


def router_model_errors(
    doc: RouterConfigDoc,
    status_of: Mapping[str, str | None],
    known: Callable[[], Iterable[str]],
    prefix: str = "",
) -> list[FieldError]:
    """The router and fallback models must exist and not be deprecated (with nothing else
    eligible, routing falls back to them). ``status_of`` gives each named model's status,
    ``None`` for one that does not exist; ``known`` the ids to suggest instead."""
    errors: list[FieldError] = []
    for key, model_id in _named_models(doc):
        status = status_of.get(model_id)
        path = f"{prefix}routerSettings.{key}"
        if status is None:
            errors.append(FieldError(path, unknown("model", model_id, known())))
        elif status == "deprecated":
            message = f"model {model_id!r} is deprecated; name an active or beta model"
            errors.append(FieldError(path, message))
    return errors


def deprecation_error(doc: RouterConfigDoc | None, model_id: str, path: str) -> FieldError | None:
    """Why ``model_id`` cannot be deprecated while ``doc`` is the router's config, if so."""
    if doc is None:
        return None
    roles = [_ROLES[key] for key, named in _named_models(doc) if named == model_id]
    if not roles:
        return None
    which = " and ".join(roles)
    message = (
        f"model {model_id!r} is the router's {which} model; "
        "name another in the router config before deprecating it"
    )
    return FieldError(path, message)


def check_router_config(uow: UnitOfWork, doc: RouterConfigDoc, prefix: str = "") -> None:
    """The router-model rule against the database, serialised with deprecations."""
    uow.lock(RuleFamily.ROUTER_MODELS)
    statuses: dict[str, str | None] = {}
    for _, model_id in _named_models(doc):
        model = uow.models.get(model_id)
        statuses[model_id] = model.status if model is not None else None
    errors = router_model_errors(doc, statuses, uow.models.ids, prefix)
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
    """``InvalidInput`` at ``status`` when the live router config names ``model_id``;
    serialised with config writes."""
    uow.lock(RuleFamily.ROUTER_MODELS)
    config = uow.router_config.get()
    error = deprecation_error(config.doc() if config else None, model_id, "status")
    if error is not None:
        raise InvalidInput([error])


_ROLES = {"routerModelId": "router", "fallbackModelId": "fallback"}


def _named_models(doc: RouterConfigDoc) -> list[tuple[str, str]]:
    settings = doc.router_settings
    return [
        ("routerModelId", settings.router_model_id),
        ("fallbackModelId", settings.fallback_model_id),
    ]


def profile_errors(
    spec: ProfileSpec, models: Iterable[str], categories: set[str]
) -> list[FieldError]:
    """A profile's model and categories must be known."""
    errors = []
    models = list(models)
    if spec.model_id not in models:
        errors.append(FieldError("modelId", unknown("model", spec.model_id, models)))
    errors += [
        FieldError(
            f"categoryScores.{cat}",
            f"unknown category; known: {', '.join(sorted(categories))}",
        )
        for cat in spec.category_scores
        if cat not in categories
    ]
    return errors


# The kinds ---------------------------------------------------------------------------------


class _RouterConfigs(versioned.Versioned[RouterConfigDoc, RouterConfig]):
    """One document (key ``CONFIG_ID``)."""

    kind = "router config"
    change_kind = "router_config"
    spec_type = RouterConfigDoc
    value_type = RouterConfig

    def rows(self, uow: UnitOfWork) -> RouterConfigRepository:
        return uow.router_config

    def get(self, uow: UnitOfWork, key: str) -> RouterConfig | None:
        return uow.router_config.get()

    def history(self, uow: UnitOfWork) -> HistoryRepository:
        return uow.router_config_history

    def check(
        self, uow: UnitOfWork, key: str, spec: RouterConfigDoc, current: RouterConfig | None
    ) -> None:
        check_router_config(uow, spec)

    def missing_version(self, key: str, version: int) -> NotFound:
        return NotFound("router config version", str(version))


class _Profiles(versioned.Versioned[ProfileSpec, Profile]):
    kind = "profile"
    change_kind = "profile"
    spec_type = ProfileSpec
    value_type = Profile

    def rows(self, uow: UnitOfWork) -> ProfileRepository:
        return uow.profiles

    def get(self, uow: UnitOfWork, key: str) -> Profile | None:
        return uow.profiles.get(key)

    def history(self, uow: UnitOfWork) -> HistoryRepository:
        return uow.profile_history

    def keys(self, uow: UnitOfWork) -> list[str]:
        return [p.model_id for p in uow.profiles.all()]

    def check(self, uow: UnitOfWork, key: str, spec: ProfileSpec, current: Profile | None) -> None:
        known = {c.id for c in uow.categories.all()}
        errors = profile_errors(spec, uow.models.ids(), known)
        if errors:
            raise InvalidInput(errors)


ROUTER_CONFIG = _RouterConfigs()
PROFILES = _Profiles()


# Router config -----------------------------------------------------------------------------


def get_router_config_in(uow: UnitOfWork) -> RouterConfig:
    return ROUTER_CONFIG.require(uow, CONFIG_ID)


def save_router_config_in(
    uow: UnitOfWork,
    doc: RouterConfigDoc,
    change: Change,
    expected_version: int | None,
) -> RouterConfig:
    """Store ``doc`` as the config's next version (its first if there is none)."""
    return versioned.save(
        uow, ROUTER_CONFIG, CONFIG_ID, doc, change=change, expected_version=expected_version
    )


def get_router_config(uows: UnitOfWorkFactory) -> RouterConfig:
    with uows(read_only=True) as uow:
        return get_router_config_in(uow)


def update_router_config(
    uows: UnitOfWorkFactory,
    patch: dict[str, Any],
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> RouterConfig:
    """Merge a partial document into the config and validate the result as a whole.
    Lists (speed rules, domains) are replaced whole. ``expected_version=None``: trusted
    callers only."""
    with uows() as uow:
        current = get_router_config_in(uow)
        base = current.doc().to_json()
        doc = validate(RouterConfigDoc, deep_merge(base, require_object(patch, "a config update")))
        config = save_router_config_in(uow, doc, Change(author, reason), expected_version)
        uow.commit()
    return config


def replace_router_config(
    uows: UnitOfWorkFactory,
    doc: RouterConfigDoc,
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> RouterConfig:
    """Store ``doc`` whole as the config's next version."""
    with uows() as uow:
        get_router_config_in(uow)
        config = save_router_config_in(uow, doc, Change(author, reason), expected_version)
        uow.commit()
    return config


def router_config_history(
    uows: UnitOfWorkFactory, offset: int = 0, limit: int | None = 50
) -> tuple[list[HistoryEntry], int]:
    with uows(read_only=True) as uow:
        return versioned.history_page(uow, ROUTER_CONFIG, CONFIG_ID, offset, limit)


def router_config_at(uows: UnitOfWorkFactory, version: int) -> dict[str, Any]:
    with uows(read_only=True) as uow:
        return versioned.document_at(uow, ROUTER_CONFIG, CONFIG_ID, version)


def rollback_router_config(
    uows: UnitOfWorkFactory,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> RouterConfig:
    with uows() as uow:
        versioned.document_of(uow, ROUTER_CONFIG, CONFIG_ID, version)  # before "no config"
        config = versioned.rollback(
            uow,
            ROUTER_CONFIG,
            CONFIG_ID,
            version,
            author=author,
            reason=reason,
            expected_version=expected_version,
        )
        uow.commit()
    return config


# Profiles ----------------------------------------------------------------------------------


def get_profile_in(uow: UnitOfWork, model_id: str) -> Profile:
    return PROFILES.require(uow, model_id)


def put_profile_in(
    uow: UnitOfWork, spec: ProfileSpec, change: Change, expected_version: int | None
) -> Profile:
    """Create or replace a model's profile as a whole. ``expected_version`` 0 means
    "there must be no profile yet"; ``None``, trusted callers only, "whatever is current"."""
    return versioned.save(
        uow, PROFILES, spec.model_id, spec, change=change, expected_version=expected_version
    )


def get_profile(uows: UnitOfWorkFactory, model_id: str) -> Profile:
    with uows(read_only=True) as uow:
        return get_profile_in(uow, model_id)


def put_profile(
    uows: UnitOfWorkFactory,
    spec: ProfileSpec,
    author: str,
    expected_version: int | None,
    reason: str | None = None,
) -> Profile:
    with uows() as uow:
        profile = put_profile_in(uow, spec, Change(author, reason), expected_version)
        uow.commit()
    return profile


def profile_history(
    uows: UnitOfWorkFactory, model_id: str, offset: int = 0, limit: int | None = 50
) -> tuple[list[HistoryEntry], int]:
    with uows(read_only=True) as uow:
        entries, total = versioned.history_page(uow, PROFILES, model_id, offset, limit)
        if total == 0:
            get_profile_in(uow, model_id)
        return entries, total


def profile_at(uows: UnitOfWorkFactory, model_id: str, version: int) -> dict[str, Any]:
    with uows(read_only=True) as uow:
        return versioned.document_at(uow, PROFILES, model_id, version)


def rollback_profile(
    uows: UnitOfWorkFactory,
    model_id: str,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Profile:
    with uows() as uow:
        versioned.document_of(uow, PROFILES, model_id, version)  # before "no profile"
        profile = versioned.rollback(
            uow,
            PROFILES,
            model_id,
            version,
            author=author,
            reason=reason,
            expected_version=expected_version,
        )
        uow.commit()
    return profile


def quality_curve(config: RouterConfig) -> dict[str, Any]:
    """What ``config``'s ``premiumShare`` buys: the shipped difficulty estimate's
    premium-share vs quality curve on held-out exam questions (``difficulty.quality_curve``),
    read at that share. Raises ``NotFound`` when the curve did not ship."""
    curve = shipped_quality_curve()
    if curve is None:
        raise NotFound("quality curve", "difficulty_curve.json")
    share = config.quality.premium_share
    return {
        "about": curve.about,
        "premiumShare": share,
        "shares": list(curve.shares),
        "sets": [
            {
                "name": c.name,
                "prompts": c.prompts,
                "apgr": c.apgr,
                "recovered": list(c.recovered),
                "recoveredAtPremiumShare": round(at, 4),
            }
            for c, at in zip(curve.sets, curve.recovered_at(share), strict=True)
        ],
    }
