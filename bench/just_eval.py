"""The just-eval prompts (``tests/data/just-eval-tags.json``, from Re-Align/just-eval, MIT;
see ``tests/data/README.md``), how their task types map to our categories, and the fixed split
between the part we may learn and tune on and the part we only report.

The split is by id: ``id % 5 == 0`` is the held-out fifth (160 prompts), the rest (640) is
for development. Nothing that ships (weights, hand-set cues, thresholds) may be fitted on
the held-out fifth; ``bench/train_classifier.py`` reads only ``development()``.

Each task type maps to the categories that would serve it:

    info-seek  -> factual, research    (looking something up)
    reasoning  -> reasoning, analysis  (working something out)
    math       -> reasoning
    procedure  -> factual              ("how do I ..." instructions)
    writing    -> creative
    role-play  -> creative, conversation
    coding     -> coding
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

PROMPTS = Path(__file__).resolve().parents[1] / "tests/data/just-eval-tags.json"
TASK_TYPES: dict[str, frozenset[str]] = {
    "info-seek": frozenset({"factual", "research"}),
    "reasoning": frozenset({"reasoning", "analysis"}),
    "math": frozenset({"reasoning"}),
    "procedure": frozenset({"factual"}),
    "writing": frozenset({"creative"}),
    "role-play": frozenset({"creative", "conversation"}),
    "coding": frozenset({"coding"}),
}
TRAINED_CATEGORY: dict[str, str] = {
    "info-seek": "factual",
    "reasoning": "reasoning",
    "math": "reasoning",
    "procedure": "factual",
    "writing": "creative",
    "role-play": "creative",
    "coding": "coding",
}
"""The one category each task type teaches the learned table (the first of its mapping that
the table learns; analysis, research and conversation carry hand-set cues instead)."""
DIFFICULTY_TO_COMPLEXITY = {"easy": "simple", "medium": "moderate", "hard": "complex"}

Split: TypeAlias = Literal["development", "held-out"]


@dataclass(frozen=True, slots=True)
class Prompt:
    id: int
    text: str
    task_types: tuple[str, ...]
    difficulty: str

    @property
    def split(self) -> Split:
        return "held-out" if self.id % 5 == 0 else "development"

    @property
    def accepted(self) -> frozenset[str]:
        """Every category that serves any of the prompt's task types."""
        return frozenset().union(*(TASK_TYPES[t] for t in self.task_types))


def load(path: Path = PROMPTS) -> list[Prompt]:
    return [
        Prompt(item["id"], item["instruction"], tuple(item["task_types"]), item["difficulty"])
        for item in json.loads(path.read_text("utf-8"))
    ]


def development(path: Path = PROMPTS) -> list[Prompt]:
    return [p for p in load(path) if p.split == "development"]


def held_out(path: Path = PROMPTS) -> list[Prompt]:
    return [p for p in load(path) if p.split == "held-out"]
