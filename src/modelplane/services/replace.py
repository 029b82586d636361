"""Replace one model by another everywhere it is named, as one change.

``replace_model(OLD, NEW)`` moves every reference in one transaction: the router config
(fallback model, router model, any other place that names OLD, such as the research match),
OLD's profile (copied to NEW when NEW has none), the running experiments' variant configs;
then OLD is deprecated, its successor set to NEW, with a reason naming NEW. A dry run does
all of it in the transaction and rolls back, so the preview is the change itself.
"""

from __future__ import annotations

from typing import Any

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.experiments import Experiment
from modelplane.domain.history import FieldChange, diff
from modelplane.domain.profiles import ProfileSpec
from modelplane.domain.router_config import RouterConfigDoc
from modelplane.domain.validation import validate, validate_reason
from modelplane.services.models import get_model_in, save_in
from modelplane.services.router_data import put_profile_in, save_router_config_in
from modelplane.services.versioned import Change
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory


def replace_model(
    uows: UnitOfWorkFactory,
    old: str,
    new: str,
    author: str,
    dry_run: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    why = validate_reason(reason) or f"replaced by {new}"
    with uows() as uow:
        report = _replace(uow, old, new, author, why)
        report["dryRun"] = dry_run
        if not dry_run:
            uow.commit()
    return report


def _replace(uow: UnitOfWork, old: str, new: str, author: str, why: str) -> dict[str, Any]:
    if old == new:
        raise InvalidInput([FieldError("new", "must differ from the model it replaces")])
    current = get_model_in(uow, old)
    successor = get_model_in(uow, new)
    if successor.status == "deprecated":
        raise InvalidInput([FieldError("new", f"model {new!r} is deprecated")])
    change = Change(author, why)
    report: dict[str, Any] = {"old": old, "new": new, "reason": why}
    config = uow.router_config.get()
    report["routerConfig"] = []
    if config is not None:
        before = config.doc().to_json()
        after = _renamed(before, old, new)
        if after != before:
            save_router_config_in(uow, validate(RouterConfigDoc, after), change, None)
            report["routerConfig"] = _changes(diff(before, after))
    report["profile"] = _move_profile(uow, old, new, change)
    report["experiments"] = []
    for experiment in uow.experiments.all():
        if experiment.status != "running":
            continue
        before = experiment.to_json()
        after = _renamed(before, old, new)
        if after != before:
            moved = Experiment.model_validate(after)
            uow.experiments.replace_variants(moved)
            uow.touch("experiment", experiment.name)
            report["experiments"].append(
                {"name": experiment.name, "changes": _changes(diff(before, after))}
            )
    spec = current.spec().model_copy(update={"status": "deprecated", "successor_id": new})
    if spec != current.spec():
        save_in(uow, spec, Change(author, why, "deprecated"), None)
    report["model"] = _changes(diff(current.spec().to_json(), spec.to_json()))
    return report


def _move_profile(uow: UnitOfWork, old: str, new: str, change: Change) -> str:
    profile = uow.profiles.get(old)
    if profile is None:
        return "none"
    if uow.profiles.get(new) is not None:
        return f"kept {new}'s own profile"
    data = {**profile.spec().to_json(), "modelId": new}
    put_profile_in(uow, validate(ProfileSpec, data), change, None)
    return f"copied {old}'s profile to {new}"


def _renamed(node: Any, old: str, new: str) -> Any:
    """The JSON document with every string value equal to ``old`` replaced by ``new``."""
    if isinstance(node, dict):
        return {key: _renamed(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed(value, old, new) for value in node]
    return new if node == old else node


def _changes(changes: list[FieldChange]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in changes]
