"""Who gets what: the one decision, per request, of which data source serves a user, which
experiment arm they are in, and whether the request is shadowed (parity mode).

Pure: it reads only its arguments (the user, one snapshot's flags and running experiments,
the environment's overrides and a random roll) and touches no database, clock or global.

- Data source: the ``models_source`` flag chooses the catalogue's source and the
  ``router_config_source`` flag the routing data's (dials, profiles, categories); on means
  the database, off the static tables. An environment override wins over the flag.
- Experiment arm: the variant of the first running experiment that takes the user, only if
  the routing data comes from the database (experiments live there).
- Shadowing: the ``parity_shadow`` flag's percentage is the share of requests shadowed (an
  override on means every request, off none); ``roll`` is a number in [0, 100).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from modelplane.domain.experiments import Experiment, assign
from modelplane.domain.flags import (
    MODELS_SOURCE,
    ROUTER_CONFIG_SOURCE,
    FlagSpec,
    UserContext,
    evaluate,
)
from modelplane.domain.router_config import RouterConfigDoc

Source = Literal["db", "static"]
SAMPLE_FLAG = "parity_shadow"
"""The flag whose percentage is the share of requests shadowed (off by default)."""

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


@dataclass(frozen=True)
class Arm:
    """The experiment variant a user is assigned to, and the config it routes with."""

    experiment: str
    variant: str
    config: RouterConfigDoc


@dataclass(frozen=True)
class Assignment:
    models: Source
    """Where the catalogue comes from for this request."""
    router_data: Source
    """Where the router's dials, profiles and categories come from."""
    arm: Arm | None = None
    shadowed: bool = False

    @property
    def sources(self) -> tuple[Source, Source]:
        return self.models, self.router_data


def choose(
    context: UserContext,
    flags: Mapping[str, FlagSpec],
    experiments: Sequence[Experiment],
    overrides: Mapping[str, bool],
    *,
    defaults: Mapping[str, FlagSpec],
    roll: float | None = None,
) -> Assignment:
    """The assignment of one request. ``flags`` are the stored flags; ``defaults`` how a
    known flag with no row yet evaluates (``KNOWN`` below). ``roll`` ``None`` means
    the request cannot be shadowed (a process without the live snapshot)."""
    models = _source(MODELS_SOURCE, context, flags, defaults, overrides)
    router_data = _source(ROUTER_CONFIG_SOURCE, context, flags, defaults, overrides)
    arm = _arm(context, experiments) if router_data == "db" else None
    shadowed = roll is not None and _sampled(shadow_share(flags, overrides), roll)
    return Assignment(models, router_data, arm, shadowed)


def environment_sources(overrides: Mapping[str, bool]) -> Assignment:
    """The sources for a process that has no user (the one-shot CLI, the console's
    process-wide reader): only the environment can turn a source off."""
    return Assignment(
        "static" if overrides.get(MODELS_SOURCE) is False else "db",
        "static" if overrides.get(ROUTER_CONFIG_SOURCE) is False else "db",
    )


def needs_database(overrides: Mapping[str, bool]) -> bool:
    """False when the environment sends everything to the static tables: nothing (the
    decision log included) may then touch a database."""
    return "db" in environment_sources(overrides).sources


def shadow_share(flags: Mapping[str, FlagSpec], overrides: Mapping[str, bool]) -> int:
    """The percentage of requests to shadow now."""
    override = overrides.get(SAMPLE_FLAG)
    if override is not None:
        return 100 if override else 0
    flag = flags.get(SAMPLE_FLAG)
    return flag.percentage if flag is not None and flag.enabled else 0


def _source(
    name: str,
    context: UserContext,
    flags: Mapping[str, FlagSpec],
    defaults: Mapping[str, FlagSpec],
    overrides: Mapping[str, bool],
) -> Source:
    flag = flags.get(name) or defaults.get(name) or FlagSpec(name=name)
    return "db" if evaluate(flag, context, overrides.get(name)).enabled else "static"


def _arm(context: UserContext, experiments: Sequence[Experiment]) -> Arm | None:
    for experiment in experiments:
        if experiment.status != "running":
            continue
        variant = assign(experiment, context)
        if variant is not None:
            return Arm(experiment.name, variant.name, variant.config)
    return None


def _sampled(percentage: int, roll: float) -> bool:
    return percentage >= 100 or (percentage > 0 and roll < percentage)


__all__ = [
    "SAMPLE_FLAG",
    "Arm",
    "Assignment",
    "Source",
    "choose",
    "environment_sources",
    "needs_database",
    "shadow_share",
]
