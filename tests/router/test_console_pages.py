"""The console's router pages: the active strategy in words, models without a profile
marked, and the playground's chosen model with its rank and tier."""

from __future__ import annotations

import re
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.domain.router_config import STRATEGY_SUMMARIES
from modelplane.services.models import create_in
from modelplane.services.versioned import Change
from tests.router.conftest import make_model
from tests.web import conftest as web
from tests.web.test_forms import _config_form

# The console's fixtures, by name (pytest finds fixtures among a module's attributes).
app_client, data_home, as_role = web.app_client, web.data_home, web.as_role


def test_the_router_page_says_which_strategy_is_active_and_what_it_does(as_role: Any) -> None:
    page = as_role("viewer").get("/admin/auto-router").text
    assert "Active strategy: <strong>weighted-random</strong>" in page
    assert "picks uniformly at random inside it" in STRATEGY_SUMMARIES["weighted-random"]
    assert "picks uniformly at random inside it" in page


def test_the_profiles_grid_marks_active_models_without_a_profile(
    as_role: Any, runtime: Runtime
) -> None:
    page = as_role("viewer").get("/admin/auto-router/profiles").text
    assert "data-unprofiled=" not in page  # after a fresh seed every active model has one
    with runtime.unit_of_work() as uow:
        spec = make_model("openai:newcomer-1").spec()
        create_in(uow, spec, Change("test", "a model nobody has profiled"))
        uow.commit()
    page = as_role("viewer").get("/admin/auto-router/profiles").text
    assert 'data-unprofiled="openai:newcomer-1"' in page
    assert "1 active model has none" in page
    assert 'data-unprofiled="anthropic:claude-opus-4.5"' not in page


def test_the_playground_shows_the_chosen_models_rank_and_tier(
    as_role: Any, runtime: Runtime
) -> None:
    form = _config_form(runtime, {}, prefix="whatIf.")
    request = [("text", "hello, how are you today?"), ("seed", "7")]
    page = as_role("viewer").post("/admin/auto-router/playground", [*request, *form]).text
    rank = re.search(r"data-chosen-rank>rank (\d+) of (\d+)<", page)
    assert rank is not None and 1 <= int(rank.group(1)) <= int(rank.group(2))
    assert re.search(r'class="badge tier-(cheap|mid|premium)"', page)
