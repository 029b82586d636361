"""``modelplane route TEXT``: ask the auto-router which model should answer a message."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from modelplane.cli.app import runtime
from modelplane.cli.output import fail, friendly_errors, out, print_json, print_table
from modelplane.domain.errors import InvalidInput
from modelplane.domain.validation import validate
from modelplane.router import RouteDecision, RouteRequest
from modelplane.router.classification.embedded import require_models
from modelplane.router.classification.result import Classification
from modelplane.services.routing import route


def route_command(
    text: Annotated[str, typer.Argument(help="The message to route.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")] = False,
    classification_json: Annotated[
        str | None,
        typer.Option(
            "--classification-json",
            help='A classification that skips the classifier, e.g. \'{"primaryCategory": '
            '"coding", "complexity": "complex"}\'.',
        ),
    ] = None,
    previous_model: Annotated[
        str | None, typer.Option("--previous-model", help="The model of the previous message.")
    ] = None,
    context_tokens: Annotated[
        int, typer.Option("--context-tokens", min=0, help="The conversation's size in tokens.")
    ] = 0,
    cost_bias: Annotated[
        float, typer.Option("--cost-bias", min=0, max=100, help="0-100: penalise price.")
    ] = 0,
    speed_bias: Annotated[
        float, typer.Option("--speed-bias", min=0, max=100, help="0-100: reward speed.")
    ] = 0,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="A model to leave out (repeatable).")
    ] = None,
    attachment_type: Annotated[
        list[str] | None,
        typer.Option("--attachment-type", help="An attachment type, e.g. image/png (repeatable)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Make the random choices reproducible.")
    ] = None,
) -> None:
    """Route TEXT: classify it, score the eligible models and pick one, with the reasons."""
    require_models()  # damaged classifier weights: one line, as the server says it
    with friendly_errors():
        request = validate(
            RouteRequest,
            {
                "text": text,
                "classification": _classification(classification_json),
                "previousModelId": previous_model,
                "contextTokens": context_tokens,
                "costBias": cost_bias,
                "speedBias": speed_bias,
                "exclude": exclude or [],
                "attachmentTypes": attachment_type or [],
                "seed": seed,
                "candidates": "all",
            },
        )
        decision = route(runtime(), request)
    if as_json:
        print_json(decision.to_json())
    else:
        _print_decision(decision)


def _classification(raw: str | None) -> Classification | None:
    if raw is None:
        return None
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"--classification-json is not JSON: {exc}")
    if not isinstance(data, dict):
        fail("--classification-json must be a JSON object")
    try:
        return validate(Classification, data, "classification")
    except InvalidInput as exc:
        fail("; ".join(str(e) for e in exc.errors))


def _print_decision(decision: RouteDecision) -> None:
    rows = [
        (
            "*" if c.model_id == decision.selected_model_id else "",
            c.model_id,
            c.tier,
            f"{c.score:.2f}",
            f"{c.breakdown.base:g}",
            f"{c.breakdown.secondary:g}",
            f"x{c.breakdown.complexity_multiplier:g}",
            f"-{c.breakdown.cost_penalty:.2f}",
            f"{c.breakdown.speed_bonus:+.2f}",
            f"+{c.breakdown.stickiness_bonus:g}",
            f"+{c.breakdown.reasoning_bonus:g}",
            f"+{c.breakdown.research_bonus:g}",
            "floor" if c.breakdown.floor_applied else "",
        )
        for c in decision.candidates
    ]
    headers = [
        "",
        "model",
        "tier",
        "score",
        "base",
        "second",
        "mult",
        "cost",
        "speed",
        "sticky",
        "reason",
        "research",
        "",
    ]
    if rows:
        print_table(headers, rows)
        out.print()
    flags = [
        name
        for name, on in (
            ("sticky", decision.is_sticky),
            ("exploration", decision.exploration_pick),
            ("fallback", decision.is_fallback),
        )
        if on
    ]
    suffix = f" [{', '.join(flags)}]" if flags else ""
    tier = f" ({decision.tier})" if decision.tier else ""
    out.print(f"chosen: {decision.selected_model_id}{tier}{suffix}", highlight=False)
    out.print(decision.reasoning, highlight=False)
    out.print(
        f"config v{decision.config_version}, profiles v{decision.profiles_version}, "
        f"{decision.timing.total_us} µs",
        highlight=False,
    )


__all__ = ["route_command"]
