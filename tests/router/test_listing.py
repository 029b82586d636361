"""The default (top five) candidate listing: built once per kind of request and compiled
router, then shared, and always the listing a fresh computation gives."""

from __future__ import annotations

from typing import Any

from modelplane.router import CompiledRouter
from modelplane.router.classification.embedded import EmbeddedClassifier
from modelplane.router.decision import RouteDecision
from modelplane.router.engine import LISTINGS_KEPT, Router
from modelplane.router.selection.compiled import compile_router

from .conftest import request

CODING = {
    "primaryCategory": "coding",
    "secondaryCategory": "reasoning",
    "complexity": "complex",
    "confidence": 0.9,
}


def _route(data: CompiledRouter, **fields: Any) -> RouteDecision:
    body = {"text": "Sort a list in Python.", "seed": 3, "classification": CODING, **fields}
    return Router(data, EmbeddedClassifier()).route(request(**body))


def _fresh(data: CompiledRouter, **fields: Any) -> RouteDecision:
    """The same decision with the memo emptied first: computed from scratch."""
    data.listings.clear()
    return _route(data, **fields)


def test_a_repeated_request_shares_the_listing_and_it_matches_a_fresh_one(
    seeded_catalogue: CompiledRouter,
) -> None:
    first = _route(seeded_catalogue)
    again = _route(seeded_catalogue)
    assert len(seeded_catalogue.listings) == 1
    assert all(a is b for a, b in zip(first.candidates[:5], again.candidates[:5], strict=True))
    assert again.candidates == _fresh(seeded_catalogue).candidates
    assert again.selected_rank == first.selected_rank


def test_every_input_of_the_listing_keeps_its_own_entry(
    seeded_catalogue: CompiledRouter,
) -> None:
    variants: list[dict[str, Any]] = [
        {},
        {"costBias": 90},
        {"speedBias": 80},
        {"previousModelId": "openai:gpt-5"},
        {"exclude": ["anthropic:claude-opus-4.5"]},
        {"contextTokens": 150_000},
        {"classification": {**CODING, "primaryCategory": "creative"}},
        {"classification": {**CODING, "complexity": "simple"}},
        {"classification": {**CODING, "requiresReasoning": True}},
    ]
    for fields in variants:
        remembered = _route(seeded_catalogue, **fields)
        again = _route(seeded_catalogue, **fields)
        fresh = _fresh(seeded_catalogue, **fields)
        assert again.candidates == fresh.candidates, fields
        assert again.selected_rank == fresh.selected_rank, fields
        assert remembered.selected_model_id in {c.model_id for c in again.candidates}


def test_picks_outside_the_best_five_share_them_and_get_their_own_rank(
    seeded_catalogue: CompiledRouter,
) -> None:
    below = 0
    for seed in range(60):  # weighted-random: a uniform pick inside the rolled tier
        shared = _route(seeded_catalogue, seed=seed)
        fresh = _fresh(seeded_catalogue, seed=seed)
        _route(seeded_catalogue, seed=seed + 1000)  # the memo holds this kind again
        assert shared.candidates == fresh.candidates, seed
        assert shared.selected_rank == fresh.selected_rank, seed
        assert shared.selected_model_id in {c.model_id for c in shared.candidates}
        full = _route(seeded_catalogue, seed=seed, candidates="all")
        order = [c.model_id for c in full.candidates]
        assert shared.selected_rank == order.index(shared.selected_model_id) + 1, seed
        assert shared.candidates[:5] == full.candidates[:5]
        if shared.selected_rank is not None and shared.selected_rank > 5:
            below += 1
            assert len(shared.candidates) == 6
            assert shared.candidates[-1].model_id == shared.selected_model_id
    assert 0 < below < 60, "both paths were taken"
    assert len(seeded_catalogue.listings) == 1, "one kind of request, one entry"


def test_excluding_a_listed_model_takes_it_out_of_the_listing(
    seeded_catalogue: CompiledRouter,
) -> None:
    top = _route(seeded_catalogue).candidates[0].model_id
    assert top not in {c.model_id for c in _route(seeded_catalogue, exclude=[top]).candidates}


def test_candidates_all_is_never_remembered(seeded_catalogue: CompiledRouter) -> None:
    everything = _route(seeded_catalogue, candidates="all")
    assert len(everything.candidates) == everything.candidate_count > 30
    assert seeded_catalogue.listings == {}


def test_new_data_starts_a_new_memo_with_the_new_scores(seeded_catalogue: CompiledRouter) -> None:
    before = _route(seeded_catalogue)
    top = before.candidates[0]
    profiles = [
        p.model_copy(update={"category_scores": {**p.category_scores, "coding": 0}})
        if p.model_id == top.model_id
        else p
        for p in (m.profile for m in seeded_catalogue.models if m.profile is not None)
    ]
    changed = compile_router(
        [m.model for m in seeded_catalogue.models],
        profiles,
        seeded_catalogue.config,
        seeded_catalogue.categories,
    )
    after = _route(changed)
    assert after.candidates[0].model_id != top.model_id
    assert _route(seeded_catalogue).candidates[0] is top, "the old data keeps its own memo"


def test_the_memo_is_bounded(seeded_catalogue: CompiledRouter) -> None:
    for bias in range(LISTINGS_KEPT + 20):
        _route(seeded_catalogue, costBias=bias % 101, speedBias=bias // 101)
    assert len(seeded_catalogue.listings) == LISTINGS_KEPT
