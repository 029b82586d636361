"""The difficulty estimate: range, determinism, ordering, load errors, and routing value on
held-out MMLU outcomes (``tests/data/difficulty-mmlu-heldout.jsonl``)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from bench.difficulty import apgr, length_scores

from modelplane.router.classification.difficulty import (
    FEATURE_COUNT,
    WEIGHTS_PATH,
    DifficultyModel,
    DifficultyModelError,
    default_model,
    estimate,
)
from tests.support import start_failure

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "difficulty-mmlu-heldout.jsonl"

PROMPTS = [
    "",
    "   ",
    "hi",
    "Hello! How are you today?",
    "What is the capital of France?",
    "Write a haiku about autumn leaves.",
    "def f(x):\n    return x * 2\n\nWhy does f('a') return 'aa'?",
    "x" * 20_000,
    "Prove that for every prime p > 3, p^2 - 1 is divisible by 24.",
    "∫₀^∞ e^{-x²} dx = ? Show every step of the derivation.",
    "日本の首都はどこですか\uff1f",  # a fullwidth question mark
]


@pytest.mark.parametrize("text", PROMPTS)
def test_estimate_is_a_probability(text: str) -> None:
    value = estimate(text)
    assert isinstance(value, float)
    assert 0.0 <= value <= 1.0


def test_estimate_is_deterministic_and_matches_the_batch_path() -> None:
    model = default_model()
    first = [estimate(text) for text in PROMPTS]
    again = [estimate(text) for text in PROMPTS]
    assert first == again
    assert np.allclose(model.estimate_many(PROMPTS), first, rtol=0, atol=1e-9)
    assert DifficultyModel.load().estimate(PROMPTS[8]) == pytest.approx(first[8], abs=1e-12)


def test_a_multi_step_proof_is_harder_than_a_greeting() -> None:
    proof = (
        "Prove by induction that 1^3 + 2^3 + ... + n^3 = (n(n+1)/2)^2 for every positive "
        "integer n, then use it to find the sum of the cubes of the first 50 odd numbers. "
        "Show each step."
    )
    word_problem = (
        "A shop sells pens at $1.20 each or $10 for a box of 10. Mia needs 37 pens, has a 15% "
        "discount on boxes only, and pays 8% tax on the total. What is the cheapest she can "
        "pay, to the cent?"
    )
    greeting = "hello there!"
    assert estimate(proof) > estimate(greeting)
    assert estimate(word_problem) > estimate(greeting)
    assert estimate(proof) > estimate("What colour is the sky?")


def test_missing_weights_raise_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "difficulty_weights.json"
    with pytest.raises(DifficultyModelError, match="not found") as raised:
        DifficultyModel.load(missing)
    assert str(missing) in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable"),
        (b"\xff\xfe\x00garbage", "unreadable"),
        ('{"format": "something-else"}', "not a modelplane-difficulty"),
        ("[1, 2, 3]", "not a modelplane-difficulty"),
    ],
)
def test_corrupt_weights_raise_one_clear_error(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "difficulty_weights.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DifficultyModelError, match=message) as raised:
        DifficultyModel.load(path)
    assert str(path) in str(raised.value)


def _shipped() -> dict[str, object]:
    document = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": [1.0, 2.0]}, "'weights' must list"),
        ({"mean": "zero"}, "'mean' must list"),
        ({"bias": None}, "'bias' must be a finite number"),
        ({"bias": True}, "'bias' must be a finite number"),
        ({"features": ["only", "two"]}, "features do not match"),
    ],
)
def test_damaged_fields_are_named(change: dict[str, object], message: str) -> None:
    document = _shipped() | change
    with pytest.raises(DifficultyModelError, match=message):
        DifficultyModel.from_document(document)


def test_non_numbers_and_bad_scales_are_refused() -> None:
    document = _shipped()
    scale = list(document["scale"])  # type: ignore[call-overload]
    scale[3] = 0.0
    with pytest.raises(DifficultyModelError, match="'scale' must be positive"):
        DifficultyModel.from_document(document | {"scale": scale})
    weights = list(document["weights"])  # type: ignore[call-overload]
    weights[0] = "heavy"
    with pytest.raises(DifficultyModelError, match="'weights' is not all numbers"):
        DifficultyModel.from_document(document | {"weights": weights})
    weights[0] = float("nan")
    with pytest.raises(DifficultyModelError, match="non-finite"):
        DifficultyModel.from_document(document | {"weights": weights})


_SPREAD = "'quantiles' must list 101 non-decreasing"
_CEILING = "'ceiling' must list"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("quantiles", None, _SPREAD),
        ("quantiles", [0.1] * 100, _SPREAD),
        ("quantiles", [0.5 - i / 1000 for i in range(101)], _SPREAD),
        ("quantiles", [0.1] * 100 + [1.5], _SPREAD),
        ("quantiles", ["x"] * 101, _SPREAD),
        ("ceiling", None, _CEILING),
        ("ceiling", [1.0, 2.0], _CEILING),
        ("ceiling", ["high"] * FEATURE_COUNT, _CEILING),
        ("ceiling", [float("nan")] * FEATURE_COUNT, _CEILING),
    ],
    ids=[
        "spread-missing",
        "spread-too-few",
        "spread-decreasing",
        "spread-above-one",
        "spread-not-numbers",
        "ceiling-missing",
        "ceiling-too-few",
        "ceiling-not-numbers",
        "ceiling-nan",
    ],
)
def test_a_damaged_spread_or_ceiling_is_named(key: str, value: object, message: str) -> None:
    document = _shipped() | {key: value}
    if value is None:
        del document[key]
    with pytest.raises(DifficultyModelError, match=message):
        DifficultyModel.from_document(document)


def test_a_text_longer_than_any_in_training_reads_as_the_longest_not_beyond() -> None:
    """Past the training range the length features stop: a pasted report to summarise does
    not climb towards premium with every paragraph."""
    paragraph = "The meeting covered the budget, hiring and the office move. Teams were late. "
    ask = "Summarise this report in three bullet points:\n\n"
    model = DifficultyModel.load()
    short, longer, huge = (model.estimate(ask + paragraph * n) for n in (1, 100, 500))
    assert short < longer  # inside the range, length still counts
    assert huge == pytest.approx(longer, abs=0.01)
    unbounded = replace(model, ceiling=np.full(FEATURE_COUNT, np.inf))
    assert unbounded.estimate(ask + paragraph * 500) > huge + 0.1


def test_a_share_becomes_the_threshold_that_splits_that_share_of_the_reference() -> None:
    model = DifficultyModel.load()
    median = model.threshold(0.5, hardest=True)
    assert median == model.threshold(0.5, hardest=False) == pytest.approx(model.quantiles[50])
    assert model.threshold(0.3, hardest=True) == pytest.approx(model.quantiles[70])
    assert model.threshold(0.4, hardest=False) == pytest.approx(model.quantiles[40])
    assert model.percentile(float(model.quantiles[70])) == pytest.approx(0.7)
    assert model.threshold(0, hardest=True) == math.inf  # no message is premium
    assert model.threshold(1, hardest=True) == -math.inf  # every message is
    assert model.threshold(0, hardest=False) == -math.inf
    # the estimate is a probability of failure, not spread over [0, 1]: the hardest 30%
    # start far below 0.7
    assert model.threshold(0.3, hardest=True) < 0.5


def test_the_shipped_weights_round_trip() -> None:
    model = DifficultyModel.load()
    again = DifficultyModel.from_document(model.to_document())
    assert again.estimate(PROMPTS[8]) == pytest.approx(model.estimate(PROMPTS[8]), abs=1e-9)


def test_apgr_of_a_coin_is_one_half_and_of_an_oracle_is_highest() -> None:
    strong = np.array([1, 1, 0, 1, 1, 0, 1, 1], dtype=float)
    weak = np.array([0, 1, 0, 0, 1, 1, 1, 0], dtype=float)
    assert apgr(np.full(8, 0.5), strong, weak) == pytest.approx(0.5)
    oracle = apgr(strong - weak, strong, weak)
    assert oracle > 0.9
    assert apgr(weak - strong, strong, weak) < 0.5 < oracle
    with pytest.raises(ValueError, match="strong model does better"):
        apgr(np.zeros(2), np.ones(2), np.ones(2))


def test_held_out_apgr_beats_length_only() -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 300
    texts = [str(row["prompt"]) for row in rows]
    strong = np.array([bool(row["strongCorrect"]) for row in rows], dtype=float)
    weak = np.array([bool(row["weakCorrect"]) for row in rows], dtype=float)
    ours = apgr(default_model().estimate_many(texts), strong, weak)
    length = apgr(length_scores(texts), strong, weak)
    assert ours > length + 0.03
    assert ours > 0.6


def test_a_server_does_not_start_with_damaged_weights(tmp_path: Path) -> None:
    """The app factory loads the classifier's weights: a damaged file stops the process
    with one line on stderr and no traceback."""

    bad = tmp_path / "weights.json"
    bad.write_text("{not json", "utf-8")
    line = start_failure(
        "from pathlib import Path\n"
        "from modelplane.router.classification import difficulty\n"
        f"difficulty.WEIGHTS_PATH = Path({str(bad)!r})\n"
        "difficulty.DifficultyModel.load.__func__.__defaults__ = (difficulty.WEIGHTS_PATH,)\n"
    )
    assert "cannot start" in line and "weights.json" in line
