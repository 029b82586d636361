"""The literal screen before a regex search: it may only skip searches that cannot match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelplane.router.classification.features import CUES, normalise
from modelplane.router.classification.high_stakes import HIGH_STAKES_LEXICON
from modelplane.router.classification.screen import Screened, needles

DATA = Path(__file__).resolve().parents[3] / "bench" / "data"


def _texts() -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("about", "category"):
                    walk(item)

    for name in ("category_prompts", "chat_prompts", "difficulty_prompts", "high_stakes_prompts"):
        walk(json.loads((DATA / f"{name}.json").read_text("utf-8")))
    return [
        *found,
        "x = 3^2 + f(x)",
        "a == b && c != d;",
        "call foo_bar() then obj.method(",
        "camelCase",
        "5 x 7 = ?",
        "|x| is 5%",
        "∫ x dx and √2 and π",
        "I took 200mg, is it safe to take more?",
        "",
    ]


def test_words_in_an_alternation_are_what_a_match_needs() -> None:
    assert needles(re.compile(r"\b(python|java|javascript)\b")) == ("python", "java")
    assert needles(re.compile(r"error:|stack ?trace")) == ("error:", "stack")
    assert needles(re.compile(r"[{}]|=>")) == ("=>", "{", "}")
    assert needles(re.compile(r"a+b")) in (("a",), ("b",))  # either is needed


@pytest.mark.parametrize(
    "pattern",
    [r"^\s*(hi|hello)\b", r"\d+\D+\d+", r"(foo)?\w+", r"(?i)python", r"[a-z]+|\w+\("],
)
def test_a_pattern_that_needs_no_literal_is_always_searched(pattern: str) -> None:
    assert needles(re.compile(pattern, re.MULTILINE)) is None


def test_case_insensitive_patterns_are_not_screened() -> None:
    assert needles(re.compile("python", re.IGNORECASE)) is None


def test_screened_searches_agree_with_the_patterns_on_every_cue_and_lexicon() -> None:
    patterns = list(CUES.values()) + [
        re.compile(p) for lexicon in HIGH_STAKES_LEXICON.values() for p, _ in lexicon
    ]
    texts = _texts()
    variants = texts + [normalise(t) for t in texts] + [t.upper() for t in texts[:100]]
    skipped = 0
    for pattern in patterns:
        screened = Screened(pattern)
        for text in variants:
            assert screened.search(text) == (pattern.search(text) is not None), (
                pattern.pattern,
                text,
            )
            if screened._needles and not any(n in text for n in screened._needles):
                skipped += 1
    assert skipped > 0  # the screen does skip searches
