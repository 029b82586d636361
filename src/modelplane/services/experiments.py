"""Experiments on the router's config: create, assign, report, and end by promoting a
variant to the live config (a new, versioned config with a reason) or discarding them all.

An experiment is a versioned document too (``KIND``): its description, variants (weights
and configs) and guardrails, which a change request can create or patch while it runs. Its
history is its rows in the audit feed. Ending it (promote or discard) is not a change of its
document and is not held by the experiment policy: it is how traffic is taken off an arm
(the guard ends one on a breach), and a promotion writes the router config, whose own
policy applies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    ApprovalRequired,
    FieldError,
    InvalidInput,
    NotFound,
    nearest,
)
from modelplane.domain.experiments import Experiment, ExperimentSpec
from modelplane.domain.history import FieldChange, HistoryEntry, diff
from modelplane.domain.router_config import RouterConfig
from modelplane.domain.statistics import analyse
from modelplane.domain.validation import validate
from modelplane.services import audit, versioned
from modelplane.services.outcomes import by_variant
from modelplane.services.router_data import (
    check_router_config,
    get_router_config_in,
    save_router_config_in,
)
from modelplane.services.versioned import Change
from modelplane.store.audit import AuditQuery, audit_page
from modelplane.store.decision_queries import DecisionQueries
from modelplane.store.feedback_repository import FeedbackRepository
from modelplane.store.outcome_queries import DecisionOutcome, OutcomeQueries
from modelplane.store.repositories import HistoryRepository
from modelplane.store.rollout_repositories import ExperimentRepository
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

_VERSIONS = ("created", "updated")
"""The audit actions that made a version of an experiment's document."""


class _History(HistoryRepository):
    """An experiment's history is its rows in the audit feed (``audit_events``; it has no
    history table): a ``created`` or ``updated`` row per version, numbered back from the
    current version. It keeps no whole documents, so there is no rollback to one."""

    def __init__(self, uow: UnitOfWork) -> None:  # no table of its own
        self._uow = uow

    def append(self, entry: HistoryEntry, document: dict[str, Any]) -> None:
        changes = [c.model_dump(mode="json") for c in entry.changes]
        self._uow.audit.record(
            "experiment",
            entry.entity_id,
            entry.change_type,
            entry.author,
            entry.at,
            entry.reason,
            changes,
        )

    def append_many(self, entries: Sequence[tuple[HistoryEntry, dict[str, Any]]]) -> None:
        for entry, document in entries:
            self.append(entry, document)

    def page(self, entity_id: str, offset: int = 0, limit: int | None = None) -> list[HistoryEntry]:
        current = self._uow.experiments.get(entity_id)
        version = current.version if current is not None else 0
        query = AuditQuery(kinds=("experiment",), entity_id=entity_id)
        rows, _ = audit_page(self._uow.connection, query, 0, None)
        entries = [
            HistoryEntry(
                entity_id=entity_id,
                version=version - i,
                change_type="created" if r.action == "created" else "updated",
                changes=[FieldChange.model_validate(c) for c in r.changes],
                author=r.actor,
                at=r.at,
                reason=r.reason,
            )
            for i, r in enumerate(r for r in rows if r.action in _VERSIONS)
            if version - i >= 1
        ]
        return entries[offset : None if limit is None else offset + limit]

    def count(self, entity_id: str) -> int:
        return len(self.page(entity_id))

    def document(self, entity_id: str, version: int) -> dict[str, Any] | None:
        return None


class _Experiments(versioned.Versioned[ExperimentSpec, Experiment]):
    kind = "experiment"
    change_kind = "experiment"
    spec_type = ExperimentSpec
    value_type = Experiment

    def rows(self, uow: UnitOfWork) -> ExperimentRepository:
        return uow.experiments

    def get(self, uow: UnitOfWork, key: str) -> Experiment | None:
        return uow.experiments.get(key)

    def history(self, uow: UnitOfWork) -> HistoryRepository:
        return _History(uow)

    def keys(self, uow: UnitOfWork) -> list[str]:
        return [e.name for e in uow.experiments.all()]

    def check(
        self, uow: UnitOfWork, key: str, spec: ExperimentSpec, current: Experiment | None
    ) -> None:
        """A running experiment only (an ended one is a record); every variant's config
        valid like the live one."""
        if current is not None and current.status != "running":
            raise InvalidInput(
                [FieldError("name", f"experiment {key!r} has ended; it cannot be changed")]
            )
        if spec.name != key:
            raise InvalidInput([FieldError("name", f"must be {key!r}, the experiment's name")])
        _check_variants(uow, spec)

    def audit(
        self, current: Experiment | None, version: int, author: str, at: datetime
    ) -> dict[str, Any]:
        if current is None:
            return {"version": version, "created_at": at, "created_by": author}
        kept = {"status", "created_at", "created_by", "ended_at", "ended_by", "outcome"}
        return {**current.model_dump(include=kept), "version": version}


KIND = _Experiments()


def _check_variants(uow: UnitOfWork, spec: ExperimentSpec) -> None:
    errors: list[FieldError] = []
    for i, variant in enumerate(spec.variants):
        try:
            check_router_config(uow, variant.config, prefix=f"variants[{i}].config.")
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput(errors)


def create_experiment(uows: UnitOfWorkFactory, data: Any, author: str) -> Experiment:
    """Start an experiment; every variant's config is validated like the live one. Under
    an experiment policy that asks for approvers this is refused (``ApprovalRequired``,
    carrying the change to open a request with) unless it is an emergency override."""
    spec = validate(ExperimentSpec, data)
    with uows() as uow:
        if uow.experiments.get(spec.name) is not None:
            raise AlreadyExists("experiment", spec.name)
        _check_variants(uow, spec)
        try:
            override = versioned.check_policy(uow, KIND.change_kind)
        except ApprovalRequired as exc:
            patch = {k: v for k, v in spec.to_json().items() if k != "name"}
            exc.change = {"kind": "experiment", "id": spec.name, "patch": patch}
            exc.change["expectedVersion"] = 0
            exc.reason = spec.description
            raise
        why = spec.description if override is None else f"emergency override: {override}"
        experiment = Experiment.model_validate(
            {**spec.model_dump(), "created_at": utcnow(), "created_by": author}
        )
        uow.experiments.add(experiment)
        uow.touch("experiment", spec.name)
        weights = {v.name: v.weight for v in spec.variants}
        changes = [FieldChange(field="variants", old=None, new=weights)]
        audit.record(uow, "experiment", spec.name, "created", author, why, changes)
        uow.commit()
    return experiment


def get_experiment_in(uow: UnitOfWork, name: str) -> Experiment:
    experiment = uow.experiments.get(name)
    if experiment is None:
        names = [e.name for e in uow.experiments.all()]
        raise NotFound("experiment", name, nearest(name, names))
    return experiment


def get_experiment(uows: UnitOfWorkFactory, name: str) -> Experiment:
    with uows(read_only=True) as uow:
        return get_experiment_in(uow, name)


def list_experiments(uows: UnitOfWorkFactory) -> list[Experiment]:
    with uows(read_only=True) as uow:
        return uow.experiments.all()


def end_experiment(
    uows: UnitOfWorkFactory,
    name: str,
    author: str,
    promote: str | None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> RouterConfig | None:
    """End ``name``. With ``promote``, that variant's config becomes the live config, if the
    live config is still at ``expected_version`` (the version whose diff the promoter saw);
    ``None`` means "whatever is current" and is for trusted callers only (the CLI)."""
    with uows() as uow:
        experiment = get_experiment_in(uow, name)
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
            report = _report(uow, name)
            why = reason or f"promoted variant {promote!r} of experiment {name!r}"
            why = f"{why}; verdict: {report['summary']}"[:2000]
            get_router_config_in(uow)
            change = Change(author, why)
            config = save_router_config_in(uow, variant.config, change, expected_version)
            outcome = f"promoted {promote}"
        else:
            outcome = "discarded"
        uow.experiments.end(name, utcnow(), author, outcome)
        uow.touch("experiment", name)
        changes = [
            FieldChange(field="status", old="running", new="ended"),
            FieldChange(field="outcome", old=None, new=outcome),
        ]
        audit.record(uow, "experiment", name, "ended", author, reason, changes)
        uow.commit()
    return config


def experiment_overview(
    uows: UnitOfWorkFactory, name: str
) -> tuple[Experiment, dict[str, Any], dict[str, list[FieldChange]], int]:
    """In one read: the experiment, its report, each variant's changes against the live
    config, and the live config's version (what a promotion must be based on)."""
    with uows(read_only=True) as uow:
        experiment = get_experiment_in(uow, name)
        report = _report(uow, name)
        live = get_router_config_in(uow)
    current = live.doc().to_json()
    changes = {v.name: diff(current, v.config.to_json()) for v in experiment.variants}
    return experiment, report, changes, live.version


def experiment_report(uows: UnitOfWorkFactory, name: str) -> dict[str, Any]:
    """Per variant: decisions, tier mix, exploration rate, mean estimated cost per 1K tokens
    (one read-only transaction)."""
    with uows(read_only=True) as uow:
        return _report(uow, name)


def _report(uow: UnitOfWork, name: str) -> dict[str, Any]:
    experiment = get_experiment_in(uow, name)
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
    outcomes = OutcomeQueries(uow.connection).for_experiment(name)
    arms = by_variant(outcomes, [v.name for v in experiment.variants])
    weights = {v.name: float(v.weight) for v in experiment.variants}
    analysis = analyse(arms, weights)
    orphaned = FeedbackRepository(uow.connection).orphaned()
    return {
        "experiment": experiment.name,
        "status": experiment.status,
        "outcome": experiment.outcome,
        **analysis,
        "orphanedFeedback": orphaned,
        "guardrails": [g.to_json() for g in experiment.guardrails or []],
        "series": _series(outcomes, [v.name for v in experiment.variants]),
        "variants": variants,
    }


def _series(outcomes: Sequence[DecisionOutcome], variants: Sequence[str]) -> list[dict[str, Any]]:
    """Per hour (UTC), per variant: requests and mean cost per request (for the charts)."""
    hours: dict[str, dict[str, list[float]]] = {}
    counts: dict[str, dict[str, int]] = {}
    for o in outcomes:
        hour = o.at.strftime("%Y-%m-%dT%H:00Z")
        counts.setdefault(hour, dict.fromkeys(variants, 0))
        variant = o.variant
        if variant is not None and variant in variants:
            counts[hour][variant] += 1
            if o.usage_events:
                hours.setdefault(hour, {}).setdefault(variant, []).append(float(o.cost))
    return [
        {
            "hour": hour,
            "requests": counts[hour],
            "costPerRequest": {
                v: (sum(c) / len(c) if (c := hours.get(hour, {}).get(v)) else None)
                for v in variants
            },
        }
        for hour in sorted(counts)
    ]


def experiments_naming(uows: UnitOfWorkFactory, model_id: str) -> list[Experiment]:
    """The experiments whose variants' router configs name ``model_id`` anywhere (as the
    router or fallback model, in a rule, in a list), newest first."""
    needle = json.dumps(model_id)
    return [
        e
        for e in list_experiments(uows)
        if any(needle in json.dumps(v.config.model_dump(mode="json")) for v in e.variants)
    ]
