"""Experiments on the router's config: create, assign, report, and end by promoting a
variant to the live config (a new, versioned config with a reason) or discarding them all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import AlreadyExists, FieldError, InvalidInput, NotFound, nearest
from modelplane.domain.experiments import Experiment, ExperimentSpec
from modelplane.domain.router_config import RouterConfig
from modelplane.services._common import validate
from modelplane.services.routing_data import check_router_config, replace_router_config
from modelplane.store.decision_queries import DecisionQueries
from modelplane.store.rollout_repositories import ExperimentRepository
from modelplane.store.unit_of_work import UnitOfWork


def create_experiment(uow: UnitOfWork, data: Any, author: str) -> Experiment:
    """Start an experiment; every variant's config is validated like the live one."""
    spec = validate(ExperimentSpec, data)
    repo = ExperimentRepository(uow.connection)
    if repo.get(spec.name) is not None:
        raise AlreadyExists("experiment", spec.name)
    errors: list[FieldError] = []
    for i, variant in enumerate(spec.variants):
        try:
            check_router_config(uow, variant.config)
        except InvalidInput as exc:
            errors += [FieldError(f"variants[{i}].config.{e.path}", e.message) for e in exc.errors]
    if errors:
        raise InvalidInput(errors)
    experiment = Experiment.model_validate(
        {**spec.model_dump(), "created_at": utcnow(), "created_by": author}
    )
    repo.add(experiment)
    uow.touch("experiment", spec.name)
    return experiment


def get_experiment(uow: UnitOfWork, name: str) -> Experiment:
    repo = ExperimentRepository(uow.connection)
    experiment = repo.get(name)
    if experiment is None:
        raise NotFound("experiment", name, nearest(name, [e.name for e in repo.all()]))
    return experiment


def list_experiments(uow: UnitOfWork) -> list[Experiment]:
    return ExperimentRepository(uow.connection).all()


def end_experiment(
    uow: UnitOfWork,
    name: str,
    author: str,
    promote: str | None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> RouterConfig | None:
    """End ``name``. With ``promote``, that variant's config becomes the live config, if the
    live config is still at ``expected_version`` (the version whose diff the promoter saw);
    ``None`` means "whatever is current" and is for trusted callers only (the CLI)."""
    experiment = get_experiment(uow, name)
    if experiment.status != "running":
        raise InvalidInput([FieldError("name", f"experiment {name!r} has already ended")])
    config = None
    if promote is not None:
        variant = experiment.variant(promote)
        if variant is None:
            names = ", ".join(v.name for v in experiment.variants)
            raise InvalidInput(
                [FieldError("promote", f"no variant {promote!r}; variants: {names}")]
            )
        why = reason or f"promoted variant {promote!r} of experiment {name!r}"
        config = replace_router_config(uow, variant.config, author, expected_version, why)
        outcome = f"promoted {promote}"
    else:
        outcome = "discarded"
    ExperimentRepository(uow.connection).end(name, utcnow(), author, outcome)
    uow.touch("experiment", name)
    return config


def experiment_report(uow: UnitOfWork, name: str) -> dict[str, Any]:
    """Per variant: decisions, tier mix, exploration rate, mean estimated cost per 1K tokens."""
    experiment = get_experiment(uow, name)
    decisions = DecisionQueries(uow.connection)
    counts = decisions.variant_counts(name)
    costs = decisions.variant_costs(name)
    variants = []
    for variant in experiment.variants:
        row = counts.get(variant.name)
        n = row.decisions if row else 0
        spent = costs.get(variant.name, [])
        mean_cost = sum(spent, Decimal(0)) / len(spent) if spent else None
        variants.append(
            {
                "variant": variant.name,
                "weight": variant.weight,
                "decisions": n,
                "tierMix": {
                    tier: (row.tiers[tier] / n if row and n else 0.0)
                    for tier in ("cheap", "mid", "premium")
                },
                "explorationRate": row.explored / n if row and n else 0.0,
                "meanCostPer1kTokens": float(round(mean_cost, 8))
                if mean_cost is not None
                else None,
            }
        )
    return {
        "experiment": experiment.name,
        "status": experiment.status,
        "outcome": experiment.outcome,
        "variants": variants,
    }
