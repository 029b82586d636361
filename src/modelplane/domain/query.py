"""The in-memory catalogue query: filters and search over models held in memory.

Every read source keeps its models in memory (the static tables, a snapshot loaded from the
database), so this is the only implementation of "which models match" and "how well does a
model match a search"; sources differ only in where their models come from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modelplane.domain.models import Model


@dataclass(frozen=True)
class ModelFilter:
    """Filters for model lists; ``None`` means "any"."""

    provider: str | None = None
    status: str | None = None
    capability: str | None = None
    internal_only: bool | None = None
    experimental: bool | None = None

    def matches(self, model: Model) -> bool:
        return (
            (self.provider is None or model.provider == self.provider)
            and (self.status is None or model.status == self.status)
            and (self.capability is None or self.capability in model.capabilities)
            and (self.internal_only is None or model.is_internal_only == self.internal_only)
            and (self.experimental is None or model.is_experimental == self.experimental)
        )


ANY = ModelFilter()


def search_rank(model: Model, needle: str) -> int | None:
    """0 for an exact id or name match, 1 for a prefix of the name or of the id's name
    part, 2 for any other match over id, name, description and provider, None for none.
    Matching is literal and case-insensitive (``%`` and ``_`` are plain characters)."""
    needle = needle.strip().lower()
    fields = [model.id, model.name, model.description or "", model.provider]
    if not needle or not any(needle in f.lower() for f in fields):
        return None
    if needle in (model.id.lower(), model.name.lower()):
        return 0
    if model.name.lower().startswith(needle) or f":{needle}" in model.id.lower():
        return 1
    return 2


def filter_models(models: Iterable[Model], filters: ModelFilter = ANY) -> list[Model]:
    """The models that pass ``filters``, in the order given (sources keep them by id)."""
    if filters == ANY:
        return list(models)
    return [m for m in models if filters.matches(m)]


def search_models(
    models: Iterable[Model], text: str, limit: int | None = None, filters: ModelFilter = ANY
) -> list[Model]:
    """The models matching ``text`` that pass ``filters``: best rank first, then by id."""
    ranked = [
        (rank, m.id, m)
        for m in models
        if filters.matches(m) and (rank := search_rank(m, text)) is not None
    ]
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [m for _, _, m in ranked][:limit]


__all__ = ["ANY", "ModelFilter", "filter_models", "search_models", "search_rank"]
