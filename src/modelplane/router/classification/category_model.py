"""The embedded classifier's category scores: a linear table over named features.

A category's score is its bias plus the weight of every feature the message has (see
``features.py``). The weights have two sources, added together:

- ``HAND_WEIGHTS``, written here by a person: strong cues whose meaning is not in doubt
  (a code fence means code, "act as" means role-play) and every weight of the categories
  that no labelled data teaches (analysis, research, conversation, multimodal);
- ``data/category_weights.json``, learned by ``bench/train_classifier.py`` from the
  development split of just-eval only, on top of the hand weights: for factual, reasoning,
  creative and coding it corrects and extends them word by word.

Because scores are sums, every decision can be explained by listing the features that
moved it (``CategoryModel.contributions``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["HAND_BIAS", "HAND_WEIGHTS", "CategoryModel", "default_model"]

HAND_BIAS: Mapping[str, float] = {
    "analysis": -4.0,
    "research": -4.0,
    "conversation": -4.0,
    "multimodal": -6.0,
}
"""Categories without training data start well below the learned ones and win only on
their cues."""

HAND_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "cue:code_fence": {"coding": 3.0},
    "cue:inline_code": {"coding": 1.0},
    "cue:code_syntax": {"coding": 2.5},
    "cue:braces_or_semicolons": {"coding": 1.0},
    "cue:identifier_shape": {"coding": 1.0},
    "cue:stack_trace": {"coding": 1.5},
    "cue:language_name": {"coding": 3.0},
    "cue:code_task": {"coding": 3.0},
    "cue:code_words": {"coding": 1.5},
    "cue:arithmetic": {"reasoning": 2.0},
    "cue:equation": {"reasoning": 1.5},
    "cue:math_word": {"reasoning": 1.5},
    "cue:proof": {"reasoning": 2.0},
    "cue:puzzle": {"reasoning": 2.0},
    "cue:why_question": {"reasoning": 0.5},
    "cue:opinion": {"reasoning": 1.5},
    "cue:write_request": {"creative": 1.5},
    "cue:compose_text": {"creative": 2.0},
    "cue:creative_words": {"creative": 1.0},
    "cue:text_form": {"creative": 0.7},
    "cue:role_play": {"creative": 3.5, "conversation": 1.0},
    "cue:about_you": {"creative": 1.0, "conversation": 4.5},
    "cue:how_do_i": {"factual": 1.0},
    "cue:wh_question": {"factual": 0.5},
    "cue:image_request": {"multimodal": 10.0},
    "cue:this_image": {"multimodal": 8.0},
    "cue:greeting": {"conversation": 10.0},
    "cue:small_talk": {"conversation": 7.0},
    "len:tiny": {"conversation": 1.0},
    "cue:fresh_info": {"research": 3.5},
    "cue:sources": {"research": 3.5},
    "cue:look_up": {"research": 4.0},
    "cue:analyse": {"analysis": 6.0},
    "cue:compare": {"analysis": 5.5},
    "cue:data_words": {"analysis": 1.0},
}

_DATA = "category_weights.json"


@dataclass(frozen=True, slots=True)
class CategoryModel:
    """``bias[c] + sum(weights[f][c] for f in features)`` for each category ``c``."""

    bias: Mapping[str, float]
    weights: Mapping[str, Mapping[str, float]]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.bias)

    def scores(self, features: Iterable[str], known: Collection[str]) -> dict[str, float]:
        """The score of every known category that the model has a bias for."""
        totals = {c: b for c, b in self.bias.items() if c in known}
        for feature in features:
            for category, weight in self.weights.get(feature, {}).items():
                if category in totals:
                    totals[category] += weight
        return totals

    def contributions(self, features: Iterable[str], category: str) -> list[tuple[str, float]]:
        """The features that moved ``category``, strongest first: the explanation."""
        found = [(f, self.weights.get(f, {}).get(category, 0.0)) for f in features]
        return sorted(((f, w) for f, w in found if w), key=lambda fw: -abs(fw[1]))


def probabilities(scores: Mapping[str, float]) -> dict[str, float]:
    """Softmax over the scores: ``{"a": 0.0, "b": 0.0} -> {"a": 0.5, "b": 0.5}``."""
    top = max(scores.values())
    exp = {c: math.exp(s - top) for c, s in scores.items()}
    total = sum(exp.values())
    return {c: e / total for c, e in exp.items()}


def combine(
    learned_bias: Mapping[str, float], learned: Mapping[str, Mapping[str, float]]
) -> CategoryModel:
    """The learned table plus the hand weights (the sum, feature by feature)."""
    bias = {**learned_bias, **HAND_BIAS}
    weights: dict[str, dict[str, float]] = {f: dict(w) for f, w in learned.items()}
    for feature, by_category in HAND_WEIGHTS.items():
        slot = weights.setdefault(feature, {})
        for category, weight in by_category.items():
            slot[category] = slot.get(category, 0.0) + weight
    return CategoryModel(bias, weights)


def _read_learned() -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    raw: dict[str, Any] = json.loads(
        resources.files("modelplane.router.classification")
        .joinpath("data", _DATA)
        .read_text("utf-8")
    )
    classes: list[str] = raw["classes"]
    bias = dict(zip(classes, raw["bias"], strict=True))
    weights = {
        feature: {c: w for c, w in zip(classes, row, strict=True) if w}
        for feature, row in raw["weights"].items()
    }
    return bias, weights


@cache
def default_model() -> CategoryModel:
    """The shipped model: ``data/category_weights.json`` plus ``HAND_WEIGHTS``."""
    return combine(*_read_learned())
