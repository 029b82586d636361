"""The bundled static tables: the hard-coded catalogue and router tables modelplane replaces.

They are the seed's input and the read path's database-free fallback. Loading them applies
the same validation as any write, and reconciles the router's copy with the catalogue:
the catalogue wins, router-only models become deprecated entries, disagreements are reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from pydantic import ValidationError

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory, derived_profile, nearest_sibling
from modelplane.domain.router_config import RouterConfig
from modelplane.domain.validation import field_errors

ROUTER_ONLY_REASON = (
    "seeded from the router's hard-coded table (router-profiles-v1.json): "
    "the model is not in the catalogue, so it is kept as deprecated"
)
EXTENDED_PROFILES_FILE = "router-profiles-extended.json"
_PROFILE_FIELDS = ("modelId", "qualityScore", "categoryScores")
"""What a profile row of the extended file means to us; its prose tiers are dropped."""
_COMPARED_FIELDS = (
    "name",
    "contextWindow",
    "pricing.input",
    "pricing.output",
    "capabilities",
    "hostOrder",
    "isInternalOnly",
)
_PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "xai": "xAI",
    "perplexity": "Perplexity",
    "meta": "Meta",
    "mistral": "Mistral AI",
    "alibaba": "Alibaba Cloud",
    "kimi": "Moonshot AI (Kimi)",
    "minimax": "MiniMax",
    "zai": "Z.ai",
    "deepseek": "DeepSeek",
}


@dataclass(frozen=True)
class Disagreement:
    """A fact on which the router's copy and the catalogue differ. The catalogue wins."""

    model_id: str
    field: str
    catalogue: Any
    router: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "modelId": self.model_id,
            "field": self.field,
            "catalogue": self.catalogue,
            "router": self.router,
        }


@dataclass(frozen=True)
class StaticTables:
    providers: list[Provider]
    models: list[Model]
    router_only_ids: list[str]
    categories: list[TaskCategory]
    profiles: list[Profile]
    """The original profiles, then one from the extended file for each catalogue model that
    the original table does not profile."""
    router_config: RouterConfig
    disagreements: list[Disagreement] = field(default_factory=list)
    extended_profile_ids: frozenset[str] = frozenset()
    """The models whose profile in ``profiles`` comes from ``EXTENDED_PROFILES_FILE``."""
    derived_from: dict[str, str] = field(default_factory=dict)
    """Catalogue models that neither file profiles, whose profile in ``profiles`` is their
    nearest profiled sibling's (``domain.profiles.nearest_sibling``): model id -> sibling id."""


def read_json(name: str) -> Any:
    return json.loads(resources.files("modelplane.static").joinpath(name).read_text("utf-8"))


@cache
def static_tables() -> StaticTables:
    """The bundled tables, parsed and validated once per process."""
    return build_static_tables(
        read_json("catalogue.json"),
        read_json("router-profiles-v1.json"),
        read_json("router-defaults.json"),
        read_json(EXTENDED_PROFILES_FILE),
    )


def build_static_tables(
    catalogue: dict[str, Any],
    router_tables: dict[str, Any],
    defaults: dict[str, Any],
    extended_profiles: dict[str, Any] | None = None,
) -> StaticTables:
    """Validate and reconcile the static documents; raise InvalidInput naming every model and
    field that fails, before anything is written anywhere. The extended profiles only fill
    in catalogue models that the original table has no profile for: the original 21 stay
    exactly as they are."""
    errors: list[FieldError] = []
    models = _validated_models(catalogue.get("models", []), "catalogue.models", errors)
    known = {m.id for m in models}
    router_rows = router_tables.get("routerModels", [])
    router_only_rows = [
        {**_with_provider(row), "status": "deprecated"}
        for row in router_rows
        if row.get("id") not in known
    ]
    router_only = _validated_models(router_only_rows, "router.routerModels", errors)
    categories = [
        TaskCategory(id=c, label=c.replace("_", " ").capitalize(), position=i)
        for i, c in enumerate(router_tables.get("taskCategories", []))
    ]
    profiles = _validated_profiles(router_tables.get("profiles", []), "router.profiles", errors)
    extended = _extended_profiles(extended_profiles or {}, known, {p.model_id for p in profiles})
    extra = _validated_profiles(extended, EXTENDED_PROFILES_FILE + ".profiles", errors)
    config = _validated_config(defaults, errors)
    if errors:
        raise InvalidInput(errors, title="static tables failed validation")
    assert config is not None
    derived = _derived_profiles(models, profiles + extra, config)
    all_models = models + router_only
    provider_ids = sorted({m.provider for m in all_models})
    providers = [
        Provider(id=p, display_name=_PROVIDER_NAMES.get(p, p.title())) for p in provider_ids
    ]
    return StaticTables(
        providers=providers,
        models=all_models,
        router_only_ids=[m.id for m in router_only],
        categories=categories,
        profiles=profiles + extra + [p for _, p in derived],
        router_config=config,
        disagreements=_disagreements({m.id: m for m in models}, router_rows),
        extended_profile_ids=frozenset(p.model_id for p in extra),
        derived_from={p.model_id: sibling for sibling, p in derived},
    )


def _derived_profiles(
    models: list[Model], profiles: list[Profile], config: RouterConfig
) -> list[tuple[str, Profile]]:
    """For each catalogue model without a profile, its nearest profiled sibling's id and the
    profile derived from that sibling's (none when no sibling is profiled)."""
    by_id = {p.model_id: p for p in profiles}
    profiled = [m for m in models if m.id in by_id]
    default = config.router_settings.default_score_without_profile
    out = []
    for model in models:
        if model.id in by_id:
            continue
        sibling = nearest_sibling(model, profiled)
        if sibling is not None:
            spec = derived_profile(model, sibling, by_id[sibling.id], default)
            out.append((sibling.id, Profile.model_validate(spec.model_dump())))
    return out


def _extended_profiles(
    document: dict[str, Any], catalogue_ids: set[str], profiled: set[str]
) -> list[Any]:
    """The extended file's rows for catalogue models without an original profile, with only
    the fields a profile has (the file's ``speedTier``/``costTier`` prose is not a dial)."""
    rows = []
    for row in document.get("profiles", []):
        if not isinstance(row, dict):
            rows.append(row)
            continue
        model_id = row.get("modelId")
        if model_id in catalogue_ids and model_id not in profiled:
            rows.append({k: row[k] for k in _PROFILE_FIELDS if k in row})
    return rows


def _with_provider(row: dict[str, Any]) -> dict[str, Any]:
    return {"provider": str(row.get("id", "")).split(":")[0], **row}


def _validated_models(rows: list[Any], where: str, errors: list[FieldError]) -> list[Model]:
    models = []
    for i, row in enumerate(rows):
        label = row.get("id", f"#{i}") if isinstance(row, dict) else f"#{i}"
        try:
            models.append(Model.model_validate(row))
        except ValidationError as exc:
            errors.extend(field_errors(exc, f"{where}[{i}] ({label})"))
    return models


def _validated_profiles(rows: list[Any], where: str, errors: list[FieldError]) -> list[Profile]:
    profiles = []
    for i, row in enumerate(rows):
        try:
            profiles.append(Profile.model_validate(row))
        except ValidationError as exc:
            errors.extend(field_errors(exc, f"{where}[{i}]"))
    return profiles


def _validated_config(defaults: dict[str, Any], errors: list[FieldError]) -> RouterConfig | None:
    try:
        return RouterConfig.model_validate(defaults)
    except ValidationError as exc:
        errors.extend(field_errors(exc, "routerDefaults"))
        return None


def _disagreements(
    catalogue: dict[str, Model], router_rows: list[dict[str, Any]]
) -> list[Disagreement]:
    found = []
    for row in router_rows:
        model = catalogue.get(row.get("id", ""))
        if model is None:
            continue
        ours = _comparable(model.to_json())
        theirs = _comparable(Model.model_validate(_with_provider(row)).to_json())
        for name in _COMPARED_FIELDS:
            if ours.get(name) != theirs.get(name):
                found.append(Disagreement(model.id, name, ours.get(name), theirs.get(name)))
    return found


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {
        "name": doc.get("name"),
        "contextWindow": doc.get("contextWindow"),
        "pricing.input": doc["pricing"]["input"],
        "pricing.output": doc["pricing"]["output"],
        "capabilities": sorted(doc.get("capabilities", [])),
        "hostOrder": doc.get("hostOrder"),
        "isInternalOnly": doc.get("isInternalOnly", False),
    }
    return flat
