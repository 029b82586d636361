"""The auto-router's dials: the Config tab (every dial, saved with a reason, with history
and restore) and the Profiles tab (a grid of models x categories, edited inline)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from modelplane.domain.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    VersionConflict,
    errors_json,
)
from modelplane.domain.history import diff
from modelplane.domain.models import CAPABILITIES
from modelplane.domain.profiles import Profile, ProfileSpec
from modelplane.domain.router_config import (
    COMPLEXITIES,
    SELECTION_STRATEGIES,
    STRATEGY_SUMMARIES,
    TIERS,
    RouterConfig,
    RouterConfigDoc,
)
from modelplane.domain.validation import require_reason, validate
from modelplane.services import router_data as svc
from modelplane.web.charts import lines_chart
from modelplane.web.console import Console, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.forms import ParsedForm, document_values, form_version, parse_form

router = APIRouter(prefix="/admin/auto-router")

CONFIG_LISTS = (
    "speedBonuses",
    "highStakesDomains",
    "scoringBonuses.researchMatch.idPrefixes",
    "scoringBonuses.researchMatch.providers",
    "scoringBonuses.researchMatch.capabilities",
)
SPEED_MATCHES = ("host", "name", "capability")
STRATEGIES = SELECTION_STRATEGIES
CLASSIFIERS = ("embedded", "llm")


# Config ------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def config_page(console: SignedIn) -> Response:
    config = console.runtime.reader.router_config()
    return _config_page(console, config, config_values(config.doc()), [])


@router.post("", response_class=HTMLResponse)
def save_config(console: EditorConsole, form: CheckedForm) -> Response:
    parsed = parse_config_form(form.multi_items())
    reason = parsed.meta.get("reason", "").strip() or None
    current = console.runtime.reader.router_config()
    try:
        expected = form_version(parsed.meta.get("expectedVersion"))
    except InvalidInput as exc:  # what a reload would show, and why
        values = config_values(current.doc())
        return _config_page(console, current, values, exc.errors, reason, status=428)
    try:
        doc = config_doc(parsed)
        saved = svc.replace_router_config(console.uows, doc, console.author, expected, reason)
    except InvalidInput as exc:
        return _config_page(
            console, current, parsed.values, exc.errors, reason, expected, status=422
        )
    except VersionConflict as exc:
        fresh = svc.get_router_config(console.uows)
        return _config_page(
            console, fresh, parsed.values, [], reason, expected, conflict=exc, status=409
        )
    if saved.version == current.version:
        return console.redirect("/admin/auto-router", notice="Nothing changed.")
    return console.redirect(
        "/admin/auto-router", notice=f"Saved the router config as version {saved.version}."
    )


def parse_config_form(items: Any, prefix: str = "") -> ParsedForm:
    return parse_form(items, lists=[prefix + name for name in CONFIG_LISTS])


def config_doc(parsed: ParsedForm, prefix: str = "") -> RouterConfigDoc:
    """The config document behind the form (under ``prefix``), or every problem with it."""
    data: Any = parsed.document
    for part in filter(None, prefix.split(".")):
        data = data.get(part, {}) if isinstance(data, dict) else {}
    try:
        doc = validate(RouterConfigDoc, data, prefix.rstrip("."))
    except InvalidInput as exc:
        raise InvalidInput([*parsed.errors, *exc.errors]) from None
    if parsed.errors:
        raise InvalidInput(parsed.errors)
    return doc


def config_values(doc: RouterConfigDoc, prefix: str = "") -> dict[str, Any]:
    data = doc.to_json()
    if prefix:
        data = {prefix.rstrip("."): data}
    return document_values(data)


def config_choices(console: Console) -> dict[str, Any]:
    reader = console.runtime.reader
    return {
        "complexities": COMPLEXITIES,
        "tiers": TIERS,
        "speed_matches": SPEED_MATCHES,
        "strategies": STRATEGIES,
        "strategy_summaries": STRATEGY_SUMMARIES,
        "classifiers": CLASSIFIERS,
        "capabilities": CAPABILITIES,
        "model_ids": reader.models_source.model_ids(),
    }


def _config_page(
    console: Console,
    config: RouterConfig,
    values: dict[str, Any],
    errors: list[FieldError],
    reason: str | None = None,
    expected: int | None = None,
    conflict: VersionConflict | None = None,
    status: int = 200,
) -> Response:
    return console.page(
        "router_config.html",
        status=status,
        config=config,
        values=values,
        errors=errors,
        reason=reason or "",
        expected=expected if expected is not None else config.version,
        conflict=conflict,
        p="",
        readonly=not console.can("editor"),
        curve=_curve(config),
        **config_choices(console),
    )


def _curve(config: RouterConfig) -> dict[str, Any] | None:
    """The quality curve read at the live ``premiumShare`` (``svc.quality_curve``), drawn;
    ``None`` when the curve did not ship."""
    try:
        curve = svc.quality_curve(config)
    except NotFound:
        return None
    short = {"held-out exam questions": "held-out", "exam questions of unseen subjects": "unseen"}
    chart = lines_chart(
        [f"{s:.0%}" for s in curve["shares"]],
        [
            *((short.get(c["name"], c["name"][:16]), c["recovered"]) for c in curve["sets"]),
            ("a coin", curve["shares"]),
        ],
        "Share of the quality gap recovered, by premium share",
        x_title="share of messages sent to premium",
        y_title="quality gap recovered",
        fmt=lambda v: f"{v:.0%}",
    )
    return {**curve, "chart": chart}


@router.get("/history", response_class=HTMLResponse)
def config_history(console: SignedIn, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    limit = 25
    entries, total = svc.router_config_history(console.uows, offset, limit)
    config = console.runtime.reader.router_config()
    return console.page(
        "router_history.html",
        config=config,
        entries=entries,
        total=total,
        offset=offset,
        limit=limit,
    )


@router.post("/restore", response_class=HTMLResponse)
def restore_config(console: EditorConsole, form: CheckedForm) -> Response:
    version = _int(form.get("version"))
    expected = _int(form.get("expectedVersion"))
    reason = str(form.get("reason") or "").strip() or None
    back = "/admin/auto-router/history"
    if version is None:
        return console.redirect(back, refused="No version given.")
    current = console.runtime.reader.router_config()
    if form.get("confirmed") != "yes":
        try:
            old = svc.router_config_at(console.uows, version)
        except NotFound as exc:
            return console.redirect(back, refused=str(exc))
        document = {k: v for k, v in old.items() if k != "version"}
        return console.page(
            "router_restore.html",
            version=version,
            current=current,
            changes=diff(current.doc().to_json(), document),
            expected=expected if expected is not None else current.version,
            reason=reason or "",
        )
    try:
        confirmed = form_version(form.get("expectedVersion"))
        saved = svc.rollback_router_config(console.uows, version, console.author, reason, confirmed)
    except (NotFound, InvalidInput, VersionConflict) as exc:
        return console.redirect(back, refused=f"Not restored: {exc}")
    return console.redirect(back, notice=f"Restored version {version} as version {saved.version}.")


# Profiles ----------------------------------------------------------------------------------


@router.get("/profiles", response_class=HTMLResponse)
def profiles_page(console: SignedIn) -> Response:
    reader = console.runtime.reader
    profiles = sorted(reader.profiles(), key=lambda p: p.model_id)
    with_profile = {p.model_id for p in profiles}
    return console.page(
        "router_profiles.html",
        profiles=profiles,
        categories=reader.categories(),
        model_ids=[i for i in reader.models_source.model_ids() if i not in with_profile],
        unprofiled=[m.id for m in reader.public() if m.id not in with_profile],
        default_score=reader.router_config().router_settings.default_score_without_profile,
        readonly=not console.can("editor"),
    )


@router.get("/profiles/{model_id:path}/row", response_class=HTMLResponse)
def profile_row(console: SignedIn, model_id: str) -> Response:
    reader = console.runtime.reader
    profile = reader.profile(model_id)
    if profile is None:
        return HTMLResponse("", status_code=404)
    return console.page(
        "_profile_row.html",
        p=profile,
        categories=reader.categories(),
        readonly=not console.can("editor"),
    )


@router.get("/profiles/{model_id:path}/history", response_class=HTMLResponse)
def profile_history_page(
    console: SignedIn, model_id: str, offset: Annotated[int, Query(ge=0)] = 0
) -> Response:
    limit = 25
    try:
        entries, total = svc.profile_history(console.uows, model_id, offset, limit)
    except NotFound:
        return console.page("missing.html", status=404, what=f"profile {model_id}")
    return console.page(
        "profile_history.html",
        model_id=model_id,
        profile=console.runtime.reader.profile(model_id),
        entries=entries,
        total=total,
        offset=offset,
        limit=limit,
    )


@router.post("/profiles/{model_id:path}/restore", response_class=HTMLResponse)
def restore_profile(console: EditorConsole, form: CheckedForm, model_id: str) -> Response:
    """Restore a profile's old version: a confirmation with what changes and a required
    reason, then a new version with the old scores."""
    back = f"/admin/auto-router/profiles/{model_id}/history"
    version = _int(form.get("version"))
    if version is None:
        return console.redirect(back, refused="No version given.")
    typed = str(form.get("reason") or "")
    errors: list[FieldError] = []
    if form.get("confirmed") == "yes":
        try:
            reason = require_reason(typed)
            confirmed = form_version(form.get("expectedVersion"))
            saved = svc.rollback_profile(
                console.uows, model_id, version, console.author, reason, confirmed
            )
        except InvalidInput as exc:
            errors = exc.errors
        except (NotFound, VersionConflict) as exc:
            return console.redirect(back, refused=f"Not restored: {exc}")
        else:
            notice = f"Restored version {version} of {model_id} as version {saved.version}."
            return console.redirect(back, notice=notice)
    try:
        old = svc.profile_at(console.uows, model_id, version)
    except NotFound as exc:
        return console.redirect(back, refused=f"Not restored: {exc}")
    current = console.runtime.reader.profile(model_id)
    now = current.spec().to_json() if current is not None else {}
    changes = diff(now, {k: v for k, v in old.items() if k != "version"})
    lines = [
        f"This writes a new version of {model_id}'s profile with the scores of version "
        f"{version}; the current scores stay in the history."
    ]
    lines += [
        f"{c.field}: {c.old if c.old is not None else '—'} → "
        f"{c.new if c.new is not None else '— (default score)'}"
        for c in changes
    ]
    return console.confirm(
        title=f"Restore version {version} of the profile of {model_id}?",
        lines=lines,
        action=f"/admin/auto-router/profiles/{model_id}/restore",
        fields=[
            ("version", version),
            ("expectedVersion", form.get("expectedVersion") or (current.version if current else 0)),
        ],
        button=f"Restore version {version}",
        cancel=back,
        reason=typed,
        errors=errors,
    )


@router.post("/profiles/{model_id:path}")
def save_profile(
    request: Request, console: EditorConsole, form: CheckedForm, model_id: str
) -> Response:
    parsed = parse_form(form.multi_items())
    reason = parsed.meta.get("reason", "").strip() or None
    wants_json = request.headers.get("X-Requested-With") == "fetch"
    model_id = model_id or str(form.get("modelId") or "")
    try:
        expected = form_version(parsed.meta.get("expectedVersion"))  # 0: a new profile
        spec = validate(ProfileSpec, {**parsed.document, "modelId": model_id})
        saved: Profile = svc.put_profile(console.uows, spec, console.author, expected, reason)
    except (InvalidInput, VersionConflict) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else [FieldError("", str(exc))]
        if wants_json:
            body = {"errors": errors_json(errors)}
            return JSONResponse(body, status_code=409 if isinstance(exc, VersionConflict) else 422)
        message = "; ".join(str(e) for e in errors)
        return console.redirect("/admin/auto-router/profiles", refused=f"Not saved: {message}")
    if wants_json:
        return JSONResponse({"version": saved.version, "modelId": saved.model_id})
    return console.redirect(
        "/admin/auto-router/profiles",
        notice=f"Saved the profile of {saved.model_id} (version {saved.version}).",
    )


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None
