"""The prompt set the replay tests share (``modelplane router replay``, the playground over
HTTP and in Chromium): ``tests/data/replay-prompts.jsonl``, in the format a replay reads.

"hi there" carries no classification (the replay estimates it: cheap); the others give
reasoning/complex/0.8, factual/simple/0.1 and coding/moderate/0.25 (with a cost bias of 20):
under the quality strategy's default shares, premium, cheap and mid (the hardest 30% of
typical messages start at a difficulty of about 0.30, the easiest 40% end at about 0.21).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROMPTS_FILE = Path(__file__).resolve().parent / "data" / "replay-prompts.jsonl"
PROMPTS: list[dict[str, Any]] = [
    json.loads(line) for line in PROMPTS_FILE.read_text(encoding="utf-8").splitlines() if line
]
