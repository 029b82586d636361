"""How hard a prompt is: the estimated probability that a weak, cheap model fails it where a
strong one succeeds, as a number in [0, 1].

The estimate is a logistic model over two kinds of features of the prompt's text:

* its *meaning*: the 256-dim WordLlama embedding (``wordllama``, MIT; the token table and
  the tokenizer ship inside the wheel, so nothing is downloaded), mean-pooled over tokens
  and scaled to unit length;
* its *shape*: a few hand features for reasoning load that carry across domains (length,
  numbers and maths notation, code, proof and multi-step cues, explicit constraints,
  multiple-choice options, the stem and options of an exam question, the wording).

Exam questions (three or more lettered options) and every other text get *separate* weights
for all of these: the exam outcomes teach which topics a weak model fails on, which says
nothing about open chat, and the chat labels teach that reasoning and long constrained
requests are hard, which says little about a four-option question. One shared set of
weights made each side worse on the other's prompts (cross-validated by subject in
``bench/train_difficulty.py --tune``).

Each feature is standardised with the mean and scale stored beside the weights, and a hand
feature is first capped at the largest value training saw (``ceiling``): past the longest
prompt it learned from, a longer one is read as that long, not extrapolated. So the
weights file (``data/difficulty_weights.json``, written by ``bench/train_difficulty.py``)
is the whole model. Beside them it keeps the estimate's *reference spread*: its value at
every percentile of a reference set of chat prompts (``quantiles``). The estimate is a
probability, mostly between 0.05 and 0.5, not spread evenly over [0, 1]; the spread is
what turns a share of traffic ("send the hardest 30% to premium") into a difficulty
threshold (``DifficultyModel.threshold``). The file is read once, on first use; a missing
or damaged file raises one :class:`DifficultyModelError` that names the file. An estimate
takes a few hundred microseconds (mostly the embedding) and the same text always gets the
same number.

    from modelplane.router.classification.difficulty import estimate
    estimate("Prove that sqrt(2) is irrational.")   # -> a float in [0, 1]
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CURVE_PATH",
    "EMBEDDING_DIM",
    "FEATURE_COUNT",
    "GATE",
    "HAND_FEATURES",
    "SIDE_WIDTH",
    "WEIGHTS_PATH",
    "DifficultyModel",
    "DifficultyModelError",
    "QualityCurve",
    "default_model",
    "embed",
    "embed_many",
    "estimate",
    "feature_matrix",
    "hand_features",
    "quality_curve",
    "shipped_model",
]

Vector = npt.NDArray[np.float64]
_log = logging.getLogger(__name__)

WEIGHTS_PATH: Final = Path(__file__).resolve().parent / "data" / "difficulty_weights.json"
CURVE_PATH: Final = WEIGHTS_PATH.with_name("difficulty_curve.json")
"""How well the shipped estimate routes on held-out outcomes (written with the weights by
``bench/train_difficulty.py``; read by ``quality_curve``, for the console)."""
EMBEDDING_DIM: Final = 256
FORMAT: Final = "modelplane-difficulty/4"
PERCENTILES: Final = 101
"""The reference spread has the estimate at percentiles 0, 1, ..., 100."""
MAX_EMBED_CHARS: Final = 6000
"""Only the head of a very long prompt is embedded: meaning settles long before, and the
hand features still see the whole length. Bounds the time an estimate can take."""


class DifficultyModelError(RuntimeError):
    """The difficulty model could not be loaded (weights missing or damaged, embedding absent)."""


# --- hand features -------------------------------------------------------------------------

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"(?<![a-z])\d+(?:[.,]\d+)*")
_SENTENCE = re.compile(r"[.!?](?:\s|$)")
_OPTION = re.compile(r"^\s*\(?[A-D][.)]\s", re.MULTILINE)
_OPTION_LINE = re.compile(r"^\s*\(?[A-D][.)]\s?(.*)$", re.MULTILINE)
_BARE_NUMBER = re.compile(r"\s*[-$]?\d[\d.,/ ]*\s*\S{0,6}\s*")
_LONG_WORD = re.compile(r"[a-z]{9,}")
_SHOUTED_NEGATION = re.compile(r"\b(?:NOT|EXCEPT|LEAST)\b")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s", re.MULTILINE)
_LATEX = re.compile(r"\\[a-zA-Z]+|\$[^$\n]+\$")
_MATH_SYMBOLS = "=+*/^<>≤≥≠±\u00d7÷√∑∏∫∞π$"  # \u00d7: the multiplication sign
_DROP_MATH = str.maketrans("", "", _MATH_SYMBOLS)


@dataclass(frozen=True, slots=True)
class _Cue:
    """A family of cues: single words (matched against the text's words) and phrases
    (substrings of the lower-cased text)."""

    words: frozenset[str]
    phrases: tuple[str, ...] = ()

    def count(self, counts: Mapping[str, int], lower: str) -> int:
        """How often the cue occurs: ``counts`` is the text's words with their counts (a
        ``Counter``), ``lower`` the lower-cased text. Walks the shorter of the two word sets."""
        if len(counts) < len(self.words):
            found = sum(n for word, n in counts.items() if word in self.words)
        else:
            found = sum(counts.get(word, 0) for word in self.words)
        return found + sum(lower.count(p) for p in self.phrases)


def _cue(words: str, *phrases: str) -> _Cue:
    return _Cue(frozenset(words.split()), phrases)


_PROOF = _cue(
    "prove proof proofs derive derivation theorem lemma iff contradiction induction rigorous "
    "rigorously",
    "show that",
    "demonstrate that",
    "if and only if",
    "for all ",
    "there exists",
)
_MULTI_STEP = _cue(
    "steps then after afterwards each every total remaining left twice half times per "
    "percent altogether first second third finally respectively ratio rate average",
    "step by step",
    "step-by-step",
    "how many",
    "how much",
    "in all",
    "more than",
    "less than",
    "%",
)
_COMPUTE = _cue(
    "calculate compute solve evaluate find determine simplify estimate optimise optimize "
    "integral derivative probability equation complexity algorithm",
    "expected value",
)
_ANALYSE = _cue(
    "why explain analyse analyze compare contrast tradeoff tradeoffs justify critique "
    "implication implications design architecture implement debug refactor comprehensive",
    "trade-off",
    "in detail",
)
_CONSTRAINT = _cue(
    "must without exactly only never always within limit limited format word words sentence "
    "sentences paragraph paragraphs bullet bullets json table",
    "should not",
    "do not",
    "don't",
    "at least",
    "at most",
    "no more than",
    "no fewer than",
)
_QUESTION = _cue("what which who whom whose when where why how")
_CODE = _cue(
    "def return import function const void public select",
    "```",
    "#include",
    "=>",
    "std::",
    "{\n",
    "};",
    "for (",
    "while (",
    "class ",
)
_SMALL_TALK = _cue(
    "hi hello hey thanks thank bye ok okay cool nice yo",
    "how are you",
    "good morning",
    "good evening",
    "good night",
    "what's up",
)

_NEGATION = _cue("not except least false incorrect never cannot", "n't")
_FIRST_PERSON = _cue("i my me")
_PREMISE = _cue("if suppose assume given let")
_UNIT = _cue(
    "kg mol cm km hz ev joule joules newton newtons volt volts ohm ohms watt watts percent dollars",
    "m/s",
    "$",
    "%",
)

HAND_FEATURES: Final = (
    "log_chars",
    "log_words",
    "log_lines",
    "log_sentences",
    "log_numbers",
    "digit_share",
    "log_math_symbols",
    "latex",
    "log_code",
    "log_proof",
    "log_multi_step",
    "log_compute",
    "log_analyse",
    "log_constraints",
    "log_question_words",
    "log_question_marks",
    "log_list_items",
    "options",
    "small_talk",
    "log_stem_chars",
    "log_mean_option_chars",
    "log_max_option_chars",
    "option_length_spread",
    "numeric_option_share",
    "log_stem_numbers",
    "log_stem_negations",
    "shouted_negation",
    "long_word_share",
    "mean_word_length",
    "distinct_word_share",
    "two_statements",
    "which_of_the_following",
    "log_first_person",
    "log_premises",
    "log_units",
)
"""Named hand features, in the order the weights file stores them. The second group reads
the shape of a question and its options (stem and option lengths, numeric options, negated
stems), and of its wording (long words, distinct words, premises, units): signals that do
not depend on the subject."""
GATE: Final = "exam_format"
"""Whether the text is a multiple-choice question (the ``options`` hand feature). Exam
questions and open requests get separate weights for every feature (below), so what the
exam outcomes teach about topics cannot leak into open chat and the other way round."""
SIDES: Final = ("exam", "chat")
FEATURE_COUNT: Final = 2 * (EMBEDDING_DIM + len(HAND_FEATURES)) + 1


def hand_features(text: str) -> Vector:
    """The hand features of one text, unstandardised, in ``HAND_FEATURES`` order."""
    lower = text.lower()
    words = _WORD.findall(lower)
    counts = Counter(words)
    log = math.log1p
    short = len(words) <= 12
    numbers = len(_NUMBER.findall(lower))
    values = (
        log(len(text)),
        log(len(words)),
        log(text.count("\n")),
        log(len(_SENTENCE.findall(text))),
        log(numbers),
        sum(c.isdigit() for c in text) / max(len(text), 1),
        log(len(text) - len(text.translate(_DROP_MATH))),
        1.0 if _LATEX.search(text) else 0.0,
        log(_CODE.count(counts, lower)),
        log(_PROOF.count(counts, lower)),
        log(_MULTI_STEP.count(counts, lower)),
        log(_COMPUTE.count(counts, lower)),
        log(_ANALYSE.count(counts, lower)),
        log(_CONSTRAINT.count(counts, lower)),
        log(_QUESTION.count(counts, lower)),
        log(text.count("?")),
        log(len(_LIST_ITEM.findall(text))),
        1.0 if len(_OPTION.findall(text)) >= 3 else 0.0,
        1.0 if short and _SMALL_TALK.count(Counter(words[:3]), lower[:40]) else 0.0,
        *_question_shape(text, lower, words, counts, numbers),
    )
    return np.array(values, dtype=np.float64)


def _question_shape(
    text: str, lower: str, words: Sequence[str], counts: Mapping[str, int], numbers: int
) -> tuple[float, ...]:
    """The second group of ``HAND_FEATURES``: the stem and options of a multiple-choice
    question (the whole text is the stem of any other), and the wording. ``counts`` is
    ``Counter(words)``; ``numbers`` is how many numbers the whole text has."""
    log = math.log1p
    found = list(_OPTION_LINE.finditer(text))
    stem_counts: Mapping[str, int]
    if len(found) >= 3:
        stem, options = text[: found[0].start()], [m.group(1) for m in found]
        stem_lower = stem.lower()
        stem_counts = Counter(_WORD.findall(stem_lower))
        numbers = len(_NUMBER.findall(stem_lower))
    else:
        stem, stem_lower, options, stem_counts = text, lower, [], counts
    stem = stem.replace("Answer:", "")
    lengths = [len(option) for option in options]
    mean_length = sum(lengths) / len(lengths) if lengths else 0.0
    spread = (
        math.sqrt(sum((n - mean_length) ** 2 for n in lengths) / len(lengths)) / (mean_length + 1)
        if lengths
        else 0.0
    )
    numeric = sum(bool(_BARE_NUMBER.fullmatch(o)) for o in options) / max(len(options), 1)
    negations = _NEGATION.count(stem_counts, stem_lower)
    word_count = max(len(words), 1)
    return (
        log(len(stem)),
        log(mean_length),
        log(max(lengths, default=0)),
        spread,
        numeric,
        log(numbers),
        log(negations),
        1.0 if _SHOUTED_NEGATION.search(stem) else 0.0,
        len(_LONG_WORD.findall(lower)) / word_count,
        sum(map(len, words)) / word_count,
        len(counts) / word_count,
        1.0 if "statement 1" in lower else 0.0,
        1.0 if "which of the following" in lower else 0.0,
        log(_FIRST_PERSON.count(counts, lower)),
        log(_PREMISE.count(counts, lower)),
        log(_UNIT.count(counts, lower)),
    )


# --- the embedding -------------------------------------------------------------------------

_embedder_lock = threading.Lock()
_embedder: Any = None


def _load_embedder() -> Any:
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            try:
                import wordllama  # type: ignore[import-untyped]

                # The weights sit in the installed package; pointing the cache at the
                # package folder finds them there and never reaches for the network.
                folder = Path(wordllama.__file__).resolve().parent
                _embedder = wordllama.WordLlama.load(
                    config="l2_supercat", dim=EMBEDDING_DIM, cache_dir=folder, disable_download=True
                )
            except Exception as error:  # ImportError, FileNotFoundError, a damaged table, ...
                raise DifficultyModelError(
                    f"the WordLlama embedding shipped with the wordllama package could not be "
                    f"loaded: {error}"
                ) from error
        return _embedder


def _pooled(embedder: Any, text: str) -> tuple[npt.NDArray[np.float32], int]:
    """The sum of the text's token vectors (its head, see ``MAX_EMBED_CHARS``) and how many
    there were: WordLlama's mean pooling without its batching, which costs more than the
    sum for one text."""
    encoding = embedder.tokenizer.encode(text[:MAX_EMBED_CHARS], add_special_tokens=False)
    table = embedder.embedding
    ids = np.minimum(np.asarray(encoding.ids, dtype=np.intp), table.shape[0] - 1)
    if not len(ids):
        return np.zeros(table.shape[1], dtype=np.float32), 0
    return table[ids].sum(axis=0), len(ids)


def _unit(vector: npt.NDArray[np.float32]) -> Vector:
    out = vector.astype(np.float64)
    norm = math.sqrt(float(out @ out))
    return out / norm if norm > 1e-12 else out


def embed(text: str) -> Vector:
    """The unit-length mean of the text's WordLlama token vectors (its head, see
    ``MAX_EMBED_CHARS``); zeros for a text without tokens."""
    total, _ = _pooled(_load_embedder(), text)
    return _unit(total)


def embed_many(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Unit-length embeddings, one row per text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float64)
    return np.stack([embed(text) for text in texts])


_GATE_AT: Final = HAND_FEATURES.index("options")
SIDE_WIDTH: Final = EMBEDDING_DIM + len(HAND_FEATURES)
"""How wide one side (exam or open) of a :func:`feature_matrix` row is: the open side
starts there."""


def _gated(embedding: Vector, hand: Vector) -> Vector:
    """One row of :func:`feature_matrix` from a text's embedding and hand features."""
    row = np.zeros(FEATURE_COUNT, dtype=np.float64)
    exam = hand[_GATE_AT] > 0.5
    start = 0 if exam else SIDE_WIDTH
    row[start : start + EMBEDDING_DIM] = embedding
    row[start + EMBEDDING_DIM : start + SIDE_WIDTH] = hand
    row[-1] = 1.0 if exam else 0.0
    return row


def feature_matrix(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Raw (unstandardised) features, one row per text: the embedding and the hand features
    of an exam question (``GATE``), then the same of any other text, then the gate. The side
    a text is not on is zeros.

    The same function serves training and estimation, so they cannot drift apart.
    """
    if not texts:
        return np.zeros((0, FEATURE_COUNT), dtype=np.float64)
    return np.stack([_gated(embed(text), hand_features(text)) for text in texts])


def feature_names() -> tuple[str, ...]:
    one_side = tuple(f"emb_{i}" for i in range(EMBEDDING_DIM)) + HAND_FEATURES
    return (*(f"{side}:{name}" for side in SIDES for name in one_side), GATE)


# --- the model -----------------------------------------------------------------------------


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))


@dataclass(frozen=True, slots=True)
class DifficultyModel:
    """A logistic model over standardised features. Immutable and thread-safe."""

    mean: Vector
    scale: Vector
    weights: Vector
    bias: float
    quantiles: Vector = field(default_factory=lambda: np.zeros(0))
    """The reference spread: the estimate at percentiles 0..100 of the reference prompts
    (``PERCENTILES`` values, non-decreasing); empty until ``with_reference``."""
    ceiling: Vector = field(default_factory=lambda: np.full(FEATURE_COUNT, np.inf))
    """Per feature, the largest value training saw (``inf`` for the embedding and the gate):
    a text beyond it (a pasted 40,000-character document) is read as the longest, most
    numeric, ... text the model learned from, not extrapolated along a straight line."""
    _raw_weights: Vector = field(init=False, repr=False, compare=False)
    _raw_bias: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Standardising is folded into the weights once: w·(x - m)/s + b = (w/s)·x + b'.
        raw = self.weights / self.scale
        object.__setattr__(self, "_raw_weights", raw)
        object.__setattr__(self, "_raw_bias", self.bias - float(self.mean @ raw))

    def estimate(self, text: str) -> float:
        """The probability that a weak model fails ``text`` where a strong one succeeds."""
        return self.estimate_embedded(text, embed(text))

    def estimate_embedded(self, text: str, embedding: Vector) -> float:
        """``estimate(text)`` given ``embed(text)``: the embedded classifier embeds a message
        once and reads both its categories and its difficulty from that."""
        hand = hand_features(text)
        exam = hand[_GATE_AT] > 0.5
        start = 0 if exam else SIDE_WIDTH
        hand = np.minimum(hand, self.ceiling[start + EMBEDDING_DIM : start + SIDE_WIDTH])
        raw = self._raw_weights
        z = float(embedding @ raw[start : start + EMBEDDING_DIM])
        z += float(hand @ raw[start + EMBEDDING_DIM : start + SIDE_WIDTH]) + self._raw_bias
        return _sigmoid(z + (float(raw[-1]) if exam else 0.0))

    def estimate_many(self, texts: Sequence[str]) -> Vector:
        """Estimates for many texts at once (faster per text than one at a time)."""
        return self.estimate_features(feature_matrix(texts))

    def estimate_features(self, features: npt.NDArray[np.float64]) -> Vector:
        """Estimates from rows of :func:`feature_matrix` (lets training reuse features)."""
        z = np.minimum(features, self.ceiling) @ self._raw_weights + self._raw_bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))), dtype=np.float64)

    def with_reference(self, texts: Sequence[str]) -> DifficultyModel:
        """This model with the reference spread of its estimates over ``texts``."""
        if not texts:
            raise ValueError("the reference spread needs at least one prompt")
        values = np.quantile(self.estimate_many(texts), np.linspace(0.0, 1.0, PERCENTILES))
        quantiles: Vector = np.asarray(np.round(values, 6), dtype=np.float64)
        return replace(self, quantiles=quantiles)

    def threshold(self, share: float, *, hardest: bool) -> float:
        """The difficulty that splits off ``share`` (0-1) of the reference prompts: the
        hardest ones (``hardest``: a message at least this difficult is among them) or the
        easiest (at most this difficult). A share of 0 gives a threshold no message
        reaches, a share of 1 one that every message does."""
        if len(self.quantiles) != PERCENTILES:
            raise DifficultyModelError("this difficulty model has no reference spread")
        if share <= 0.0:
            return math.inf if hardest else -math.inf
        if share >= 1.0:
            return -math.inf if hardest else math.inf
        percentile = (1.0 - share if hardest else share) * (PERCENTILES - 1)
        return float(np.interp(percentile, np.arange(PERCENTILES), self.quantiles))

    def percentile(self, difficulty: float) -> float:
        """The share (0-1) of the reference prompts that are less difficult than this."""
        if len(self.quantiles) != PERCENTILES:
            raise DifficultyModelError("this difficulty model has no reference spread")
        position = float(np.interp(difficulty, self.quantiles, np.arange(PERCENTILES)))
        return position / (PERCENTILES - 1)

    def to_document(self, **about: object) -> dict[str, object]:
        """The JSON document the weights file holds; ``about`` records how it was trained
        and which prompts the reference spread is of."""
        return {
            "format": FORMAT,
            "features": list(feature_names()),
            "mean": [round(float(v), 8) for v in self.mean],
            "scale": [round(float(v), 8) for v in self.scale],
            "weights": [round(float(v), 8) for v in self.weights],
            "bias": round(self.bias, 8),
            "ceiling": [None if math.isinf(v) else round(float(v), 8) for v in self.ceiling],
            "quantiles": [round(float(v), 6) for v in self.quantiles],
            "about": about,
        }

    @classmethod
    def from_document(cls, document: object, source: str = "document") -> DifficultyModel:
        """Validate a weights document; anything off raises :class:`DifficultyModelError`."""
        names = feature_names()
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise DifficultyModelError(f"{source}: not a {FORMAT} weights document")
        if document.get("features") != list(names):
            raise DifficultyModelError(
                f"{source}: its features do not match this version's ({len(names)} expected)"
            )
        arrays: list[Vector] = []
        for key in ("mean", "scale", "weights"):
            values = document.get(key)
            if not isinstance(values, list) or len(values) != len(names):
                raise DifficultyModelError(f"{source}: {key!r} must list {len(names)} numbers")
            try:
                array = np.array(values, dtype=np.float64)
            except (TypeError, ValueError) as error:
                raise DifficultyModelError(f"{source}: {key!r} is not all numbers") from error
            if not np.all(np.isfinite(array)):
                raise DifficultyModelError(f"{source}: {key!r} has a non-finite number")
            arrays.append(array)
        mean, scale, weights = arrays
        if np.any(scale <= 0):
            raise DifficultyModelError(f"{source}: every 'scale' must be positive")
        bias = document.get("bias")
        if isinstance(bias, bool) or not isinstance(bias, int | float) or not math.isfinite(bias):
            raise DifficultyModelError(f"{source}: 'bias' must be a finite number")
        quantiles = _quantiles(document.get("quantiles"), source)
        ceiling = _ceiling(document.get("ceiling"), len(names), source)
        return cls(
            mean=mean,
            scale=scale,
            weights=weights,
            bias=float(bias),
            quantiles=quantiles,
            ceiling=ceiling,
        )

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> DifficultyModel:
        """Read a weights file written by ``bench/train_difficulty.py``."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise DifficultyModelError(f"difficulty weights not found: {path}") from error
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DifficultyModelError(f"difficulty weights unreadable: {path}: {error}") from error
        return cls.from_document(document, source=str(path))


def _ceiling(values: object, width: int, source: str) -> Vector:
    problem = f"{source}: 'ceiling' must list {width} numbers or nulls (no ceiling)"
    if not isinstance(values, list) or len(values) != width:
        raise DifficultyModelError(problem)
    if any(
        v is not None and (isinstance(v, bool) or not isinstance(v, int | float)) for v in values
    ):
        raise DifficultyModelError(problem)
    array = np.array([math.inf if v is None else v for v in values], dtype=np.float64)
    if np.any(np.isnan(array)):
        raise DifficultyModelError(problem)
    return array


def _quantiles(values: object, source: str) -> Vector:
    problem = f"{source}: 'quantiles' must list {PERCENTILES} non-decreasing numbers in [0, 1]"
    if not isinstance(values, list) or len(values) != PERCENTILES:
        raise DifficultyModelError(problem)
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
        raise DifficultyModelError(problem)
    array = np.array(values, dtype=np.float64)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise DifficultyModelError(problem)
    if np.any(np.diff(array) < 0):
        raise DifficultyModelError(problem)
    return array


_default_lock = threading.Lock()
_shipped: DifficultyModel | None = None
_default: DifficultyModel | None = None


def shipped_model() -> DifficultyModel:
    """The shipped weights and reference spread, read once per process, without the
    embedding: what the router needs to turn its share dials into thresholds."""
    global _shipped
    with _default_lock:
        if _shipped is None:
            _shipped = DifficultyModel.load()
        return _shipped


def default_model() -> DifficultyModel:
    """The shipped model, loaded once per process (and its embedding with it)."""
    global _default
    model = shipped_model()
    with _default_lock:
        if _default is None:
            _load_embedder()
            _default = model
        return _default


def estimate(text: str) -> float:
    """Difficulty of ``text`` in [0, 1] by the shipped model: see the module docstring."""
    return default_model().estimate(text)


@dataclass(frozen=True, slots=True)
class CurveSet:
    """One held-out set's curve: ``recovered[i]`` is the share of the quality gap between a
    strong and a weak model recovered when the hardest ``shares[i]`` of it go strong."""

    name: str
    prompts: int
    apgr: float
    recovered: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class QualityCurve:
    """The premium-share vs quality curve of the shipped estimate (``CURVE_PATH``)."""

    about: str
    shares: tuple[float, ...]
    sets: tuple[CurveSet, ...]

    def recovered_at(self, share: float) -> tuple[float, ...]:
        """Each set's recovered share of the gap at ``share`` (between the points, on the
        straight line joining them)."""
        return tuple(float(np.interp(share, self.shares, s.recovered)) for s in self.sets)


_curve_lock = threading.Lock()
_curve: list[QualityCurve | None] = []


def quality_curve() -> QualityCurve | None:
    """The shipped curve, read once; ``None`` (said once in the log) when its file is
    missing or damaged: it only informs the console, routing never reads it."""
    with _curve_lock:
        if not _curve:
            try:
                raw = json.loads(CURVE_PATH.read_text(encoding="utf-8"))
                shares = tuple(float(v) for v in raw["shares"])
                sets = tuple(
                    CurveSet(
                        str(s["name"]),
                        int(s["prompts"]),
                        float(s["apgr"]),
                        tuple(float(v) for v in s["recovered"]),
                    )
                    for s in raw["sets"]
                )
                if not shares or any(len(s.recovered) != len(shares) for s in sets):
                    raise ValueError("one recovered share per premium share")
                _curve.append(QualityCurve(str(raw["about"]), shares, sets))
            except (OSError, ValueError, KeyError, TypeError) as error:
                _log.warning("no difficulty curve for the console: %s: %s", CURVE_PATH, error)
                _curve.append(None)
        return _curve[0]
