"""Whether the model chosen for the previous message may answer this one too."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from modelplane.router.classification.result import Classification
from modelplane.router.selection.compiled import CompiledModel, CompiledRouter


@dataclass(frozen=True, slots=True)
class StickyVerdict:
    """``model`` when the previous model is kept; otherwise ``reason`` says why not
    (``None`` when there was no previous model at all)."""

    model: CompiledModel | None
    reason: str | None


def check_sticky(
    router: CompiledRouter,
    classification: Classification,
    previous_model_id: str | None,
    exclude: Collection[str],
    context_tokens: int,
) -> StickyVerdict:
    if previous_model_id is None:
        return StickyVerdict(None, None)
    if classification.recommended_action != "keep":
        return StickyVerdict(None, "the classifier recommends a change")
    if previous_model_id in exclude:
        return StickyVerdict(None, "it is excluded")
    model = router.by_id.get(previous_model_id)
    if model is None:
        return StickyVerdict(None, "it is no longer in the catalogue")
    reason = _unfit(router, model, classification, context_tokens)
    return StickyVerdict(None if reason else model, reason)


def _unfit(
    router: CompiledRouter,
    model: CompiledModel,
    classification: Classification,
    context_tokens: int,
) -> str | None:
    threshold = router.dials.long_context_threshold
    needed = router.min_context(context_tokens, requires_long_context=False)
    if model.deprecated:
        return "it is deprecated"
    if classification.requires_vision and not model.has_vision:
        return "it lacks vision, which this message needs"
    if classification.requires_long_context and model.context_window < threshold:
        return (
            f"its context window ({model.context_window:,}) is below the long-context "
            f"threshold ({threshold:,})"
        )
    if model.context_window < needed:
        return f"its context window ({model.context_window:,}) is below the {needed:,.0f} needed"
    return None
