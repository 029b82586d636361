"""The prompt set the replay tests share (``modelplane router replay``, the playground over
HTTP and in Chromium): ``tests/data/replay-prompts.jsonl``, in the format a replay reads.

"hi there" carries no classification (the replay estimates it: cheap); the others give
reasoning/complex/0.8, factual/simple/0.2 and coding/moderate/0.5 (with a cost bias of 20).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROMPTS_FILE = Path(__file__).resolve().parent / "data" / "replay-prompts.jsonl"
PROMPTS: list[dict[str, Any]] = [
    json.loads(line) for line in PROMPTS_FILE.read_text(encoding="utf-8").splitlines() if line
]
