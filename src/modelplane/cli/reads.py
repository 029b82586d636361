"""Read commands: ``modelplane models list/show/search`` and ``modelplane router``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from modelplane.cli.app import models_app, runtime
from modelplane.cli.output import (
    JsonOpt,
    fail,
    friendly_errors,
    print_json,
    print_table,
    show_value,
)
from modelplane.domain.models import CAPABILITIES, STATUSES, Model
from modelplane.domain.reader import ModelFilter
from modelplane.services.router_data import quality_curve

router_app = typer.Typer(no_args_is_help=True, help="Read the router's dials and profiles.")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
    app.add_typer(router_app, name="router")


# models ------------------------------------------------------------------------------------


def _model_rows(models: Sequence[Model]) -> list[tuple[object, ...]]:
    return [
        (
            m.id,
            m.name,
            m.provider,
            m.pricing.input,
            m.pricing.output,
            m.context_window,
            m.status,
            ",".join(m.capabilities),
        )
        for m in models
    ]


_MODEL_HEADERS = ["id", "name", "provider", "input", "output", "context", "status", "capabilities"]


def _print_models(models: Sequence[Model], as_json: bool) -> None:
    if as_json:
        print_json({"data": [m.to_json() for m in models], "count": len(models)})
    else:
        print_table(_MODEL_HEADERS, _model_rows(models))


def _choice(value: str | None, allowed: Sequence[str], option: str) -> str | None:
    if value is not None and value not in allowed:
        fail(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


@models_app.command("list")
def models_list(
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    status: Annotated[str | None, typer.Option(help="active, beta or deprecated.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only models with it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List models."""
    filters = ModelFilter(
        provider=provider,
        status=_choice(status, STATUSES, "--status"),
        capability=_choice(capability, CAPABILITIES, "--capability"),
    )
    with friendly_errors():
        _print_models(runtime().reader.models(filters), as_json)


@models_app.command("show")
def models_show(model_id: str, as_json: JsonOpt = False) -> None:
    """Show one model."""
    with friendly_errors():
        model = runtime().reader.get(model_id)
    if as_json:
        print_json(model.to_json())
        return
    data = model.to_json()
    print_table(["field", "value"], [(k, show_value(v)) for k, v in data.items()])


@models_app.command("search")
def models_search(
    text: str,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search ids, names, descriptions and providers; exact matches first."""
    with friendly_errors():
        _print_models(runtime().reader.search(text, limit), as_json)


# router ------------------------------------------------------------------------------------


@router_app.command("config")
def router_config(as_json: JsonOpt = False) -> None:
    """Show every router dial."""
    with friendly_errors():
        config = runtime().reader.router_config()
    data = config.to_json()
    if as_json:
        print_json(data)
        return
    from modelplane.domain.history import flatten

    print_table(["dial", "value"], [(k, show_value(v)) for k, v in flatten(data).items()])


@router_app.command("curve")
def router_curve(as_json: JsonOpt = False) -> None:
    """Show what the live premiumShare buys: the quality gap recovered on held-out exam
    questions at that share of premium calls, against a coin."""
    with friendly_errors():
        curve = quality_curve(runtime().reader.router_config())
    if as_json:
        print_json(curve)
        return
    share = curve["premiumShare"]
    print_table(
        ["held-out set", "prompts", f"recovered at {share:.0%} premium", "a coin", "APGR"],
        [
            (
                c["name"],
                c["prompts"],
                f"{c['recoveredAtPremiumShare']:.0%}",
                f"{share:.0%}",
                f"{c['apgr']:.3f}",
            )
            for c in curve["sets"]
        ],
    )


@router_app.command("profiles")
def router_profiles(as_json: JsonOpt = False) -> None:
    """Show each model's quality and category scores."""
    with friendly_errors():
        reader = runtime().reader
        profiles = reader.profiles()
        categories = [c.id for c in reader.categories()]
    if as_json:
        print_json({"data": [p.to_json() for p in profiles], "count": len(profiles)})
        return
    rows = [
        (p.model_id, p.quality_score, *(p.category_scores.get(c, "") for c in categories))
        for p in profiles
    ]
    print_table(["model", "quality", *categories], rows)
