"""Flag writes (versioned, with history) and evaluation with environment overrides."""

from __future__ import annotations

from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import NotFound, VersionConflict, nearest
from modelplane.domain.flags import (
    MODELS_SOURCE,
    ROUTER_CONFIG_SOURCE,
    Evaluation,
    Flag,
    FlagSpec,
    UserContext,
    evaluate,
    override_variable,
)
from modelplane.domain.history import ChangeType, HistoryEntry
from modelplane.rollout.parity import SAMPLE_FLAG
from modelplane.services._common import (
    conflict,
    deep_merge,
    record_version,
    require_object,
    validate,
)
from modelplane.settings import Settings
from modelplane.store.repositories import HistoryRepository
from modelplane.store.rollout_repositories import FlagRepository
from modelplane.store.tables import flag_history
from modelplane.store.unit_of_work import UnitOfWork

BUILT_IN: dict[str, FlagSpec] = {
    MODELS_SOURCE: FlagSpec(
        name=MODELS_SOURCE,
        enabled=True,
        percentage=100,
        description="Serve the model catalogue from the database (else the static tables).",
    ),
    ROUTER_CONFIG_SOURCE: FlagSpec(
        name=ROUTER_CONFIG_SOURCE,
        enabled=True,
        percentage=100,
        description="Route with dials and profiles from the database (else the static tables).",
    ),
}

KNOWN: dict[str, FlagSpec] = {
    **BUILT_IN,
    SAMPLE_FLAG: FlagSpec(
        name=SAMPLE_FLAG,
        description="Share of requests answered from both sources and compared (parity).",
    ),
}
"""Flags the code reads, with the state each has before anyone sets it."""


def list_flags(uow: UnitOfWork) -> list[Flag]:
    return FlagRepository(uow.connection).all()


def list_flags_with_defaults(uow: UnitOfWork) -> list[Flag]:
    """Every stored flag, plus the known flags not stored yet (at version 0, as they
    evaluate), by name."""
    stored = {f.name: f for f in list_flags(uow)}
    for name, spec in KNOWN.items():
        stored.setdefault(name, Flag.model_validate(spec.model_dump()))
    return [stored[name] for name in sorted(stored)]


def get_flag(uow: UnitOfWork, name: str) -> Flag:
    repo = FlagRepository(uow.connection)
    flag = repo.get(name)
    if flag is None:
        raise NotFound("flag", name, nearest(name, [f.name for f in repo.all()]))
    return flag


def set_flag(
    uow: UnitOfWork,
    name: str,
    changes: dict[str, Any],
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Flag:
    """Create or change a flag (a partial document merges into the current one)."""
    repo = FlagRepository(uow.connection)
    current = repo.get(name)
    if expected_version is not None and expected_version != (current.version if current else 0):
        history = HistoryRepository(uow.connection, flag_history)
        now = current.version if current else 0
        raise conflict(history, "flag", name, expected_version, now)
    base = current.spec().to_json() if current else {"name": name}
    spec = validate(FlagSpec, deep_merge(base, {**require_object(changes, "a flag"), "name": name}))
    if current is not None and current.spec() == spec:
        return current
    at = utcnow()
    version = (current.version if current else 0) + 1
    flag = Flag.model_validate(
        {**spec.model_dump(), "version": version, "updated_at": at, "updated_by": author}
    )
    if current is None:
        repo.add(flag)
    elif not repo.replace(flag, current.version):
        raise VersionConflict("flag", name, current.version, current.version + 1)
    change: ChangeType = "created" if current is None else "updated"
    record_version(
        uow,
        HistoryRepository(uow.connection, flag_history),
        "flag",
        name,
        version,
        change,
        current.spec().to_json() if current else None,
        flag.spec().to_json(),
        author,
        reason,
        at,
    )
    return flag


def ensure_built_in(uow: UnitOfWork, author: str, reason: str) -> list[str]:
    """Create the built-in flags that are missing; the names created."""
    repo = FlagRepository(uow.connection)
    created = []
    for name, spec in BUILT_IN.items():
        if repo.get(name) is None:
            set_flag(uow, name, spec.to_json(), author, reason)
            created.append(name)
    return created


def flag_history_page(
    uow: UnitOfWork, name: str, offset: int = 0, limit: int = 50
) -> list[HistoryEntry]:
    get_flag(uow, name)
    return HistoryRepository(uow.connection, flag_history).page(name, offset, limit)


def override_for(settings: Settings, name: str) -> bool | None:
    """The environment's word on a flag, which wins over the database.

    ``MODELPLANE_FLAG_<NAME>=on|off`` (also ``MODELPLANE_FLAG_OVERRIDES="a=on,b=off"``);
    for the source flags, ``MODELPLANE_MODELS_SOURCE=static`` and
    ``MODELPLANE_ROUTER_CONFIG_SOURCE=static`` mean off.
    """
    return settings.overrides().get(name)


def evaluate_flag(
    settings: Settings, flags: dict[str, Flag] | Any, name: str, context: UserContext
) -> Evaluation:
    """Evaluate ``name`` for a user from the given flags (a snapshot's), overrides first.
    A built-in flag with no row yet behaves as its default."""
    flag = flags.get(name) or KNOWN.get(name)
    if flag is None:
        flag = FlagSpec(name=name)
    return evaluate(flag, context, override_for(settings, name))


__all__ = [
    "BUILT_IN",
    "KNOWN",
    "evaluate_flag",
    "get_flag",
    "list_flags",
    "list_flags_with_defaults",
    "override_variable",
    "set_flag",
]
