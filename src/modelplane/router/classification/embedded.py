"""The default classifier: a linear model over named features and an embedding, no
network, no download.

A message becomes a set of named features (``features.py``: words, word pairs, the first
words, and hand-written cues for code, arithmetic, role-play, requests for images, ...)
and one unit-length WordLlama embedding (``difficulty.embed``; the table ships in the
``wordllama`` wheel). Each category's score is a sum of feature weights plus a dot product
with the embedding (``category_model.py``): hand-set for strong cues, and learned for all
eight categories from the development split of just-eval and of the prompts we wrote for
the categories it lacks (research requests, analyses, conversation, image tasks). The same
embedding gives the difficulty (``difficulty.py``), so a message is embedded once. The
softmax of the scores gives the primary category, the secondary one (if it keeps at least
``SECONDARY_SHARE`` of the probability) and the confidence (the primary's probability,
so 0.9 means "right about nine times in ten" on prompts like just-eval's;
``bench/classifier.py`` checks that).

Attachments decide vision and sizes decide long context (see ``classifier.py``);
high-stakes domains come from ``high_stakes.py``. A classification takes a few hundred
microseconds (the embedding is most of it) and the same text always gets the same answer.
Both models load on first use, once per process; ``require_models`` loads them at start.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from functools import cache
from importlib import metadata, resources

from modelplane.domain.router_config import Complexity
from modelplane.router.classification import difficulty as _difficulty
from modelplane.router.classification.category_model import (
    CategoryModel,
    probabilities,
)
from modelplane.router.classification.category_model import (
    default_model as default_category_model,
)
from modelplane.router.classification.classifier import (
    ClassifierContext,
    ClassifierName,
    Message,
    needs_long_context,
    needs_vision,
)
from modelplane.router.classification.features import extract
from modelplane.router.classification.high_stakes import HighStakesDetector
from modelplane.router.classification.result import Action, Classification

__all__ = [
    "SECONDARY_SHARE",
    "VISION_WEIGHT",
    "EmbeddedClassifier",
    "require_models",
    "shipped_weights",
]

SECONDARY_SHARE = 0.2
"""A runner-up with at least this probability is named as the secondary category."""
VISION_WEIGHT = 10.0
"""What an image attachment adds to ``multimodal``: an image usually is the task."""
KEEP_BELOW = 0.5
"""With a previous model, a message the classifier is this unsure about keeps it."""

_COMPLEX_CUES = re.compile(
    r"\b(design|architect\w*|optimi[sz]e|in detail|detailed|comprehensive|thorough|prove|"
    r"trade-?offs?|step by step|multi-?step|in depth|analy[sz]e|evaluate|implement|"
    r"strategy|edge cases?|scal(e|able|ability)|derive|justify|critically|essay|"
    r"business plan|full|complete|explain why|compare)\b",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(and|also|but|so|then|now|ok(ay)?|thanks|thank you|continue|go on|more|what about|"
    r"how about|same|again|why|can you|could you|please|it|that|this|make it|shorter|"
    r"longer)\b",
    re.IGNORECASE,
)
_MATH_CUES = frozenset({"cue:arithmetic", "cue:equation", "cue:math_word"})


class EmbeddedClassifier:
    """Feature-table classifier. Thread-safe; build once and share."""

    name: ClassifierName = "embedded"

    def __init__(
        self,
        model: CategoryModel | None = None,
        high_stakes: HighStakesDetector | None = None,
        difficulty: _difficulty.DifficultyModel | None = None,
    ) -> None:
        self._model = model
        self._high_stakes = high_stakes or HighStakesDetector()
        self._difficulty = difficulty

    @property
    def model(self) -> CategoryModel:
        if self._model is None:  # the shipped one, loaded on first use (once per process)
            self._model = default_category_model()
        return self._model

    @property
    def difficulty_model(self) -> _difficulty.DifficultyModel:
        if self._difficulty is None:
            self._difficulty = _difficulty.default_model()
        return self._difficulty

    def classify(self, message: Message, context: ClassifierContext) -> Classification:
        text = message.text
        features = extract(text)
        embedding = _difficulty.embed(text)
        difficulty = self.difficulty_model.estimate_embedded(text, embedding)
        vision = needs_vision(message.attachment_types)
        ranked = self._ranked(features, embedding, context.categories, vision)
        (primary, confidence), runner_up = ranked[0], ranked[1] if len(ranked) > 1 else None
        secondary = runner_up[0] if runner_up and runner_up[1] >= SECONDARY_SHARE else None
        complexity = _complexity(text, features, primary)
        domain = self._high_stakes.domain(text, context.domains)
        return Classification(
            primary_category=primary,
            secondary_category=secondary,
            complexity=complexity,
            difficulty=round(difficulty, 3),
            requires_vision=vision,
            requires_long_context=needs_long_context(message, context),
            requires_reasoning=_requires_reasoning(features, primary, secondary, complexity),
            confidence=round(confidence, 2),
            is_high_stakes=domain is not None,
            high_stakes_domain=domain,
            recommended_action=_action(message, confidence, vision),
        )

    def explain(self, text: str, category: str, limit: int = 8) -> list[tuple[str, float]]:
        """The features that moved ``category`` for ``text``, strongest first:
        ``explain("Fix this Python bug", "coding")[0] == ("cue:language_name", 3.3)``."""
        return self.model.contributions(extract(text), category)[:limit]

    def _ranked(
        self,
        features: frozenset[str],
        embedding: _difficulty.Vector,
        known: Sequence[str],
        vision: bool,
    ) -> list[tuple[str, float]]:
        scores = self.model.scores(features, known, embedding)
        if vision and "multimodal" in scores:
            scores["multimodal"] += VISION_WEIGHT
        if not scores:
            return [(_fallback(features, known), 0.0)]
        return sorted(probabilities(scores).items(), key=lambda kv: -kv[1])


def require_models() -> None:
    """Load the shipped category and difficulty models now, or stop the process with one
    clear line on stderr: a server must not start with a classifier that cannot work, nor
    quietly swap it for another."""
    try:
        default_category_model()
        _difficulty.default_model()
    except _difficulty.DifficultyModelError as error:
        raise SystemExit(f"modelplane: cannot start: {error}") from None


@cache
def shipped_weights() -> dict[str, str]:
    """What the embedded classifier (and every classification's difficulty) is computed
    from, for ``/healthz``: each weights file as ``name@`` the first 12 hex digits of its
    SHA-256, and the embedding's package and version. Call after ``require_models``."""
    folder = resources.files("modelplane.router.classification").joinpath("data")
    named = {"categories": "category_weights.json", "difficulty": "difficulty_weights.json"}
    out = {
        key: f"{name}@{hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest()[:12]}"
        for key, name in named.items()
    }
    out["embedding"] = f"wordllama {metadata.version('wordllama')} l2_supercat 256-d"
    return out


def _fallback(features: Collection[str], known: Sequence[str]) -> str:
    """For a router whose categories the table does not know at all."""
    asks = "cue:ends_with_question" in features or "cue:wh_question" in features
    for category in ("factual" if asks else "conversation", "conversation"):
        if category in known:
            return category
    return known[0] if known else "conversation"


def _complexity(text: str, features: frozenset[str], primary: str) -> Complexity:
    """Length and cue words, with a nudge from the task: chit-chat and look-ups are
    rarely complex, proofs and programs rarely simple."""
    words = len(text.split())
    cues = len(_COMPLEX_CUES.findall(text))
    if words > 150 or cues >= 2 or (cues and words > 40) or text.count("?") >= 3:
        return "complex"
    light = primary in ("conversation", "factual") or "len:tiny" in features
    if words <= 12 and not cues and light:
        return "simple"
    return "moderate"


def _requires_reasoning(
    features: frozenset[str], primary: str, secondary: str | None, complexity: Complexity
) -> bool:
    """Multi-step work: maths, proofs, puzzles, or a complex analysis or program."""
    if primary == "reasoning" or len(_MATH_CUES & features) >= 2:
        return True
    deep = primary in ("analysis", "coding") or secondary == "reasoning"
    return deep and complexity == "complex"


def _action(message: Message, confidence: float, vision: bool) -> Action:
    """``keep`` a previous model for follow-ups and unsure calls; ``change`` when the
    message clearly starts something new or needs vision."""
    if not message.has_previous_model or vision:
        return "change"
    if _FOLLOW_UP.search(message.text.strip()) or confidence < KEEP_BELOW:
        return "keep"
    return "change"
