"""The embedded classifier measured on data it was not fitted on: just-eval's held-out
fifth (``id % 5 == 0``) and the held-out half of our own high-stakes prompts. Floors are
loose on purpose; ``bench/classifier.py`` prints the exact figures."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from importlib import resources

import pytest
from bench.classifier import HIGH_STAKES, written
from bench.just_eval import TASK_TYPES, Prompt, development, held_out

from modelplane.router import EmbeddedClassifier, Message

from ..test_classifiers import CONTEXT

embedded = EmbeddedClassifier()


def predicted(prompts: list[Prompt]) -> list[tuple[Prompt, str]]:
    return [(p, embedded.classify(Message(p.text), CONTEXT).primary_category) for p in prompts]


def test_held_out_any_label_accuracy_clears_a_floor_well_above_the_constant() -> None:
    results = predicted(held_out())
    accuracy = sum(c in p.accepted for p, c in results) / len(results)
    constant = sum("factual" in p.accepted for p, _ in results) / len(results)
    assert accuracy >= 0.80
    assert accuracy >= constant + 0.10


@pytest.mark.parametrize("task", ["writing", "coding", "reasoning", "math", "role-play"])
def test_held_out_types_the_constant_misses_beat_it(task: str) -> None:
    results = [(p, c) for p, c in predicted(held_out()) if p.task_types[0] == task]
    hits = sum(c in p.accepted for p, c in results)
    constant = sum("factual" in p.accepted for p, _ in results)
    assert hits > constant


def test_the_shipped_table_was_learned_from_the_development_split_only() -> None:
    raw = json.loads(
        resources.files("modelplane.router.classification")
        .joinpath("data/category_weights.json")
        .read_text()
    )
    ids = ",".join(str(p.id) for p in development())
    assert raw["trainedOn"]["idsSha256"] == hashlib.sha256(ids.encode()).hexdigest()
    assert all(p.id % 5 != 0 for p in development())


def test_confident_answers_are_right_more_often_than_unsure_ones() -> None:
    sure: Counter[bool] = Counter()
    unsure: Counter[bool] = Counter()
    for p in held_out():
        c = embedded.classify(Message(p.text), CONTEXT)
        assert 0 <= c.confidence <= 1
        (sure if c.confidence >= 0.8 else unsure)[c.primary_category in p.accepted] += 1
    assert sure[True] / sure.total() > unsure[True] / unsure.total()


def test_the_same_text_always_gets_the_same_classification() -> None:
    text = held_out()[3].text
    first = embedded.classify(Message(text), CONTEXT)
    assert all(embedded.classify(Message(text), CONTEXT) == first for _ in range(5))


def test_mapping_covers_every_task_type_in_the_data() -> None:
    assert {t for p in development() + held_out() for t in p.task_types} <= set(TASK_TYPES)


# High stakes ---------------------------------------------------------------------------------


def high_stakes(split: str) -> list[tuple[str, str]]:
    data = json.loads(HIGH_STAKES.read_text("utf-8"))[split]
    return [(domain, text) for domain, texts in data.items() for text in texts]


def test_held_out_high_stakes_precision_and_recall_clear_floors() -> None:
    said = [
        (d, embedded.classify(Message(t), CONTEXT).high_stakes_domain)
        for d, t in high_stakes("held-out")
    ]
    flagged = [(d, s) for d, s in said if s is not None]
    right = sum(d == s for d, s in flagged)
    positives = sum(d != "none" for d, _ in said)
    assert right / len(flagged) >= 0.9
    assert right / positives >= 0.6


def test_everyday_prompts_are_rarely_high_stakes() -> None:
    negatives = [t for d, t in high_stakes("held-out") + high_stakes("development") if d == "none"]
    flagged = [t for t in negatives if embedded.classify(Message(t), CONTEXT).is_high_stakes]
    assert len(flagged) <= len(negatives) // 20, flagged


# Explanations and the other fields -----------------------------------------------------------


def test_an_explanation_names_the_features_that_decided() -> None:
    features = dict(embedded.explain("Fix this Python function: def f(x): return x +", "coding"))
    assert features["cue:language_name"] > 0 and features["cue:code_syntax"] > 0


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Act as a pirate captain and greet my crew", "creative"),
        ("If x + 3 = 11, what is x?", "reasoning"),
        ("Why does this raise a KeyError? ```d = {}; d['a']```", "coding"),
        ("Rewrite this paragraph so it sounds friendlier", "creative"),
        ("How do I descale a kettle?", "factual"),
        ("Is it morally acceptable to lie to protect a friend?", "reasoning"),
    ],
)
def test_cues_for_the_weak_types_decide_clear_cases(text: str, category: str) -> None:
    assert embedded.classify(Message(text), CONTEXT).primary_category == category


def test_maths_and_proofs_require_reasoning_and_chit_chat_does_not() -> None:
    assert embedded.classify(
        Message("Prove that there are infinitely many primes"), CONTEXT
    ).requires_reasoning
    assert not embedded.classify(Message("hello there!"), CONTEXT).requires_reasoning


def test_an_image_attachment_makes_the_task_multimodal() -> None:
    c = embedded.classify(Message("what is in this?", attachment_types=("image/png",)), CONTEXT)
    assert c.primary_category == "multimodal" and c.requires_vision


# Our own prompts for the categories just-eval lacks ------------------------------------------


def held_out_written(category: str) -> list[str]:
    return [t for c, t in written("held-out") if c == category]


def test_held_out_research_requests_are_research() -> None:
    texts = held_out_written("research")
    said = [embedded.classify(Message(t), CONTEXT).primary_category for t in texts]
    assert len(texts) >= 50
    assert said.count("research") / len(said) >= 0.8, Counter(said)


@pytest.mark.parametrize("category", ["analysis", "conversation", "multimodal"])
def test_held_out_written_categories_clear_a_floor(category: str) -> None:
    said = [
        embedded.classify(Message(t), CONTEXT).primary_category for t in held_out_written(category)
    ]
    assert said.count(category) / len(said) >= 0.7, Counter(said)


def test_the_shipped_table_never_saw_a_held_out_written_prompt() -> None:
    raw = json.loads(
        resources.files("modelplane.router.classification")
        .joinpath("data/category_weights.json")
        .read_text()
    )
    development_counts = Counter(c for c, _ in written("development"))
    assert raw["trainedOn"]["writtenPrompts"] == dict(development_counts)
    assert not {t for _, t in written("held-out")} & {t for _, t in written("development")}
