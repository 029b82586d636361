"""Seeding: load the bundled static tables into an empty (or partly filled) database.

Idempotent: whatever already exists is skipped, so a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from modelplane.domain.clock import utcnow
from modelplane.services.flags import BUILT_IN, ensure_built_in
from modelplane.services.models import create_in
from modelplane.services.router_data import put_profile_in, save_router_config_in
from modelplane.services.versioned import Change
from modelplane.store.static import (
    EXTENDED_PROFILES_FILE,
    ROUTER_ONLY_REASON,
    Disagreement,
    StaticTables,
    static_tables,
)
from modelplane.store.unit_of_work import UnitOfWork

SEED_AUTHOR = "seed"
CATALOGUE_REASON = "seeded from the static catalogue (catalogue.json)"
PROFILE_REASON = "seeded from the router's static profiles (router-profiles-v1.json)"
EXTENDED_PROFILE_REASON = (
    f"seeded from the router's extended profiles ({EXTENDED_PROFILES_FILE}): "
    "the model had no profile in router-profiles-v1.json"
)
DERIVED_PROFILE_REASON = (
    "seeded from the profile of {sibling}, its nearest profiled sibling (same provider, "
    "family and major version): the model has no profile in router-profiles-v1.json or "
    + EXTENDED_PROFILES_FILE
)
CONFIG_REASON = "seeded from the router's static defaults (router-defaults.json)"
FLAGS_REASON = "built-in rollout flags: everything served from the database"
_KINDS = ("providers", "categories", "models", "profiles", "routerConfig", "flags")


@dataclass
class SeedReport:
    dry_run: bool
    created: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in _KINDS})
    skipped: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in _KINDS})
    disagreements: list[Disagreement] = field(default_factory=list)
    default_score_models: list[str] = field(default_factory=list)
    """Active models (neither deprecated nor internal-only) still without a profile once the
    seed is done: the router scores them ``defaultScoreWithoutProfile`` in every category."""

    @property
    def created_count(self) -> int:
        return sum(len(v) for v in self.created.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "created": self.created,
            "skipped": self.skipped,
            "disagreements": [d.to_json() for d in self.disagreements],
            "defaultScoreModels": self.default_score_models,
            "defaultScoreCount": len(self.default_score_models),
        }


def seed(engine: Engine, dry_run: bool = False, tables: StaticTables | None = None) -> SeedReport:
    """Create what is missing in one transaction; with ``dry_run``, report and roll back."""
    tables = tables or static_tables()
    report = SeedReport(dry_run=dry_run, disagreements=list(tables.disagreements))
    with UnitOfWork(engine) as uow:
        _seed_into(uow, tables, report)
        if not dry_run:
            uow.commit()
    return report


def _seed_into(uow: UnitOfWork, tables: StaticTables, report: SeedReport) -> None:
    at = utcnow()
    for provider in tables.providers:
        _mark(report, "providers", provider.id, uow.providers.get(provider.id) is None)
        if uow.providers.get(provider.id) is None:
            uow.providers.add(provider, at)
    known_categories = {c.id for c in uow.categories.all()}
    for category in tables.categories:
        _mark(report, "categories", category.id, category.id not in known_categories)
        if category.id not in known_categories:
            uow.categories.add(category)
    existing: set[str] = set(uow.models.ids())
    router_only = set(tables.router_only_ids)
    for model in tables.models:
        _mark(report, "models", model.id, model.id not in existing)
        if model.id not in existing:
            reason = ROUTER_ONLY_REASON if model.id in router_only else CATALOGUE_REASON
            create_in(uow, model.spec(), Change(SEED_AUTHOR, reason, at=at))
    for profile in tables.profiles:
        missing = uow.profiles.get(profile.model_id) is None
        _mark(report, "profiles", profile.model_id, missing)
        if missing:
            sibling = tables.derived_from.get(profile.model_id)
            if sibling is not None:
                reason = DERIVED_PROFILE_REASON.format(sibling=sibling)
            elif profile.model_id in tables.extended_profile_ids:
                reason = EXTENDED_PROFILE_REASON
            else:
                reason = PROFILE_REASON
            put_profile_in(uow, profile.spec(), Change(SEED_AUTHOR, reason), None)
    missing_config = uow.router_config.get() is None
    _mark(report, "routerConfig", "router", missing_config)
    if missing_config:
        change = Change(SEED_AUTHOR, CONFIG_REASON)
        save_router_config_in(uow, tables.router_config.doc(), change, None)
    created_flags = ensure_built_in(uow, SEED_AUTHOR, FLAGS_REASON)
    for name in BUILT_IN:
        _mark(report, "flags", name, name in created_flags)
    report.default_score_models = default_score_models(uow)


def default_score_models(uow: UnitOfWork) -> list[str]:
    """The active models that have no profile, by id."""
    profiled = {p.model_id for p in uow.profiles.all()}
    return sorted(
        m.id
        for m in uow.models.filtered()
        if m.id not in profiled and m.status != "deprecated" and not m.is_internal_only
    )


def _mark(report: SeedReport, kind: str, key: str, created: bool) -> None:
    (report.created if created else report.skipped)[kind].append(key)
