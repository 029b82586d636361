"""The auto-router page shows what the live ``premiumShare`` buys: the shipped difficulty
estimate's premium-share vs quality curve on held-out exam questions, read at that share."""

from __future__ import annotations

import json
import re
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.router.classification.difficulty import CURVE_PATH
from modelplane.services import router_data


def _recovered(html: str) -> list[int]:
    section = html[html.index('id="quality-curve"') :]
    return [int(n) for n in re.findall(r'class="live-recovered">(\d+)%<', section)]


def test_the_page_reads_the_curve_at_the_live_premium_share(as_role: Any, runtime: Runtime) -> None:
    curve = json.loads(CURVE_PATH.read_text(encoding="utf-8"))
    at_30 = [round(s["recovered"][curve["shares"].index(0.3)] * 100) for s in curve["sets"]]
    console = as_role("viewer")
    html = console.get("/admin/auto-router").text
    assert "the hardest 30% of messages" in html  # the seeded premiumShare is 0.3
    assert _recovered(html) == at_30
    assert all(n > 30 for n in at_30)  # better than a coin at that share
    assert html.count('class="series"') == 3  # two held-out sets and the coin
    router_data.update_router_config(
        runtime.unit_of_work, {"quality": {"premiumShare": 0.5}}, "test", None, "more premium"
    )
    html = console.get("/admin/auto-router").text
    at_50 = [round(s["recovered"][curve["shares"].index(0.5)] * 100) for s in curve["sets"]]
    assert "the hardest 50% of messages" in html
    assert _recovered(html) == at_50
    assert all(more > less for less, more in zip(at_30, at_50, strict=True))
