"""docs/ARCHITECTURE.md stays true: every module its rules table names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "modelplane"


def _rule_homes() -> list[str]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("## Where each rule lives", 1)[1].split("\n## ", 1)[0]
    homes: list[str] = []
    for row in table.splitlines()[3:]:
        cells = row.split("|")
        if len(cells) < 3:
            continue
        directory = ""
        for name in re.findall(r"`([a-z_/]+(?:\.py|/))`", cells[2]):
            path = name if "/" in name else f"{directory}{name}"
            directory = path.rsplit("/", 1)[0] + "/"
            homes.append(path)
    return homes


def test_the_rules_table_names_only_modules_that_exist() -> None:
    homes = _rule_homes()
    assert len(homes) > 20
    missing = [home for home in homes if not (PACKAGE / home).exists()]
    assert missing == []
