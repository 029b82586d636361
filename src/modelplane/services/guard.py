"""The guard: checks every guarded rollout and experiment, rolls back on a breach, and walks
progressive schedules forward.

For a flag that is partly rolled out (on, between 0% and 100%), its guardrails compare the
decisions it enrolled with the rest, over the decisions since its current step began (its
last versioned change). A breach (evidence, not a hunch: the always-valid interval clears
the bound; ``domain/guardrails.check``) sets it back to its schedule's previous step, or 0%,
and pauses the schedule: a versioned change whose reason holds the evidence. Otherwise, a
flag with a running schedule advances to the next step once it has dwelt long enough and
every guardrail holds with its minimum sample. A running experiment with guardrails checks
each variant against the first (control); a breach ends it with discard. Each action is a
``guard_events`` row too (the console's banner) and a change the event stream publishes.

It runs once across all processes: ``modelplane guard run`` from cron, or the server's loop
(``GuardLoop``) in whichever process holds the database lease (``guard_leases``), renewed
each round and taken over when it expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.experiments import Experiment
from modelplane.domain.flags import Flag
from modelplane.domain.guardrails import Guardrail, GuardrailCheck, check
from modelplane.domain.validation import validate
from modelplane.services.experiments import end_experiment, get_experiment_in
from modelplane.services.flags import get_flag_in, set_flag_in
from modelplane.services.outcomes import CONTROL, ENROLLED, by_enrolment, by_variant
from modelplane.services.versioned import Change
from modelplane.store.guard_repository import GuardRepository
from modelplane.store.outcome_queries import OutcomeQueries
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
GUARD_AUTHOR = "guard"
LEASE = "guard"


@dataclass(frozen=True)
class GuardAction:
    kind: str
    """``flag`` or ``experiment``."""
    name: str
    action: str
    """``rolled_back``, ``advanced``, ``discarded``."""
    reason: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "reason": self.reason,
            "checks": self.checks,
        }


# Setting guardrails and schedules ------------------------------------------------------------


def _guardrails(data: Any) -> list[dict[str, Any]] | None:
    if data is None:
        return None
    if not isinstance(data, list):
        raise InvalidInput([FieldError("guardrails", "must be a list of guardrails")])
    errors: list[FieldError] = []
    for i, item in enumerate(data):
        try:
            validate(Guardrail, item, prefix=f"guardrails[{i}]")
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput(errors)
    return data


def set_flag_guardrails(
    uows: UnitOfWorkFactory, name: str, guardrails: Any, author: str, reason: str | None = None
) -> Flag:
    """Replace a flag's guardrails (``None`` removes them): a versioned change."""
    with uows() as uow:
        get_flag_in(uow, name)
        flag = set_flag_in(
            uow, name, {"guardrails": _guardrails(guardrails)}, Change(author, reason)
        )
        uow.commit()
    return flag


def set_flag_schedule(
    uows: UnitOfWorkFactory, name: str, schedule: Any, author: str, reason: str | None = None
) -> Flag:
    """Give a flag a progressive schedule ``{steps, dwellSeconds, paused?}`` (``None``
    removes it); the flag is switched on. A versioned change."""
    with uows() as uow:
        get_flag_in(uow, name)
        changes: dict[str, Any] = {"schedule": schedule}
        if schedule is not None:
            changes["enabled"] = True
        flag = set_flag_in(uow, name, changes, Change(author, reason))
        uow.commit()
    return flag


def pause_schedule(
    uows: UnitOfWorkFactory, name: str, paused: bool, author: str, reason: str | None = None
) -> Flag:
    """Pause (or resume) a flag's schedule."""
    with uows() as uow:
        flag = get_flag_in(uow, name)
        if flag.schedule is None:
            raise InvalidInput([FieldError("schedule", f"flag {name!r} has no schedule")])
        flag = set_flag_in(uow, name, {"schedule": {"paused": paused}}, Change(author, reason))
        uow.commit()
    return flag


def set_experiment_guardrails(
    uows: UnitOfWorkFactory, name: str, guardrails: Any, author: str
) -> Experiment:
    """Replace a running experiment's guardrails (``None`` removes them)."""
    checked = _guardrails(guardrails)
    with uows() as uow:
        experiment = get_experiment_in(uow, name)
        if experiment.status != "running":
            raise InvalidInput([FieldError("name", f"experiment {name!r} has already ended")])
        GuardRepository(uow.connection).set_experiment_guardrails(name, checked)
        uow.touch("experiment", name)
        uow.commit()
        return get_experiment_in(uow, name)


def guard_events(uows: UnitOfWorkFactory, since: datetime | None = None) -> list[dict[str, Any]]:
    """What the guard did, newest first."""
    with uows(read_only=True) as uow:
        return GuardRepository(uow.connection).events(since)


# One round -----------------------------------------------------------------------------------


def run_guard(uows: UnitOfWorkFactory, now: datetime | None = None) -> list[GuardAction]:
    """Check every guarded flag and experiment once; each action in its own transaction."""
    moment = now or utcnow()
    with uows(read_only=True) as uow:
        flags = [f.name for f in uow.flags.all() if f.guardrails or f.schedule]
        experiments = [
            e.name for e in uow.experiments.all() if e.status == "running" and e.guardrails
        ]
    actions: list[GuardAction] = []
    for name in flags:
        action = _guard_flag(uows, name, moment)
        if action is not None:
            actions.append(action)
    for name in experiments:
        action = _guard_experiment(uows, name, moment)
        if action is not None:
            actions.append(action)
    return actions


def flag_status(uows: UnitOfWorkFactory, name: str) -> dict[str, Any]:
    """A flag, its schedule, and how each guardrail stands now."""
    with uows(read_only=True) as uow:
        flag = get_flag_in(uow, name)
        checks = flag_checks(uow, flag)
    return {"flag": flag.to_json(), "checks": [c.to_json() for c in checks]}


def flag_checks(uow: UnitOfWork, flag: Flag) -> list[GuardrailCheck]:
    """The flag's guardrails judged on the decisions since its current step began."""
    since = flag.updated_at or utcnow()
    outcomes = OutcomeQueries(uow.connection).since(since)
    arms = by_enrolment(outcomes, flag.name)
    return [check(g, arms[CONTROL], arms[ENROLLED]) for g in flag.guardrails or []]


def _guard_flag(uows: UnitOfWorkFactory, name: str, now: datetime) -> GuardAction | None:
    with uows() as uow:
        flag = get_flag_in(uow, name)
        if not flag.enabled or flag.percentage >= 100:
            return None
        checks = flag_checks(uow, flag) if flag.percentage > 0 else []
        breached = [c for c in checks if c.status == "breached"]
        schedule = flag.schedule
        if breached:
            target = schedule.previous_step(flag.percentage) if schedule else 0
            evidence = "; ".join(c.evidence() for c in breached)
            reason = (
                f"guard: rolled back from {flag.percentage}% to {target}% on a guardrail "
                f"breach: {evidence}"
            )[:2000]
            changes: dict[str, Any] = {"percentage": target}
            if schedule is not None:
                changes["schedule"] = {"paused": True}
            action = "rolled_back"
        elif schedule is not None and not schedule.paused:
            step = schedule.next_step(flag.percentage)
            dwelt = flag.updated_at is None or now - flag.updated_at >= timedelta(
                seconds=schedule.dwell_seconds
            )
            if step is None or not dwelt or any(c.status != "holding" for c in checks):
                return None
            held = "; ".join(c.evidence() for c in checks) or "no guardrails"
            reason = (
                f"guard: advanced from {flag.percentage}% to {step}% after "
                f"{schedule.dwell_seconds}s with every guardrail holding: {held}"
            )[:2000]
            changes = {"percentage": step}
            action = "advanced"
        else:
            return None
        set_flag_in(uow, name, changes, Change(GUARD_AUTHOR, reason))
        json_checks = [c.to_json() for c in checks]
        GuardRepository(uow.connection).add_event(
            now, "flag", name, action, {"reason": reason, "checks": json_checks}
        )
        uow.commit()
    log.warning("%s", reason)
    return GuardAction("flag", name, action, reason, json_checks)


def experiment_checks(uow: UnitOfWork, experiment: Experiment) -> list[GuardrailCheck]:
    """Each guardrail for each variant against the first (control)."""
    names = [v.name for v in experiment.variants]
    arms = by_variant(OutcomeQueries(uow.connection).for_experiment(experiment.name), names)
    control = arms[names[0]]
    return [check(g, control, arms[n]) for n in names[1:] for g in experiment.guardrails or []]


def _guard_experiment(uows: UnitOfWorkFactory, name: str, now: datetime) -> GuardAction | None:
    with uows(read_only=True) as uow:
        experiment = get_experiment_in(uow, name)
        checks = experiment_checks(uow, experiment)
    breached = [c for c in checks if c.status == "breached"]
    if experiment.status != "running" or not breached:
        return None
    evidence = "; ".join(c.evidence() for c in breached)
    reason = f"guard: discarded on a guardrail breach: {evidence}"[:2000]
    with uows() as uow:
        end_experiment(uow, name, GUARD_AUTHOR, None, reason)
        json_checks = [c.to_json() for c in checks]
        GuardRepository(uow.connection).add_event(
            now, "experiment", name, "discarded", {"reason": reason, "checks": json_checks}
        )
        uow.commit()
    log.warning("%s", reason)
    return GuardAction("experiment", name, "discarded", reason, json_checks)


# Leadership and the loop --------------------------------------------------------------------


def take_lease(
    uows: UnitOfWorkFactory, holder: str, ttl: float, now: datetime | None = None
) -> bool:
    """Become (or stay) the guard's leader for ``ttl`` seconds, if no one else is."""
    moment = now or utcnow()
    with uows() as uow:
        taken = GuardRepository(uow.connection).take_lease(
            LEASE, holder, moment, moment + timedelta(seconds=ttl)
        )
        uow.commit()
    return taken


def lease_holder(uows: UnitOfWorkFactory) -> str | None:
    with uows(read_only=True) as uow:
        return GuardRepository(uow.connection).holder(LEASE, utcnow())


class GuardLoop:
    """Every ``interval`` seconds: take or renew the lease (three intervals long), and if
    this process holds it, run one guard round. A round that fails is logged and retried."""

    def __init__(self, uows: UnitOfWorkFactory, interval: float) -> None:
        self._uows = uows
        self._interval = interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="guard", daemon=True)
        self.rounds = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if take_lease(self._uows, self.holder, self._interval * 3):
                    run_guard(self._uows)
                    self.rounds += 1
            except Exception as exc:  # the database may be away: try again next round
                log.warning("guard round failed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
