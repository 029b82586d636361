"""The embedded classifier's facts, and the LLM classifier against a real local
OpenAI-compatible server started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from modelplane.router import (
    ClassifierContext,
    ClassifierFailed,
    EmbeddedClassifier,
    LLMClassifier,
    Message,
)
from modelplane.router.classification.classifier import needs_vision

from .conftest import defaults, make_model
from .fake_openai import FakeOpenAI

CONTEXT = ClassifierContext(
    categories=(
        "coding",
        "reasoning",
        "creative",
        "factual",
        "analysis",
        "conversation",
        "multimodal",
        "research",
    ),
    domains=tuple(defaults().high_stakes_domains),
    long_context_threshold=128_000,
    context_buffer=1.2,
    router_model="gpt-oss-120b",
    temperature=0.2,
    timeout_seconds=2.0,
    max_retries=2,
)
embedded = EmbeddedClassifier()


def classify(text: str, **fields: Any) -> Any:
    return embedded.classify(Message(text=text, **fields), CONTEXT)


# Embedded -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["image/png", "image/jpeg", "png", "screenshot"])
def test_an_image_attachment_requires_vision(kind: str) -> None:
    assert classify("what is this?", attachment_types=(kind,)).requires_vision


def test_other_attachments_do_not_require_vision() -> None:
    assert not classify("summarise this", attachment_types=("application/pdf",)).requires_vision
    assert not needs_vision(())


def test_context_size_decides_long_context() -> None:
    assert classify("go on", context_tokens=110_000).requires_long_context  # *1.2 >= 128k
    assert not classify("go on", context_tokens=100_000).requires_long_context


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("What dosage of ibuprofen is safe with my blood pressure medication?", "medical"),
        ("My landlord wants to evict me, should I get a lawyer?", "legal"),
        ("Should I move my retirement savings into crypto?", "financial"),
        ("Is there a gas leak risk if my stove smells, is it dangerous?", "safety"),
        ("I feel hopeless and think about suicide", "mental_health"),
        ("How can I find someone's address and spy on them?", "privacy"),
        ("How do I apply for asylum and avoid deportation?", "immigration"),
        ("My abusive partner threatens me, how do I get a restraining order?", "domestic_abuse"),
        ("Is it safe to take ibuprofen with alcohol?", "medical"),
        ("My chest hurts when I breathe in deeply", "medical"),
        ("Is 2000 mg of acetaminophen a day too much?", "medical"),
    ],
)
def test_high_stakes_domains_are_detected(text: str, domain: str) -> None:
    c = classify(text)
    assert c.is_high_stakes and c.high_stakes_domain == domain


@pytest.mark.parametrize(
    "text",
    [
        "Investigate the history of the printing press and write a report",
        "Summarise what investigators found about the bridge collapse",
    ],
)
def test_investigating_is_not_investing(text: str) -> None:
    assert not classify(text).is_high_stakes


def test_only_configured_domains_are_reported() -> None:
    narrow = replace(CONTEXT, domains=("legal",))
    c = embedded.classify(Message("What dosage of this medication is safe?"), narrow)
    assert not c.is_high_stakes and c.high_stakes_domain is None


def test_a_configured_domain_without_a_lexicon_matches_its_name() -> None:
    wider = replace(CONTEXT, domains=("child_welfare",))
    c = embedded.classify(Message("A question about child welfare services"), wider)
    assert c.high_stakes_domain == "child_welfare"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Write a Python function that reverses a linked list", "coding"),
        ("Write a short poem about autumn leaves", "creative"),
        ("hi, how are you?", "conversation"),
        ("Prove that the square root of 2 is irrational", "reasoning"),
        ("Generate an image of a cat wearing a hat", "multimodal"),
        ("What is the capital of Australia?", "factual"),
        ("Find me the latest research papers on protein folding", "research"),
        ("Compare the pros and cons of these two pricing strategies", "analysis"),
    ],
)
def test_embedded_classifier_names_the_obvious_category(text: str, category: str) -> None:
    assert classify(text).primary_category == category


def test_complexity_follows_length_and_cues() -> None:
    assert classify("hi there").complexity == "simple"
    long = "Design a scalable architecture for a chat service and analyze the trade-offs " * 3
    assert classify(long).complexity == "complex"


def test_follow_ups_keep_the_previous_model_and_fresh_topics_change_it() -> None:
    assert (
        classify(
            "thanks, and what about the second one?", has_previous_model=True
        ).recommended_action
        == "keep"
    )
    assert (
        classify(
            "Write a Python function that parses JSON", has_previous_model=True
        ).recommended_action
        == "change"
    )
    assert classify("thanks", has_previous_model=False).recommended_action == "change"


# LLM ----------------------------------------------------------------------------------------


@pytest.fixture
def llm_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def llm(llm_server: FakeOpenAI) -> Iterator[LLMClassifier]:
    with httpx.Client() as client:
        yield LLMClassifier(client, llm_server.url, api_key="sk-test")


GOOD = {
    "primaryCategory": "coding",
    "secondaryCategory": "reasoning",
    "complexity": "complex",
    "requiresVision": False,
    "requiresLongContext": False,
    "requiresReasoning": True,
    "confidence": 0.9,
    "isHighStakes": False,
    "highStakesDomain": None,
    "recommendedAction": "change",
    "explanation": "extra keys are ignored",
}


def test_llm_classifier_asks_the_router_model_for_json(
    llm_server: FakeOpenAI, llm: LLMClassifier
) -> None:
    llm_server.answers = [GOOD]
    c = llm.classify(Message("write a parser", attachment_types=("image/png",)), CONTEXT)
    assert (c.primary_category, c.complexity, c.requires_reasoning) == ("coding", "complex", True)
    assert c.requires_vision, "an image attachment is a fact the answer cannot overrule"
    sent = llm_server.requests[0]
    assert sent["model"] == "gpt-oss-120b"
    assert sent["temperature"] == 0.2
    assert sent["response_format"] == {"type": "json_object"}
    assert "write a parser" in sent["messages"][-1]["content"]
    assert llm_server.headers[0]["Authorization"] == "Bearer sk-test"


def test_llm_classifier_retries_invalid_answers(llm_server: FakeOpenAI, llm: LLMClassifier) -> None:
    llm_server.answers = ["not json", {**GOOD, "primaryCategory": "astrology"}, GOOD]
    assert llm.classify(Message("x"), CONTEXT).primary_category == "coding"
    assert len(llm_server.requests) == 3


def test_llm_classifier_gives_up_after_max_retries(
    llm_server: FakeOpenAI, llm: LLMClassifier
) -> None:
    llm_server.answers = [500, 503, 502, GOOD]
    with pytest.raises(ClassifierFailed):
        llm.classify(Message("x"), CONTEXT)
    assert len(llm_server.requests) == 3  # one try and max_retries=2 more


def test_llm_classifier_timeout_fails_without_retrying(
    llm_server: FakeOpenAI, llm: LLMClassifier
) -> None:
    quick = replace(CONTEXT, timeout_seconds=0.2)
    llm_server.answers = [1.0, GOOD]
    with pytest.raises(ClassifierFailed, match="timed out"):
        llm.classify(Message("x"), quick)
    assert len(llm_server.requests) == 1


def test_llm_classifier_refuses_unconfigured_domains(
    llm_server: FakeOpenAI, llm: LLMClassifier
) -> None:
    bad = {**GOOD, "isHighStakes": True, "highStakesDomain": "astrology"}
    llm_server.answers = [bad, bad, bad]
    with pytest.raises(ClassifierFailed, match="astrology"):
        llm.classify(Message("x"), CONTEXT)


def test_router_model_dial_uses_the_actual_model_id() -> None:
    from modelplane.router import compile_router

    model = make_model("openai:gpt-oss-120b", actual_model_id="accounts/fw/gpt-oss-120b")
    router = compile_router([model], [], defaults())
    assert router.classifier_context.router_model == "accounts/fw/gpt-oss-120b"


# Difficulty ---------------------------------------------------------------------------------


def test_every_embedded_classification_carries_the_estimators_difficulty() -> None:
    from modelplane.router.classification.difficulty import estimate

    text = "Prove that there are infinitely many primes of the form 4k+3."
    c = EmbeddedClassifier().classify(Message(text), CONTEXT)
    assert 0 <= c.difficulty <= 1
    assert c.difficulty == round(estimate(text), 3)
    assert c.to_json()["difficulty"] == c.difficulty


def test_the_llm_classifier_takes_difficulty_from_the_estimator_not_the_model(
    llm_server: FakeOpenAI, llm: LLMClassifier
) -> None:
    from modelplane.router.classification.difficulty import estimate

    llm_server.answers = [{**GOOD, "difficulty": 0.01}]
    c = llm.classify(Message("write a parser"), CONTEXT)
    assert c.difficulty == round(estimate("write a parser"), 3)
    assert "difficulty" not in llm_server.requests[0]["messages"][0]["content"]


def test_the_conservative_classification_has_the_documented_unknown_difficulty() -> None:
    from modelplane.router import CONSERVATIVE
    from modelplane.router.classification.difficulty import shipped_model
    from modelplane.router.classification.result import UNKNOWN_DIFFICULTY

    assert CONSERVATIVE.difficulty == UNKNOWN_DIFFICULTY
    # A message of unknown difficulty is a typical one: the reference spread's median.
    median = shipped_model().threshold(0.5, hardest=True)
    assert pytest.approx(median, abs=0.002) == UNKNOWN_DIFFICULTY
