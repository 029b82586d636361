"""The rollout page: every flag with its kill switch, percentage and one-click steps, the
environment override that wins over them, a "try a user" box and the version history; and
the parity report, the evidence to read before raising a step.

Writes carry the flag's version (a stale page gets a conflict, not a silent overwrite),
except turning a flag off: a kill switch that could bounce on a conflict would fail exactly
when it is needed, and "off" means the same whatever anyone changed meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, NotFound, VersionConflict
from modelplane.domain.flags import (
    MODELS_SOURCE,
    ROLLOUT_STEPS,
    ROUTER_CONFIG_SOURCE,
    Evaluation,
    Flag,
    UserContext,
    next_step,
)
from modelplane.domain.history import HistoryEntry, diff
from modelplane.domain.validation import require_reason
from modelplane.rollout.parity import SAMPLE_FLAG
from modelplane.services import flags as svc
from modelplane.services import guard
from modelplane.services.rollout_report import rollout_report
from modelplane.web.console import Console, EditorConsole, SignedIn
from modelplane.web.csrf import CheckedForm
from modelplane.web.forms import form_version, parse_form

router = APIRouter(prefix="/admin/rollout")

WindowName = Literal["hour", "day", "week", "all"]
WINDOWS: dict[str, tuple[str, timedelta | None]] = {
    "hour": ("last hour", timedelta(hours=1)),
    "day": ("last day", timedelta(days=1)),
    "week": ("last week", timedelta(days=7)),
    "all": ("all time", None),
}
SOURCE_FLAGS = (MODELS_SOURCE, ROUTER_CONFIG_SOURCE)
HISTORY_SHOWN = 10
MISMATCH_KINDS = {
    "missing_in_db": "In the static tables but not in the database",
    "missing_in_static": "In the database but not in the static tables",
    "price": "A price differs",
    "cost": "The computed cost of a reference request differs",
    "routing": "The router chose a different model (same classification and seed)",
}


@dataclass
class FlagCard:
    """One flag as the page shows it, with what was typed if a save was refused."""

    flag: Flag
    override: bool | None
    history: list[HistoryEntry]
    values: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)
    conflict: VersionConflict | None = None
    trial: Evaluation | None = None
    trial_input: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def name(self) -> str:
        return self.flag.name

    @property
    def variable(self) -> str:
        return svc.override_variable(self.flag.name)

    @property
    def next_step(self) -> int | None:
        return next_step(self.flag.percentage)

    @property
    def guardrails_json(self) -> str:
        """The flag's guardrails as the form edits them."""
        rails = self.flag.guardrails
        return json.dumps([g.to_json() for g in rails]) if rails else ""

    @property
    def is_source(self) -> bool:
        return self.flag.name in SOURCE_FLAGS


# Flags ---------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def rollout_page(
    console: SignedIn,
    flag: str | None = None,
    user: str | None = None,
    session: str | None = None,
) -> Response:
    cards = _cards(console)
    chosen = cards.get(flag or "")
    if chosen is not None:
        _try_user(console, chosen, user, session)
    return _page(console, cards)


@router.get("/flags/{name}/card", response_class=HTMLResponse)
def flag_card(console: SignedIn, name: str) -> Response:
    """One flag's card, for the page to swap in when the flag changes elsewhere."""
    card = _cards(console).get(name)
    if card is None:
        return HTMLResponse("", status_code=404)
    return console.page("_flag_card.html", card=card, **_common(console))


@router.post("/flags/{name}", response_class=HTMLResponse)
def save_flag(console: EditorConsole, form: CheckedForm, name: str) -> Response:
    """The settings form, or one of its step buttons (which change only the percentage)."""
    cards = _cards(console)
    if name not in cards:
        return console.page("missing.html", status=404, what=f"flag {name!r}")
    parsed = parse_form(
        form.multi_items(),
        meta=("csrf_token", "reason", "expectedVersion", "step", "confirmed"),
    )
    step = parsed.meta.get("step")
    if step is not None:
        changes: dict[str, Any] = {"percentage": step}
        refusal = _unconfirmed_step(console, cards[name], step, parsed.meta)
        if refusal is not None:
            return refusal
    else:  # an empty group id means the default (the flag's name); other blanks: unchanged
        changes = {k: v for k, v in parsed.document.items() if k in ("percentage", "stickiness")}
        changes["groupId"] = parsed.document.get("groupId")
    return _write(console, cards, name, changes, parsed.values, parsed.meta)


@router.post("/flags/{name}/switch", response_class=HTMLResponse)
def switch_flag(console: EditorConsole, form: CheckedForm, name: str) -> Response:
    """The kill switch, after a confirmation that asks for the reason. Off never checks
    the version (see the module's docstring)."""
    cards = _cards(console)
    if name not in cards:
        return console.page("missing.html", status=404, what=f"flag {name!r}")
    meta = {k: str(form.get(k) or "") for k in ("reason", "expectedVersion", "confirmed")}
    turn_on = form.get("enabled") == "on"
    flag = cards[name].flag
    errors = _reason_errors(meta)
    if errors is not None:
        if turn_on:
            title = f"Turn {name} on?"
            lines = [f"{flag.percentage}% of users are enrolled again at once, in every process."]
        else:
            title = f"Turn {name} off?"
            lines = [
                f"This moves {flag.percentage}% of traffic off {name} at once, in every "
                "process: nobody is enrolled until it is turned on again."
            ]
        return console.confirm(
            title=title,
            lines=lines,
            action=f"/admin/rollout/flags/{name}/switch",
            fields=[("enabled", "on" if turn_on else "off"), ("expectedVersion", flag.version)],
            button=f"Turn {name} {'on' if turn_on else 'off'}",
            cancel=f"/admin/rollout#flag-{name}",
            reason=meta["reason"],
            errors=errors,
            danger=not turn_on,
        )
    return _write(console, cards, name, {"enabled": turn_on}, {}, meta, versioned=turn_on)


@router.get("/flags/{name}/history", response_class=HTMLResponse)
def flag_history_page(
    console: SignedIn, name: str, offset: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """Every stored version of one flag, with who, when and why, and a restore button."""
    card = _cards(console).get(name)
    if card is None:
        return console.page("missing.html", status=404, what=f"flag {name!r}")
    limit = 50
    entries: list[HistoryEntry] = []
    total = 0
    if card.flag.version:
        entries, total = svc.flag_history(console.uows, name, offset, limit)
    return console.page(
        "flag_history.html",
        flag=card.flag,
        entries=entries,
        total=total,
        offset=offset,
        limit=limit,
    )


@router.post("/flags/{name}/restore", response_class=HTMLResponse)
def restore_flag(console: EditorConsole, form: CheckedForm, name: str) -> Response:
    """Restore an earlier version: first a confirmation with what changes and a required
    reason, then the same rollback the API and CLI use."""
    back = f"/admin/rollout/flags/{name}/history"
    card = _cards(console).get(name)
    if card is None:
        return console.page("missing.html", status=404, what=f"flag {name!r}")
    version_text = str(form.get("version") or "").strip()
    if not version_text.isdigit():
        return console.redirect(back, refused="No version given.")
    version = int(version_text)
    reason = str(form.get("reason") or "").strip()
    confirmed = form.get("confirmed") == "yes"
    errors: list[FieldError] = []
    if confirmed:
        try:
            require_reason(reason)
        except InvalidInput as exc:
            errors = exc.errors
    if not confirmed or errors:
        try:
            old = svc.flag_at(console.uows, name, version)
        except NotFound as exc:
            return console.redirect(back, refused=str(exc))
        document = {k: v for k, v in old.items() if k != "version"}
        expected = str(form.get("expectedVersion") or "").strip()
        return console.page(
            "flag_restore.html",
            status=422 if errors else 200,
            flag=card.flag,
            version=version,
            changes=diff(card.flag.spec().to_json(), document),
            expected=expected or card.flag.version,
            reason=reason,
            errors=errors,
        )
    try:
        expected_version = form_version(form.get("expectedVersion"))
        saved = svc.rollback_flag(
            console.uows, name, version, console.author, reason, expected_version
        )
    except (NotFound, InvalidInput, VersionConflict) as exc:
        return console.redirect(back, refused=f"Not restored: {exc}")
    return console.redirect(back, notice=f"Restored version {version} as version {saved.version}.")


def _reason_errors(meta: Mapping[str, str]) -> list[FieldError] | None:
    """``None`` when the form is confirmed with a reason; else what the confirmation shows
    (no errors the first time)."""
    if meta.get("confirmed") != "yes":
        return []
    try:
        require_reason(meta.get("reason"))
    except InvalidInput as exc:
        return exc.errors
    return None


def _unconfirmed_step(
    console: Console, card: FlagCard, step: str, meta: Mapping[str, str]
) -> Response | None:
    """A step moves traffic at once: it is confirmed, with the share it moves and a
    reason, before it is written."""
    errors = _reason_errors(meta)
    if errors is None:
        return None
    flag = card.flag
    target = int(step) if step.isdigit() else flag.percentage
    moved = abs(target - flag.percentage)
    direction = "onto" if target > flag.percentage else "off"
    if not flag.enabled:
        lines = [f"{card.name} is off: the new percentage moves no traffic until it is turned on."]
    else:
        lines = [
            f"This moves {moved}% of traffic {direction} {card.name} at once "
            f"({flag.percentage}% → {target}% of users)."
        ]
    if card.is_source:
        lines.append("Read the parity report before a step: it is the evidence for it.")
    return console.confirm(
        title=f"Set {card.name} to {target}%?",
        lines=lines,
        action=f"/admin/rollout/flags/{card.name}",
        fields=[("step", step), ("expectedVersion", meta.get("expectedVersion"))],
        button=f"Move {moved}% of traffic",
        cancel=f"/admin/rollout#flag-{card.name}",
        reason=meta.get("reason", ""),
        errors=errors,
        danger=direction == "off",
    )


@router.post("/flags/{name}/guard", response_class=HTMLResponse)
def save_flag_guard(console: EditorConsole, form: CheckedForm, name: str) -> Response:
    """The guardrails and schedule form, and its pause and resume buttons."""
    cards = _cards(console)
    if name not in cards:
        return console.page("missing.html", status=404, what=f"flag {name!r}")
    action = str(form.get("action") or "save")
    reason = str(form.get("reason") or "").strip() or None
    card = cards[name]
    try:
        if action in ("pause", "resume"):
            guard.pause_schedule(console.uows, name, action == "pause", console.author, reason)
            return _redirect(console, f"{name}: schedule {action}d.", name)
        text = str(form.get("guardrails") or "").strip()
        try:
            rails = json.loads(text) if text else None
        except ValueError as exc:
            raise InvalidInput([FieldError("guardrails", f"not JSON: {exc}")]) from None
        guard.set_flag_guardrails(console.uows, name, rails, console.author, reason)
        steps = str(form.get("steps") or "").strip()
        schedule = None
        if steps:
            try:
                numbers = [int(p) for p in steps.split(",")]
                dwell = int(str(form.get("dwellSeconds") or "0"))
            except ValueError:
                raise InvalidInput(
                    [FieldError("steps", "whole percentages separated by commas, e.g. 1,10,50")]
                ) from None
            schedule = {"steps": numbers, "dwellSeconds": dwell}
        if schedule is not None or card.flag.schedule is not None:
            guard.set_flag_schedule(console.uows, name, schedule, console.author, reason)
    except InvalidInput as exc:
        card.errors, card.reason = exc.errors, reason or ""
        return _page(console, cards, status=422)
    return _redirect(console, f"{name}: guardrails and schedule saved.", name)


def _write(
    console: Console,
    cards: dict[str, FlagCard],
    name: str,
    changes: dict[str, Any],
    values: dict[str, Any],
    meta: Mapping[str, str],
    versioned: bool = True,
) -> Response:
    """Write ``changes`` at the version the form was drawn at; unversioned only for the
    kill switch's "off"."""
    card = cards[name]
    reason = meta.get("reason", "").strip() or None
    try:
        expected = form_version(meta.get("expectedVersion")) if versioned else None
        saved = svc.set_flag(console.uows, name, changes, console.author, reason, expected)
    except InvalidInput as exc:
        card.values = {**card.values, **values}
        card.errors, card.reason = exc.errors, reason or ""
        return _page(console, cards, status=422)
    except VersionConflict as exc:
        card.conflict, card.reason = exc, reason or ""
        return _page(console, cards, status=409)
    if saved.version == card.flag.version:
        return _redirect(console, f"{name}: nothing changed.", name)
    state = "on" if saved.enabled else "OFF"
    notice = f"{name} is {state} at {saved.percentage}% (version {saved.version})."
    return _redirect(console, notice, name)


def _redirect(console: Console, notice: str, name: str) -> Response:
    response = console.redirect("/admin/rollout", notice=notice)
    response.headers["location"] += f"#flag-{name}"
    return response


def _cards(console: Console) -> dict[str, FlagCard]:
    settings = console.runtime.settings

    return {
        flag.name: FlagCard(
            flag,
            svc.override_for(settings, flag.name),
            _history(console, flag),
            _values(flag),
        )
        for flag in _ordered(svc.list_flags_with_defaults(console.uows))
    }


def _ordered(flags: list[Flag]) -> list[Flag]:
    """The source flags first, then parity sampling, then any others by name."""
    first = [*SOURCE_FLAGS, SAMPLE_FLAG]
    return sorted(flags, key=lambda f: (first.index(f.name) if f.name in first else 9, f.name))


def _history(console: Console, flag: Flag) -> list[HistoryEntry]:
    if flag.version == 0:
        return []
    return svc.flag_history_page(console.uows, flag.name, 0, HISTORY_SHOWN)


def _values(flag: Flag) -> dict[str, Any]:
    return {"percentage": flag.percentage, "groupId": flag.group_id, "stickiness": flag.stickiness}


def _try_user(console: Console, card: FlagCard, user: str | None, session: str | None) -> None:
    """Evaluate the flag for this user against the flags requests are evaluated with now:
    the live snapshot's in the server, the database's elsewhere."""
    user, session = (user or "").strip() or None, (session or "").strip() or None
    card.trial_input = {"user": user or "", "session": session or ""}
    runtime = console.runtime
    if runtime.live_reads:
        live: Mapping[str, Flag] = runtime.live.current.flags
    else:
        live = {f.name: f for f in svc.all_flags(console.uows)}
    card.trial = svc.evaluate_flag(runtime.settings, live, card.name, UserContext(user, session))


def _page(console: Console, cards: dict[str, FlagCard], status: int = 200) -> Response:
    return console.page(
        "rollout.html", status=status, cards=list(cards.values()), **_common(console)
    )


def _common(console: Console) -> dict[str, Any]:
    """What every flag card shows besides its flag: the steps, the role, the last day's
    parity evidence."""
    report = rollout_report(console.uows, _since("day"))
    return {
        "steps": ROLLOUT_STEPS,
        "readonly": not console.can("editor"),
        "evidence": _evidence(report),
        "guard_alerts": guard_alerts(console),
    }


def guard_alerts(console: Console) -> list[dict[str, Any]]:
    """The guard's rollbacks and discards of the last day, for the banner."""
    since = utcnow() - timedelta(days=1)
    events = guard.guard_events(console.uows, since)
    return [e for e in events if e["action"] in ("rolled_back", "discarded")]


# Parity report -------------------------------------------------------------------------------


@router.get("/parity", response_class=HTMLResponse)
def parity_page(console: SignedIn, window: Annotated[WindowName, Query()] = "day") -> Response:
    since = _since(window)
    report = rollout_report(console.uows, since)
    sampling = next(c for c in _cards(console).values() if c.name == SAMPLE_FLAG)
    return console.page(
        "rollout_parity.html",
        window=window,
        windows=WINDOWS,
        evidence=_evidence(report),
        sources=_sources(report),
        mismatches=report["mismatches"],
        explained=report["explained"],
        kinds=MISMATCH_KINDS,
        sampling=sampling,
    )


def _since(window: str) -> Any:
    span = WINDOWS[window][1]
    return None if span is None else utcnow() - span


@dataclass(frozen=True)
class Evidence:
    """The report in one line: how much was compared, and whether anything differed."""

    requests: int
    errors: int
    mismatches: int

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.errors == 0 and self.mismatches == 0


def _evidence(report: dict[str, Any]) -> Evidence:
    sources = report["sources"].values()
    return Evidence(
        requests=max((s["requests"] for s in sources), default=0),
        errors=sum(s["errors"] for s in sources),
        mismatches=report["mismatchedRequests"],
    )


def _sources(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in ("static", "db"):
        s = report["sources"].get(name, {"requests": 0, "errors": 0, "errorRate": 0.0})
        latency = s.get("latencyUs") or {}
        rows.append(
            {
                "source": name,
                "requests": s["requests"],
                "errors": s["errors"],
                "errorRate": s["errorRate"],
                "p50": _micros(latency.get("p50")),
                "p99": _micros(latency.get("p99")),
            }
        )
    return rows


def _micros(value: float | None) -> str:
    """``850 -> "850 µs"``, ``12_340 -> "12.3 ms"``, ``None -> "—"``."""
    if value is None:
        return "—"
    return f"{value:,.0f} µs" if value < 1000 else f"{value / 1000:,.1f} ms"


__all__ = ["router"]
