"""Flag writes (versioned, with history) and evaluation with environment overrides."""

from __future__ import annotations

from typing import Any

from modelplane.domain.flags import (
    Evaluation,
    Flag,
    FlagSpec,
    UserContext,
    evaluate,
    override_variable,
)
from modelplane.domain.history import HistoryEntry
from modelplane.domain.validation import deep_merge, require_object, validate
from modelplane.rollout.assignment import BUILT_IN, KNOWN
from modelplane.services import versioned
from modelplane.services.versioned import Change
from modelplane.settings import Settings
from modelplane.store.repositories import HistoryRepository
from modelplane.store.rollout_repositories import FlagRepository
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory


class _Flags(versioned.Versioned[FlagSpec, Flag]):
    kind = "flag"
    change_kind = "flag"
    spec_type = FlagSpec
    value_type = Flag

    def rows(self, uow: UnitOfWork) -> FlagRepository:
        return uow.flags

    def get(self, uow: UnitOfWork, key: str) -> Flag | None:
        return uow.flags.get(key)

    def history(self, uow: UnitOfWork) -> HistoryRepository:
        return uow.flag_history

    def keys(self, uow: UnitOfWork) -> list[str]:
        return [f.name for f in uow.flags.all()]


KIND = _Flags()


def list_flags(uow: UnitOfWork) -> list[Flag]:
    """Every stored flag, inside the caller's transaction (the rollout report's)."""
    return uow.flags.all()


def get_flag_in(uow: UnitOfWork, name: str) -> Flag:
    return KIND.require(uow, name)


def set_flag_in(
    uow: UnitOfWork,
    name: str,
    changes: dict[str, Any],
    change: Change,
    expected_version: int | None = None,
) -> Flag:
    """Create or change a flag (a partial document merges into the current one)."""
    current = uow.flags.get(name)
    versioned.check_version(uow, KIND, name, expected_version, current.version if current else 0)
    base = current.spec().to_json() if current else {"name": name}
    spec = validate(FlagSpec, deep_merge(base, {**require_object(changes, "a flag"), "name": name}))
    return versioned.save(uow, KIND, name, spec, change=change, expected_version=expected_version)


def all_flags(uows: UnitOfWorkFactory) -> list[Flag]:
    with uows(read_only=True) as uow:
        return uow.flags.all()


def list_flags_with_defaults(uows: UnitOfWorkFactory) -> list[Flag]:
    """Every stored flag, plus the known flags not stored yet (at version 0, as they
    evaluate), by name."""
    stored = {f.name: f for f in all_flags(uows)}
    for name, spec in KNOWN.items():
        stored.setdefault(name, Flag.model_validate(spec.model_dump()))
    return [stored[name] for name in sorted(stored)]


def get_flag(uows: UnitOfWorkFactory, name: str) -> Flag:
    with uows(read_only=True) as uow:
        return get_flag_in(uow, name)


def set_flag(
    uows: UnitOfWorkFactory,
    name: str,
    changes: dict[str, Any],
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Flag:
    """Create or change a flag (a partial document merges into the current one)."""
    with uows() as uow:
        flag = set_flag_in(uow, name, changes, Change(author, reason), expected_version)
        uow.commit()
    return flag


def ensure_built_in(uow: UnitOfWork, author: str, reason: str) -> list[str]:
    """Create the built-in flags that are missing; the names created."""
    created = []
    for name, spec in BUILT_IN.items():
        if uow.flags.get(name) is None:
            set_flag_in(uow, name, spec.to_json(), Change(author, reason))
            created.append(name)
    return created


def flag_history_page(
    uows: UnitOfWorkFactory, name: str, offset: int = 0, limit: int = 50
) -> list[HistoryEntry]:
    with uows(read_only=True) as uow:
        get_flag_in(uow, name)
        return uow.flag_history.page(name, offset, limit)


def flag_history(
    uows: UnitOfWorkFactory, name: str, offset: int = 0, limit: int = 50
) -> tuple[list[HistoryEntry], int]:
    """One page of a flag's versions, newest first, and how many there are."""
    with uows(read_only=True) as uow:
        get_flag_in(uow, name)
        return versioned.history_page(uow, KIND, name, offset, limit)


def flag_at(uows: UnitOfWorkFactory, name: str, version: int) -> dict[str, Any]:
    with uows(read_only=True) as uow:
        return versioned.document_at(uow, KIND, name, version)


def rollback_flag(
    uows: UnitOfWorkFactory,
    name: str,
    version: int,
    author: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Flag:
    """Store the flag as it was at ``version`` as its next version."""
    with uows() as uow:
        flag = versioned.rollback(
            uow,
            KIND,
            name,
            version,
            author=author,
            reason=reason,
            expected_version=expected_version,
        )
        uow.commit()
    return flag


def evaluate_stored(
    uows: UnitOfWorkFactory, settings: Settings, name: str, context: UserContext
) -> Evaluation:
    """``evaluate_flag`` over the stored flags (a face that holds no snapshot)."""
    return evaluate_flag(settings, {f.name: f for f in all_flags(uows)}, name, context)


def override_for(settings: Settings, name: str) -> bool | None:
    """The environment's word on a flag, which wins over the database.

    ``MODELPLANE_FLAG_<NAME>=on|off`` (also ``MODELPLANE_FLAG_OVERRIDES="a=on,b=off"``);
    for the source flags, ``MODELPLANE_MODELS_SOURCE=static`` and
    ``MODELPLANE_ROUTER_CONFIG_SOURCE=static`` mean off.
    """
    return settings.overrides().get(name)


def enrolled_share(settings: Settings, flag: Flag) -> int:
    """The percentage of users a flag enrols now: the environment override's all or
    nothing, else the percentage while the flag is on, else none."""
    override = override_for(settings, flag.name)
    if override is not None:
        return 100 if override else 0
    return flag.percentage if flag.enabled else 0


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
    "all_flags",
    "evaluate_flag",
    "evaluate_stored",
    "flag_at",
    "flag_history",
    "get_flag",
    "list_flags",
    "list_flags_with_defaults",
    "override_variable",
    "rollback_flag",
    "set_flag",
]
