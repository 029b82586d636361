"""The experiments pages: the list, a form to start one (each variant a whole router config,
edited as JSON and checked by the same validators as the live config), the per-variant
report, and ending it by promoting one variant or discarding them all."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from modelplane.domain.errors import (
    AlreadyExists,
    FieldError,
    InvalidInput,
    NotFound,
    VersionConflict,
)
from modelplane.services import experiments as svc
from modelplane.services import guard
from modelplane.services.router_data import get_router_config
from modelplane.web.charts import line_chart
from modelplane.web.console import Console, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.forms import ParsedForm, form_version, parse_form

router = APIRouter(prefix="/admin/experiments")

FORM_META = ("csrf_token", "add_variant", "remove_variant")
MAX_VARIANTS = 10


@router.get("", response_class=HTMLResponse)
def experiments_page(console: SignedIn) -> Response:
    experiments = svc.list_experiments(console.uows)
    running = [e for e in experiments if e.status == "running"]
    ended = [e for e in experiments if e.status != "running"]
    return console.page("experiments.html", running=running, ended=ended)


# Create --------------------------------------------------------------------------------------


@router.get("/new", response_class=HTMLResponse)
def new_experiment(console: EditorConsole) -> Response:
    live = _live_config_text(console)
    values: dict[str, Any] = {"name": "", "description": ""}
    for i, (name, weight) in enumerate((("control", 50), ("candidate", 50))):
        values |= {f"variants[{i}].name": name, f"variants[{i}].weight": str(weight)}
        values[f"variants[{i}].config"] = live
    return _form(console, values, 2, [])


@router.post("/new", response_class=HTMLResponse)
def create_experiment(console: EditorConsole, form: CheckedForm) -> Response:
    parsed = parse_form(form.multi_items(), meta=FORM_META)
    slots = _slots(parsed)
    if "add_variant" in parsed.meta and slots < MAX_VARIANTS:
        parsed.values |= {
            f"variants[{slots}].name": "",
            f"variants[{slots}].weight": "0",
            f"variants[{slots}].config": _live_config_text(console),
        }
        return _form(console, parsed.values, slots + 1, [])
    if "remove_variant" in parsed.meta:
        values = _without(parsed.values, slots, _index(parsed.meta["remove_variant"]))
        return _form(console, values, max(slots - 1, 1), [])
    try:
        if parsed.errors:  # JSON that does not parse: report it with whatever else is wrong
            svc.create_experiment(console.uows, parsed.document, console.author)
            raise InvalidInput(parsed.errors)
        created = svc.create_experiment(console.uows, parsed.document, console.author)
    except InvalidInput as exc:
        return _form(console, parsed.values, slots, _merge(parsed.errors, exc.errors), 422)
    except AlreadyExists as exc:
        return _form(console, parsed.values, slots, [FieldError("name", str(exc))], 409)
    weights = ", ".join(f"{v.name} {v.weight}%" for v in created.variants)
    return console.redirect(
        f"/admin/experiments/{created.name}", notice=f"Started {created.name}: {weights}."
    )


def _form(
    console: Console,
    values: dict[str, Any],
    slots: int,
    errors: list[FieldError],
    status: int = 200,
) -> Response:
    return console.page(
        "experiment_form.html",
        status=status,
        values=values,
        slots=slots,
        errors=errors,
        max_variants=MAX_VARIANTS,
    )


def _live_config_text(console: Console) -> str:
    config = get_router_config(console.uows)
    return json.dumps(config.doc().to_json(), indent=2)


def _slots(parsed: ParsedForm) -> int:
    """How many variant rows the form had (at least one)."""
    indices = [
        int(path.split("]")[0].removeprefix("variants["))
        for path in parsed.values
        if path.startswith("variants[")
    ]
    return max(indices, default=0) + 1


def _without(values: dict[str, Any], slots: int, index: int | None) -> dict[str, Any]:
    """The form's values with variant ``index`` removed and the later ones moved up."""
    if index is None or slots <= 1:
        return values
    kept = {k: v for k, v in values.items() if not k.startswith("variants[")}
    target = 0
    for i in range(slots):
        if i == index:
            continue
        for part in ("name", "weight", "config"):
            kept[f"variants[{target}].{part}"] = values.get(f"variants[{i}].{part}", "")
        target += 1
    return kept


def _merge(first: list[FieldError], then: list[FieldError]) -> list[FieldError]:
    """``first``, then the errors of ``then`` at paths ``first`` does not already explain."""
    seen = {e.path for e in first}
    return [*first, *(e for e in then if e.path not in seen)]


def _index(value: str) -> int | None:
    return int(value) if value.isdigit() else None


# One experiment ------------------------------------------------------------------------------


@router.get("/{name}", response_class=HTMLResponse)
def experiment_page(console: SignedIn, name: str) -> Response:
    try:
        experiment, report, changes, version = svc.experiment_overview(console.uows, name)
    except NotFound:
        return console.page("missing.html", status=404, what=f"experiment {name!r}", hint=None)
    return console.page(
        "experiment.html",
        experiment=experiment,
        report=report,
        charts=_charts(report),
        guard_alerts=[
            e
            for e in guard.guard_events(console.uows)
            if e["name"] == name and e["kind"] == "experiment"
        ],
        changes=changes,
        config_version=version,
        readonly=not console.can("editor"),
    )


def _charts(report: dict[str, Any]) -> list[Markup]:
    """Per variant, requests per hour and mean cost per request per hour."""
    series = report.get("series", [])
    hours = [row["hour"][5:16].replace("T", " ") for row in series]
    charts = []
    for variant in report.get("arms", {}):
        requests = [float(row["requests"].get(variant, 0)) for row in series]
        charts.append(line_chart(hours, requests, f"{variant}: requests per hour"))
        costs = [row["costPerRequest"].get(variant) or 0.0 for row in series]
        charts.append(line_chart(hours, costs, f"{variant}: cost per request", _usd))
    return charts


def _usd(value: float) -> str:
    return f"${value:.5f}"


@router.post("/{name}/end", response_class=HTMLResponse)
def end_experiment(console: EditorConsole, form: CheckedForm, name: str) -> Response:
    promote = str(form.get("promote") or "").strip() or None
    reason = str(form.get("reason") or "").strip() or None
    if promote is None and form.get("discard") != "yes":
        return console.redirect(
            f"/admin/experiments/{name}", refused="Choose a variant or discard."
        )
    try:
        # Promoting replaces the live config: only the version whose diff the page showed.
        expected = form_version(form.get("expectedVersion")) if promote is not None else None
        config = svc.end_experiment(console.uows, name, console.author, promote, reason, expected)
    except (InvalidInput, NotFound, VersionConflict) as exc:
        return console.redirect(f"/admin/experiments/{name}", refused=f"Not ended: {exc}")
    if config is None:
        notice = f"Ended {name}: all variants discarded; the live config is unchanged."
    else:
        notice = f"Promoted {promote}: the router config is now version {config.version}."
    return console.redirect(f"/admin/experiments/{name}", notice=notice)


__all__ = ["router"]
