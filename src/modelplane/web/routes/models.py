"""The model pages: the table, create and edit, history and restore, row actions, and the
fragments the live updates fetch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    FieldError,
    InvalidInput,
    NotFound,
    VersionConflict,
    errors_json,
    nearest,
)
from modelplane.domain.flags import MODELS_SOURCE
from modelplane.domain.history import diff
from modelplane.domain.models import (
    CAPABILITIES,
    STATUSES,
    Capability,
    Model,
    ModelSpec,
    Pricing,
)
from modelplane.domain.prices import SINCE_EVER, parse_moment, timeline_json
from modelplane.domain.pricing import cost, reference_cost, tier_for
from modelplane.domain.reader import ModelFilter
from modelplane.domain.validation import require_reason, validate
from modelplane.services import experiments as experiments_svc
from modelplane.services import flags as flags_svc
from modelplane.services import models as svc
from modelplane.services import prices
from modelplane.web import price_effect as effects
from modelplane.web.charts import line_chart
from modelplane.web.console import AdminConsole, Console, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.filters import usd
from modelplane.web.forms import ParsedForm, document_values, form_version, parse_form
from modelplane.web.labels import humane
from modelplane.web.urls import model_url

router = APIRouter(prefix="/admin/models")

JSON_FIELDS = ("reasoning", "benchmarks", "pricing.tiers")
SPEED_TIERS = ("ultra-fast", "fast", "medium", "slow")
PAGE_SIZES = (50, 100, 250, 500, 2500)
_SORTS: dict[str, Callable[[Model], Any]] = {
    "name": lambda m: (m.name.lower(), m.id),
    "provider": lambda m: (m.provider, m.name.lower()),
    "input": lambda m: (m.pricing.input, m.id),
    "output": lambda m: (m.pricing.output, m.id),
    "context": lambda m: (m.context_window, m.id),
    "status": lambda m: (m.status, m.id),
    "changed": lambda m: (m.updated_at.timestamp() if m.updated_at else 0.0, m.id),
}
COLUMNS = (
    ("name", "Name"),
    ("provider", "Provider"),
    ("input", "Input $/1M"),
    ("output", "Output $/1M"),
    ("context", "Context"),
    ("status", "Status"),
    ("changed", "Last change"),
)


@dataclass(frozen=True)
class TableQuery:
    q: str = ""
    provider: str = ""
    status: str = ""
    capability: str = ""
    sort: str = "name"
    dir: str = "asc"
    page: int = 1
    per: int = 100

    def filters(self) -> ModelFilter:
        return ModelFilter(
            provider=self.provider or None,
            status=self.status or None,
            capability=self.capability or None,
        )

    def link(self, **change: Any) -> str:
        from urllib.parse import urlencode

        values = {**self.__dict__, **change}
        defaults = TableQuery().__dict__
        kept = {k: v for k, v in values.items() if v != defaults[k]}
        return "/admin/models" + (f"?{urlencode(kept)}" if kept else "")


# The table ---------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def table(
    console: SignedIn,
    q: Annotated[str, Query(max_length=200)] = "",
    provider: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    capability: Annotated[str, Query(max_length=40)] = "",
    sort: Annotated[str, Query(max_length=20)] = "name",
    dir: Annotated[str, Query(max_length=4)] = "asc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per: Annotated[int, Query(ge=1, le=2500)] = 100,
) -> Response:
    query = TableQuery(
        q.strip(),
        provider,
        status,
        capability,
        sort if sort in _SORTS else "name",
        "desc" if dir == "desc" else "asc",
        page,
        per if per in PAGE_SIZES else 100,
    )
    reader = console.runtime.reader
    models = matching(console, query)
    total = len(models)
    pages = max(1, -(-total // query.per))
    page_no = min(query.page, pages)
    start = (page_no - 1) * query.per
    by_status = {s: sum(1 for m in models if m.status == s) for s in STATUSES}
    return console.page(
        "models.html",
        query=query,
        rows=models[start : start + query.per],
        total=total,
        catalogue_size=len(reader.models_source.model_ids()),
        by_status=by_status,
        page_no=page_no,
        pages=pages,
        start=start,
        providers=reader.providers(),
        statuses=STATUSES,
        capabilities=CAPABILITIES,
        columns=COLUMNS,
        page_sizes=PAGE_SIZES,
        catalogue_share=_catalogue_share(console),
    )


def _catalogue_share(console: Console) -> int:
    """The share of users whose ``/v1/models`` this console's edits reach: the catalogue
    flag as requests are evaluated now (the live snapshot's flags in the server)."""
    runtime = console.runtime
    if runtime.live_reads:
        flag = runtime.live.current.flags.get(MODELS_SOURCE)
    else:
        flag = next((f for f in flags_svc.all_flags(console.uows) if f.name == MODELS_SOURCE), None)
    if flag is None:
        flag = next(
            f for f in flags_svc.list_flags_with_defaults(console.uows) if f.name == MODELS_SOURCE
        )
    return flags_svc.enrolled_share(runtime.settings, flag)


def matching(console: Console, query: TableQuery) -> list[Model]:
    """The models the table's search and filters select, in the table's order."""
    reader = console.runtime.reader
    models = reader.models(query.filters())
    if query.q:
        found = {m.id for m in reader.search(query.q, None)}
        models = [m for m in models if m.id in found]
    models.sort(key=_SORTS[query.sort], reverse=query.dir == "desc")
    return models


@router.get("/new", response_class=HTMLResponse)
def new_page(console: EditorConsole) -> Response:
    values = {"status": "active", "capabilities": []}
    return _form_page(console, None, values, [])


@router.post("/new", response_class=HTMLResponse)
def create(console: EditorConsole, form: CheckedForm) -> Response:
    parsed = _parse(form)
    reason = parsed.meta.get("reason", "").strip() or None
    try:
        spec = _spec(parsed)
        model = svc.create_model(console.uows, spec, console.author, reason)
    except InvalidInput as exc:
        return _form_page(console, None, parsed.values, exc.errors, reason=reason, status=422)
    except AlreadyExists as exc:
        error = [FieldError("id", str(exc))]
        return _form_page(console, None, parsed.values, error, reason=reason, status=409)
    return console.redirect(model_url(model.id, "/edit"), notice=f"Created {model.id}.")


@router.post("/validate")
def check(console: SignedIn, form: CheckedForm) -> JSONResponse:
    """The domain's verdict on the form as typed, for validation as you type."""
    parsed = _parse(form)
    try:
        _spec(parsed)
        errors: list[FieldError] = []
    except InvalidInput as exc:
        errors = exc.errors
    return JSONResponse({"errors": errors_json(humane(errors))})


@router.post("/price-effect")
def price_effect(console: SignedIn, form: CheckedForm) -> JSONResponse:
    """What the prices as typed do to a reference request's cost and to the model's cost
    tier, beside what the stored prices do: the model form shows it as you type."""
    parsed = _parse(form)
    model = _get(console, str(form.get("modelId") or ""))
    try:
        typed: Pricing | None = validate(Pricing, parsed.document.get("pricing") or {})
    except InvalidInput:
        typed = None
    return JSONResponse({"text": price_effect_text(console, model, typed)})


def price_effect_text(console: Console, model: Model | None, typed: Pricing | None) -> str:
    tiers = console.runtime.reader.router_config().cost_tiers
    requests = "A reference request (1K input + 1K output tokens)"

    def shown(pricing: Pricing) -> tuple[str, str]:
        return usd(reference_cost(pricing)), tiers.tier_of(float(pricing.average))

    if typed is None:
        if model is None:
            return f"{requests}: type an input and an output price to see its cost."
        cost, tier = shown(model.pricing)
        return f"{requests} costs {cost} now (cost tier {tier}); the prices as typed are not valid."
    after, after_tier = shown(typed)
    if model is None:
        return f"{requests} costs {after} at these prices: cost tier {after_tier}."
    before, before_tier = shown(model.pricing)
    if model.pricing == typed:
        return f"{requests} costs {before} (cost tier {before_tier}); the prices are unchanged."
    old, new = reference_cost(model.pricing), reference_cost(typed)
    change = f" ({(new - old) / old:+.0%})" if old else ""
    tier = (
        f"cost tier {before_tier} → {after_tier}"
        if before_tier != after_tier
        else f"cost tier stays {after_tier}"
    )
    return f"{requests} costs {before} now → {after} with these prices{change}; {tier}."


# One model ---------------------------------------------------------------------------------


@router.get("/{model_id:path}/edit", response_class=HTMLResponse)
def edit_page(console: SignedIn, model_id: str) -> Response:
    model = _get(console, model_id)
    if model is None:
        return _missing(console, model_id)
    return _form_page(console, model, _values(model), [])


@router.post("/{model_id:path}/edit", response_class=HTMLResponse)
def edit(console: EditorConsole, form: CheckedForm, model_id: str) -> Response:
    parsed = _parse(form)
    reason = parsed.meta.get("reason", "").strip() or None
    model = _get(console, model_id)
    if model is None:
        return _missing(console, model_id)
    try:
        expected = form_version(parsed.meta.get("expectedVersion"))
    except InvalidInput as exc:  # what a reload would show, and why
        return _form_page(console, model, _values(model), exc.errors, reason, status=428)
    try:
        spec = _spec(parsed, model_id)
        spec = spec.model_copy(
            update={"capabilities": _in_stored_order(spec.capabilities, model.capabilities)}
        )
        when = _effective_from(parsed)
        if when is not None:  # the new prices are scheduled; the rest is saved now
            scheduled, spec = spec.pricing, spec.model_copy(update={"pricing": model.pricing})
        saved = svc.replace_model(console.uows, spec, console.author, expected, reason)
        if when is not None:
            pricing = scheduled.to_json()
            prices.schedule_price(console.uows, model_id, pricing, when, console.author, reason)
            notice = f"New prices for {model_id} scheduled from {when.isoformat()}."
            return console.redirect(model_url(model_id, "/edit"), notice=notice)
    except InvalidInput as exc:
        return _form_page(console, model, parsed.values, exc.errors, reason, expected, status=422)
    except VersionConflict as exc:
        fresh = _get(console, model_id) or model
        return _form_page(
            console, model, parsed.values, [], reason, expected, conflict=(exc, fresh), status=409
        )
    if saved.version == model.version:
        return console.redirect(model_url(model_id, "/edit"), notice="Nothing changed.")
    notice = f"Saved {model_id} as version {saved.version}."
    return console.redirect(model_url(model_id, "/edit"), notice=notice)


@router.post("/{model_id:path}/duplicate")
def duplicate(console: EditorConsole, form: CheckedForm, model_id: str) -> Response:
    new_id = str(form.get("newId") or "").strip() or None
    try:
        copy = svc.duplicate_model(console.uows, model_id, console.author, new_id)
    except (InvalidInput, AlreadyExists, NotFound) as exc:
        return console.redirect("/admin/models", refused=f"Not duplicated: {exc}")
    return console.redirect(
        model_url(copy.id, "/edit"),
        notice=f"Duplicated as {copy.id}: beta and internal-only (not public, not routable) "
        "until you make it active and public.",
    )


@router.post("/{model_id:path}/status")
def set_status(console: EditorConsole, form: CheckedForm, model_id: str) -> Response:
    """Deprecate or reactivate: first a confirmation that asks for the reason, then the
    change (``confirmed=yes`` with a reason)."""
    deprecate = form.get("action") == "deprecate"
    back = str(form.get("back") or "/admin/models")
    back = back if back.startswith("/admin/") else "/admin/models"
    typed = str(form.get("reason") or "")
    if form.get("confirmed") != "yes":
        return _confirm_status(console, model_id, deprecate, back, form, typed)
    try:
        reason = require_reason(typed)
    except InvalidInput as exc:
        return _confirm_status(console, model_id, deprecate, back, form, typed, exc.errors)
    try:
        expected = form_version(form.get("expectedVersion"))
        model = svc.set_status(console.uows, model_id, deprecate, console.author, expected, reason)
    except (InvalidInput, NotFound, VersionConflict) as exc:
        return console.redirect(back, refused=f"Not changed: {exc}")
    verb = "Deprecated" if deprecate else "Reactivated"
    return console.redirect(back, notice=f"{verb} {model.id} (version {model.version}).")


def _confirm_status(
    console: Console,
    model_id: str,
    deprecate: bool,
    back: str,
    form: Any,
    reason: str,
    errors: list[FieldError] | None = None,
) -> Response:
    model = _get(console, model_id)
    if model is None:
        return _missing(console, model_id)
    if deprecate:
        title = f"Deprecate {model_id}?"
        lines = [
            "The router stops choosing it and clients see it as deprecated.",
            "It can be reactivated later; the history keeps every version.",
        ]
    else:
        title = f"Reactivate {model_id}?"
        lines = ["It returns to the status it had before it was deprecated."]
    return console.confirm(
        title=title,
        lines=lines,
        action=model_url(model_id, "/status"),
        fields=[
            ("action", "deprecate" if deprecate else "reactivate"),
            ("expectedVersion", form.get("expectedVersion") or model.version),
            ("back", back),
        ],
        button="Deprecate" if deprecate else "Reactivate",
        cancel=back,
        reason=reason,
        errors=errors,
        danger=deprecate,
    )


@router.post("/{model_id:path}/retire")
def retire(console: AdminConsole, form: CheckedForm, model_id: str) -> Response:
    """Retire for good (admins): a confirmation that says what it means and asks for the
    reason, then the retirement (``confirmed=yes``); the model page then says retired."""
    typed = str(form.get("reason") or "")
    errors: list[FieldError] = []
    if form.get("confirmed") == "yes":
        try:
            svc.retire_model(console.uows, model_id, console.author, typed)
        except InvalidInput as exc:
            errors = exc.errors
        except (NotFound, AlreadyExists) as exc:
            return console.redirect(model_url(model_id), refused=f"Not retired: {exc}")
        else:
            return console.redirect(model_url(model_id), notice=f"Retired {model_id} for good.")
    if _get(console, model_id) is None:
        return _retired_or_missing(console, model_id)
    return console.confirm(
        title=f"Retire {model_id} for good?",
        lines=[
            "It disappears from every list: the console, /v1/models, the API and the router.",
            "This cannot be undone: its id stays reserved (it cannot be created or imported "
            "again) and its history stays readable.",
        ],
        action=model_url(model_id, "/retire"),
        fields=[],
        button="Retire for good",
        cancel=model_url(model_id),
        reason=typed,
        errors=humane(errors),
        danger=True,
    )


def _retired_or_missing(console: Console, model_id: str) -> Response:
    """A retired model's page (who retired it, when and why; its history), else not found."""
    try:
        retired = svc.retirement_of(console.uows, model_id)
    except NotFound:
        retired = None
    if retired is None:
        return _missing(console, model_id)
    model, retirement = retired
    return console.page("model_retired.html", model=model, retirement=retirement)


@router.get("/{model_id:path}/history", response_class=HTMLResponse)
def history_page(
    console: SignedIn, model_id: str, offset: Annotated[int, Query(ge=0)] = 0
) -> Response:
    limit = 25
    try:
        entries, total = svc.history(console.uows, model_id, offset, limit)
    except NotFound:
        return _missing(console, model_id)
    model = _get(console, model_id)
    return console.page(
        "history.html",
        model=model,
        model_id=model_id,
        price_notes=_price_notes(console, model_id, entries),
        entries=entries,
        total=total,
        offset=offset,
        limit=limit,
    )


def _price_notes(console: Console, model_id: str, entries: list[Any]) -> dict[int, str]:
    """Each repricing version's effect on the reference request and the cost tier (its
    prices from the version's whole document)."""
    tiers = console.runtime.reader.router_config().cost_tiers
    notes = {}
    for entry in entries:
        if entry.change_type != "created" and effects.changes_prices(entry.changes):
            document = svc.model_at(console.uows, model_id, entry.version)
            pricing = validate(Pricing, document.get("pricing") or {})
            notes[entry.version] = effects.row_text(tiers, pricing, entry.changes, "new")
    return notes


@router.post("/{model_id:path}/restore", response_class=HTMLResponse)
def restore(console: EditorConsole, form: CheckedForm, model_id: str) -> Response:
    version = _version(form.get("version"))
    expected = _version(form.get("expectedVersion"))
    reason = str(form.get("reason") or "").strip() or None
    if version is None:
        return console.redirect(model_url(model_id, "/history"), refused="No version given.")
    if form.get("confirmed") != "yes":
        return _confirm_restore(console, model_id, version, expected, reason)
    try:
        confirmed = form_version(form.get("expectedVersion"))
        model = svc.rollback_model(
            console.uows, model_id, version, console.author, reason, confirmed
        )
    except (NotFound, InvalidInput, VersionConflict) as exc:
        return console.redirect(model_url(model_id, "/history"), refused=f"Not restored: {exc}")
    notice = f"Restored version {version} as version {model.version}."
    return console.redirect(model_url(model_id, "/history"), notice=notice)


def _confirm_restore(
    console: Console, model_id: str, version: int, expected: int | None, reason: str | None
) -> Response:
    try:
        old = svc.model_at(console.uows, model_id, version)
    except NotFound:
        return _missing(console, model_id)
    model = _get(console, model_id)
    assert model is not None
    document = {k: v for k, v in old.items() if k != "version"}
    changes = diff(model.spec().to_json(), document)
    return console.page(
        "restore.html",
        model=model,
        version=version,
        changes=changes,
        expected=expected if expected is not None else model.version,
        reason=reason or "",
    )


@router.get("/{model_id:path}/row", response_class=HTMLResponse)
def row_fragment(console: SignedIn, model_id: str) -> Response:
    """One table row, for the live updates; 404 when the model is gone."""
    model = _get(console, model_id)
    if model is None:
        return HTMLResponse("", status_code=404)
    return console.page("_model_row.html", m=model, back="/admin/models")


@router.get("/{model_id:path}/state")
def state(console: SignedIn, model_id: str) -> JSONResponse:
    """The model's version and values, for an open edit page to notice changes."""
    model = _get(console, model_id)
    if model is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    values = {k: _shown_value(v) for k, v in _values(model).items()}
    return JSONResponse({"version": model.version, "values": values})


@router.get("/{model_id:path}", response_class=HTMLResponse)
def view_page(
    console: SignedIn,
    model_id: str,
    input: Annotated[int, Query(ge=0, le=100_000_000)] = 1000,
    output: Annotated[int, Query(ge=0, le=100_000_000)] = 1000,
    cached: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> Response:
    """The read-only model page for every role, with a cost calculator that works as a
    plain GET form (no script needed). Registered last: the suffixed routes match first."""
    model = _get(console, model_id)
    if model is None:
        return _retired_or_missing(console, model_id)
    reader = console.runtime.reader
    config = reader.router_config()
    prices = tier_for(model.pricing, input + cached)
    return console.page(
        "model_view.html",
        model=model,
        cost_tier=config.cost_tiers.tier_of(float(model.pricing.average)),
        profile=reader.profile(model_id),
        categories=reader.categories(),
        experiments=experiments_svc.experiments_naming(console.uows, model_id),
        calc={"input": input, "output": output, "cached": cached},
        calc_cost=cost(model.pricing, input, output, cached),
        calc_tier=None if prices is model.pricing else prices,
        now=utcnow(),
    )


# Helpers -----------------------------------------------------------------------------------


def _parse(form: Any) -> ParsedForm:
    meta = ("csrf_token", "reason", "expectedVersion", "effectiveFrom")
    parsed = parse_form(form.multi_items(), meta=meta, lists=["capabilities"])
    if parsed.meta.get("effectiveFrom"):  # shown again if the form comes back with errors
        parsed.values["effectiveFrom"] = parsed.meta["effectiveFrom"]
    return parsed


def _effective_from(parsed: ParsedForm) -> datetime | None:
    """The form's "effective from" time, or ``None`` (empty: at once)."""
    text = parsed.meta.get("effectiveFrom", "").strip()
    if not text:
        return None
    if len(text) == 16 and "T" in text:  # a datetime-local control: minutes, read as UTC
        text += ":00Z"
    try:
        return parse_moment(text, "effectiveFrom")
    except ValueError as exc:
        raise InvalidInput(
            [FieldError("effectiveFrom", str(exc).removeprefix("effectiveFrom: "))]
        ) from None


def _spec(parsed: ParsedForm, model_id: str | None = None) -> ModelSpec:
    """The spec behind the form, or every problem with it at once."""
    document = dict(parsed.document)
    if model_id is not None:
        document["id"] = model_id
    try:
        spec = validate(ModelSpec, document)
    except InvalidInput as exc:
        raise InvalidInput([*parsed.errors, *exc.errors]) from None
    if parsed.errors:
        raise InvalidInput(parsed.errors)
    return spec


def _in_stored_order(chosen: list[Capability], stored: list[Capability]) -> list[Capability]:
    """The checkboxes send capabilities in the form's order; the ones the model already
    had keep their stored order (then any new ones), so a save that changes none records
    no ``capabilities`` change."""
    kept = [c for c in stored if c in chosen]
    return [*kept, *(c for c in chosen if c not in kept)]


def _values(model: Model) -> dict[str, Any]:
    return document_values(model.spec().to_json(), whole=JSON_FIELDS)


def _shown_value(value: Any) -> Any:
    from modelplane.web.forms import shown

    return value if isinstance(value, list) else shown(value)


def _version(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _get(console: Console, model_id: str) -> Model | None:
    return console.runtime.reader.find(model_id)


def _missing(console: Console, model_id: str) -> Response:
    known = console.runtime.reader.models_source.model_ids()
    return console.page(
        "missing.html", status=404, what=f"model {model_id}", hint=nearest(model_id, known)
    )


def _form_page(
    console: Console,
    model: Model | None,
    values: dict[str, Any],
    errors: list[FieldError],
    reason: str | None = None,
    expected: int | None = None,
    conflict: tuple[VersionConflict, Model] | None = None,
    status: int = 200,
) -> Response:
    reader = console.runtime.reader
    theirs: dict[str, Any] = {}
    if conflict is not None:
        fresh_values = _values(conflict[1])
        theirs = {
            f: fresh_values.get(f)
            for f in sorted(fresh_values.keys() | set(conflict[0].changed_fields))
            if any(
                f == c or f.startswith(f"{c}.") or c.startswith(f"{f}.")
                for c in conflict[0].changed_fields
            )
        }
    return console.page(
        "model_form.html",
        status=status,
        model=model,
        values=values,
        errors=humane(errors),
        reason=reason or "",
        expected=expected if expected is not None else (model.version if model else None),
        conflict=conflict[0] if conflict else None,
        fresh=conflict[1] if conflict else None,
        theirs=theirs,
        provider_options=[(p.id, f"{p.display_name} ({p.id})") for p in reader.providers()],
        statuses=STATUSES,
        capabilities=CAPABILITIES,
        speed_tiers=SPEED_TIERS,
        readonly=not console.can("editor"),
        timeline=timeline_json(model, utcnow()) if model else [],
        price_chart=_price_chart(model) if model else None,
        price_effect=price_effect_text(console, model, model.pricing if model else None),
    )


def _price_chart(model: Model) -> Markup | None:
    """The input and output prices over the timeline, one point per dated price (drawn
    only: the figures themselves are in the table beside it)."""
    entries = [e for e in model.price_timeline if e.effective_from != SINCE_EVER]
    if not entries:
        return None
    first = model.price_timeline[0]
    points = [first, *entries] if first.effective_from == SINCE_EVER else entries
    labels = [
        "before" if e.effective_from == SINCE_EVER else e.effective_from.strftime("%Y-%m-%d %H:%M")
        for e in points
    ]
    values = [float(e.pricing.average) for e in points]
    return line_chart(labels, values, "Average of input and output price, USD per 1M tokens")
