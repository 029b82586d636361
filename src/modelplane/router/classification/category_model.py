"""The embedded classifier's category scores: a linear model over named features and the
message's embedding.

A category's score is its bias, plus the weight of every named feature the message has
(see ``features.py``), plus the dot product of its dense weights with the message's
unit-length WordLlama embedding (the same embedding the difficulty estimator reads, so a
message is embedded once). The weights have two sources, added together:

- ``HAND_WEIGHTS``, written here by a person: strong cues whose meaning is not in doubt
  (a code fence means code, "act as" means role-play, "generate an image" is multimodal);
- ``data/category_weights.json``, learned by ``bench/train_classifier.py`` on top of the
  hand weights, for all eight categories, from the development split of just-eval and the
  development part of the prompts we wrote (research requests, analyses, conversation,
  image tasks: ``bench/data/research_prompts.json``, ``bench/data/category_prompts.json``;
  general chat prompts labelled through just-eval's task types: ``bench/data/chat_prompts.json``):
  it corrects and extends them word by word, and adds the dense weights that carry meaning
  beyond the exact words.

Because scores are sums, every decision can be explained by listing the named features
that moved it (``CategoryModel.contributions``; the embedding's share is one number).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from modelplane.router.classification.difficulty import EMBEDDING_DIM, DifficultyModelError

__all__ = [
    "HAND_BIAS",
    "HAND_WEIGHTS",
    "CategoryModel",
    "CategoryModelError",
    "default_model",
]

Vector = npt.NDArray[np.float64]


class CategoryModelError(DifficultyModelError):
    """The shipped category weights are missing or damaged."""


HAND_BIAS: Mapping[str, float] = {
    "analysis": -4.0,
    "research": -4.0,
    "conversation": -4.0,
    "multimodal": -6.0,
}
"""Where the hand-written cues started these categories; the learned bias now corrects it."""

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
    "cue:research_task": {"research": 3.0},
    "cue:analyse": {"analysis": 6.0},
    "cue:compare": {"analysis": 5.5},
    "cue:data_words": {"analysis": 1.0},
}

_DATA = "category_weights.json"


@dataclass(frozen=True, slots=True)
class CategoryModel:
    """``bias[c] + sum(weights[f][c] for f in features) + dense[c] · embedding`` for each
    category ``c`` (a category without dense weights reads no embedding)."""

    bias: Mapping[str, float]
    weights: Mapping[str, Mapping[str, float]]
    dense_classes: tuple[str, ...] = ()
    dense: Vector | None = None
    """One row of ``EMBEDDING_DIM`` weights per ``dense_classes`` entry."""

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.bias)

    def scores(
        self, features: Iterable[str], known: Collection[str], embedding: Vector | None = None
    ) -> dict[str, float]:
        """The score of every known category that the model has a bias for."""
        totals = {c: b for c, b in self.bias.items() if c in known}
        if embedding is not None and self.dense is not None:
            for category, value in zip(self.dense_classes, self.dense @ embedding, strict=True):
                if category in totals:
                    totals[category] += float(value)
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
    learned_bias: Mapping[str, float],
    learned: Mapping[str, Mapping[str, float]],
    dense_classes: tuple[str, ...] = (),
    dense: Vector | None = None,
) -> CategoryModel:
    """The learned table plus the hand weights (the sum, feature by feature)."""
    bias = dict(learned_bias)
    for category, value in HAND_BIAS.items():
        bias[category] = bias.get(category, 0.0) + value
    weights: dict[str, dict[str, float]] = {f: dict(w) for f, w in learned.items()}
    for feature, by_category in HAND_WEIGHTS.items():
        slot = weights.setdefault(feature, {})
        for category, weight in by_category.items():
            slot[category] = slot.get(category, 0.0) + weight
    return CategoryModel(bias, weights, dense_classes, dense)


def read_learned(
    raw: Any, source: str = "document"
) -> tuple[dict[str, float], dict[str, dict[str, float]], tuple[str, ...], Vector | None]:
    """A learned weights document's parts; anything off raises :class:`CategoryModelError`."""
    try:
        classes: list[str] = list(raw["classes"])
        bias = {c: float(b) for c, b in zip(classes, raw["bias"], strict=True)}
        weights = {
            str(feature): {c: float(w) for c, w in zip(classes, row, strict=True) if w}
            for feature, row in raw["weights"].items()
        }
        dense = None
        if raw.get("dense") is not None:
            dense = np.array(raw["dense"], dtype=np.float64)
            if dense.shape != (len(classes), EMBEDDING_DIM) or not np.all(np.isfinite(dense)):
                raise ValueError(f"'dense' must be {len(classes)} rows of {EMBEDDING_DIM} numbers")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CategoryModelError(f"{source}: not a category weights document: {error}") from None
    return bias, weights, tuple(classes) if dense is not None else (), dense


@cache
def default_model() -> CategoryModel:
    """The shipped model: ``data/category_weights.json`` plus ``HAND_WEIGHTS``."""
    path = resources.files("modelplane.router.classification").joinpath("data", _DATA)
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CategoryModelError(f"category weights not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CategoryModelError(f"category weights unreadable: {path}: {error}") from None
    return combine(*read_learned(raw, str(path)))
