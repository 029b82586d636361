"""The general chat prompts we wrote ourselves (``bench/data/chat_prompts.json``): info-seeking
questions, how-to procedures, writing requests, role-play, mathematics, reasoning and coding,
each under the just-eval task type it is, so ``bench/just_eval.py``'s mapping gives its
categories. They teach the category model more of what just-eval's development split
teaches; they are never part of its cross-validation's scoring.

The split is by hash, so it cannot drift as prompts are added: a prompt is held out when the
first byte of the SHA-256 of its UTF-8 text is divisible by 4 (about a quarter).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bench.just_eval import Split

CHAT = Path(__file__).resolve().parent / "data/chat_prompts.json"


def split_of(text: str) -> Split:
    return "held-out" if hashlib.sha256(text.encode()).digest()[0] % 4 == 0 else "development"


def chat_prompts(split: Split, path: Path = CHAT) -> list[tuple[str, str]]:
    """``(task type, text)`` for every prompt of ``split``."""
    data: dict[str, list[str]] = json.loads(path.read_text("utf-8"))["taskTypes"]
    return [(t, text) for t, texts in data.items() for text in texts if split_of(text) == split]
