"""The classification memo (``router/classification/cache.py``) in front of the real
embedded classifier, and the setting that sizes it."""

from __future__ import annotations

import dataclasses

import pytest

from modelplane.live.snapshot import static_snapshot
from modelplane.router import EmbeddedClassifier, Message
from modelplane.router.classification.cache import CachedClassifier
from modelplane.router.classification.classifier import (
    ClassifierContext,
    ClassifierFailed,
    ClassifierName,
)
from modelplane.router.classification.result import Classification
from modelplane.services.routing import configured_classifier
from modelplane.settings import Settings

from ..test_classifiers import CONTEXT

embedded = EmbeddedClassifier()


def test_a_repeated_message_is_answered_from_memory_with_the_same_answer() -> None:
    cached = CachedClassifier(embedded, 8)
    message = Message("Write a Python function that parses ISO 8601 dates.")
    first = cached.classify(message, CONTEXT)
    again = cached.classify(Message(message.text), CONTEXT)
    assert again is first and (cached.hits, cached.misses) == (1, 1)
    assert first == embedded.classify(message, CONTEXT), "the memo changes nothing"


@pytest.mark.parametrize(
    "other",
    [
        Message("Write a Python function that parses ISO 8601 dates!"),
        Message("Write a Python function that parses ISO 8601 dates.", ("image/png",)),
        Message("Write a Python function that parses ISO 8601 dates.", context_tokens=900_000),
        Message("Write a Python function that parses ISO 8601 dates.", has_previous_model=True),
    ],
)
def test_any_other_part_of_the_message_is_a_different_entry(other: Message) -> None:
    cached = CachedClassifier(embedded, 8)
    cached.classify(Message("Write a Python function that parses ISO 8601 dates."), CONTEXT)
    assert cached.classify(other, CONTEXT) == embedded.classify(other, CONTEXT)
    assert (cached.hits, cached.misses) == (0, 2)


def test_a_new_context_never_meets_an_old_entry() -> None:
    cached = CachedClassifier(embedded, 8)
    message = Message("a " * 40_000)
    short = cached.classify(message, CONTEXT)
    narrower = dataclasses.replace(CONTEXT, long_context_threshold=10)
    assert short.requires_long_context is False
    assert cached.classify(message, narrower).requires_long_context is True
    assert cached.misses == 2


def test_the_least_recently_used_entry_goes_first() -> None:
    cached = CachedClassifier(embedded, 2)
    a, b, c = Message("alpha question"), Message("beta question"), Message("gamma question")
    cached.classify(a, CONTEXT)
    cached.classify(b, CONTEXT)
    cached.classify(a, CONTEXT)  # a is now the most recent
    cached.classify(c, CONTEXT)  # b goes
    assert len(cached) == 2
    cached.classify(a, CONTEXT)
    assert cached.hits == 2
    cached.classify(b, CONTEXT)
    assert cached.misses == 4


class _Failing:
    """A classifier with no usable answer, as an LLM endpoint that is down."""

    name: ClassifierName = "llm"

    def __init__(self) -> None:
        self.calls = 0

    def classify(self, message: Message, context: ClassifierContext) -> Classification:
        self.calls += 1
        raise ClassifierFailed("the endpoint is down")


def test_a_failure_is_never_remembered() -> None:
    failing = _Failing()
    cached = CachedClassifier(failing, 8)
    for _ in range(2):
        with pytest.raises(ClassifierFailed):
            cached.classify(Message("hi"), CONTEXT)
    assert failing.calls == 2 and len(cached) == 0


def test_the_setting_sizes_the_memo_and_zero_turns_it_off() -> None:
    data = static_snapshot().compiled()
    memo = configured_classifier(data, Settings(classify_cache_size=16))
    assert isinstance(memo, CachedClassifier) and memo.size == 16
    assert memo.name == "embedded"
    assert configured_classifier(data, Settings(classify_cache_size=16)) is memo
    assert isinstance(configured_classifier(data, Settings(classify_cache_size=0)), type(embedded))
    with pytest.raises(ValueError, match="classify_cache_size"):
        Settings(classify_cache_size=-1)
