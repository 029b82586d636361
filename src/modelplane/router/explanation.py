"""Plain-language reasoning for a decision: what the message is, why this model."""

from __future__ import annotations

import math

from modelplane.router.classification.difficulty import shipped_model
from modelplane.router.classification.result import Classification
from modelplane.router.selection.decide import Outcome
from modelplane.router.selection.pick import CHEAP, MID, PREMIUM, Pick, difficulty_of


def describe_classification(c: Classification, source: str, note: str | None = None) -> str:
    """``"Classified as coding (with reasoning), complex, confidence 0.80, by the embedded
    classifier."``"""
    secondary = f" (with {c.secondary_category})" if c.secondary_category else ""
    needs = [
        label
        for label, flag in (
            ("vision", c.requires_vision),
            ("long context", c.requires_long_context),
            ("reasoning", c.requires_reasoning),
        )
        if flag
    ]
    needs_text = f"; needs {', '.join(needs)}" if needs else ""
    stakes = f"; high-stakes ({c.high_stakes_domain})" if c.is_high_stakes else ""
    by = {
        "given": "as given by the caller",
        "embedded": "by the embedded classifier",
        "llm": "by the LLM classifier",
        "conservative": "using the conservative classification",
    }.get(source, f"by {source}")
    text = (
        f"Classified as {c.primary_category}{secondary}, {c.complexity}, "
        f"confidence {c.confidence:.2f}{needs_text}{stakes}, {by}."
    )
    return f"{note.rstrip('.')}. {text}" if note else text


def explain(outcome: Outcome, previous_model_id: str | None) -> str:
    """Why ``outcome.model`` was chosen, in a few sentences."""
    parts: list[str] = []
    sticky = outcome.sticky
    if outcome.is_sticky:
        return (
            f"Kept {outcome.model.id} from the previous message: the classifier recommends "
            "keeping it and it still meets every requirement."
        )
    if sticky.reason is not None:
        parts.append(f"Did not keep {previous_model_id}: {sticky.reason}.")
    e = outcome.eligible
    parts.append(
        f"{e.total()} models eligible ({e.available(CHEAP)} cheap, {e.available(MID)} mid, "
        f"{e.available(PREMIUM)} premium)."
    )
    if outcome.is_fallback or outcome.pick is None:
        parts.append(f"Using the fallback model {outcome.model.id}.")
    else:
        parts.append(_pick_sentence(outcome, outcome.pick))
    return " ".join(parts)


def _pick_sentence(outcome: Outcome, pick: Pick) -> str:
    c = outcome.scorer.classification
    chosen = pick.model.id
    score = outcome.scorer.score(pick.model)
    strategy = outcome.scorer.router.config.router_settings.selection_strategy
    if strategy == "quality" and pick.share is not None:
        how = _weighted_how(outcome, pick, score)
    elif strategy == "weighted-random":
        how = f"picked {chosen} at random among the {pick.pool_size} {pick.tier} models"
    else:
        how = f"took the best {pick.tier} score, {chosen} ({score:.1f})"
    if pick.rule == "difficulty":
        return f"{_difficulty_clause(outcome, pick)}; {how}."
    if pick.rule == "high-stakes":
        return f"High-stakes ({c.high_stakes_domain}): {how}."
    if pick.rule == "high-stakes-no-premium":
        return (
            f"High-stakes ({c.high_stakes_domain}) but no premium model is eligible: "
            f"took the best score overall, {chosen} ({score:.1f})."
        )
    if pick.rule == "best":
        return f"Strategy 'best': took the highest score, {chosen} ({score:.1f})."
    w = outcome.scorer.router.dials.weights[c.complexity]
    rolled = (
        f"Rolled {pick.roll:.3f} against the {c.complexity} tier weights "
        f"(cheap {w[0]:g}, mid {w[1]:g}, premium {w[2]:g})"
    )
    if pick.rule == "best-overall":
        return (
            f"{rolled}; only cheap models are eligible and the roll passed the cheap weight, "
            f"so took the best score overall, {chosen} ({score:.1f})."
        )
    explore = " (an exploration pick)" if pick.exploration else ""
    return f"{rolled}: the {pick.tier} tier; {how}{explore}."


def _difficulty_clause(outcome: Outcome, pick: Pick) -> str:
    """``Difficulty 0.412 ≥ threshold 0.304 for premium (premiumShare 0.30: the hardest
    30% of reference prompts; this one is harder than 93% of them)``, and the tier taken
    instead when the wanted one had no eligible model."""
    quality = outcome.scorer.router.config.quality
    dials = outcome.scorer.router.dials
    difficulty = difficulty_of(outcome.scorer.classification)
    d = f"Difficulty {difficulty:.3f}"
    harder = f"harder than {shipped_model().percentile(difficulty):.0%}"
    premium, cheap = dials.premium_threshold, dials.cheap_threshold
    if pick.wanted == "premium" and math.isinf(premium):
        text = f"{d}: premiumShare {quality.premium_share:.2f} sends every message to premium"
    elif pick.wanted == "premium":
        text = (
            f"{d} ≥ threshold {premium:.3f} for premium (premiumShare "
            f"{quality.premium_share:.2f}: the hardest {quality.premium_share:.0%} of "
            f"reference prompts; this one is {harder} of them)"
        )
    elif pick.wanted == "cheap" and math.isinf(cheap):
        text = f"{d}: cheapShare {quality.cheap_share:.2f} sends every message to cheap"
    elif pick.wanted == "cheap":
        text = (
            f"{d} ≤ threshold {cheap:.3f} for cheap (cheapShare {quality.cheap_share:.2f}: "
            f"the easiest {quality.cheap_share:.0%} of reference prompts; this one is "
            f"{harder} of them)"
        )
    else:
        low = "none" if math.isinf(cheap) else f"{cheap:.3f}"
        high = "none" if math.isinf(premium) else f"{premium:.3f}"
        text = (
            f"{d} is above the cheap threshold ({low}) and below the premium one ({high}): "
            f"mid (this one is {harder} of the reference prompts)"
        )
    if pick.wanted != pick.tier:
        text += f"; no {pick.wanted} model is eligible, so {pick.tier}"
    return text


def _weighted_how(outcome: Outcome, pick: Pick, score: float) -> str:
    quality = outcome.scorer.router.config.quality
    explore = ", an exploration pick" if pick.exploration else ""
    return (
        f"picked {pick.model.id}, score {score:.1f}, share {pick.share or 0:.0%} of the "
        f"{pick.pool_size} {pick.tier} models (weighted by score at temperature "
        f"{quality.temperature:g}, exploration {quality.exploration:.0%}{explore})"
    )


def explain_failure(fallback_model_id: str, error: str) -> str:
    return f"Routing failed ({error}); using the fallback model {fallback_model_id}."
