"""Task categories and per-model routing profiles (``domain/profiles.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from modelplane.domain.models import ModelSpec
from modelplane.domain.profiles import (
    DEFAULT_CATEGORIES,
    Profile,
    ProfileSpec,
    TaskCategory,
    derived_profile,
    nearest_sibling,
)

from .support import paths, problems


def profile(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "modelId": "acme:fast-1",
        "qualityScore": 70,
        "categoryScores": {"coding": 80, "creative": 40},
    }
    return {**base, **overrides}


def test_a_profile_answers_its_score_per_category() -> None:
    spec = ProfileSpec.model_validate(profile())
    assert spec.score_for("coding") == 80
    assert spec.score_for("research") is None


def test_a_profile_needs_at_least_one_category_score() -> None:
    [error] = problems(ProfileSpec, profile(categoryScores={}))
    assert error.path == "categoryScores"
    assert "at least one category score is required" in error.message


@pytest.mark.parametrize("score", [-1, 101])
def test_scores_are_0_to_100(score: int) -> None:
    assert paths(ProfileSpec, profile(qualityScore=score)) == ["qualityScore"]
    assert paths(ProfileSpec, profile(categoryScores={"coding": score})) == [
        "categoryScores.coding"
    ]


def test_a_category_id_must_be_a_lowercase_slug() -> None:
    [path] = paths(ProfileSpec, profile(categoryScores={"Coding": 50}))
    assert path.startswith("categoryScores.Coding")


def test_a_profile_names_a_model_by_its_full_id() -> None:
    assert paths(ProfileSpec, profile(modelId="fast-1")) == ["modelId"]


def test_a_stored_profile_defaults_to_version_0_and_its_spec_drops_audit_fields() -> None:
    stored = Profile.model_validate(profile(updatedBy="ana"))
    assert stored.version == 0
    assert stored.spec() == ProfileSpec.model_validate(profile())


def test_categories_are_data_with_a_label_and_a_position() -> None:
    category = TaskCategory.model_validate({"id": "legal", "label": "Legal", "position": 8})
    assert category.id == "legal"
    assert paths(TaskCategory, {"id": "legal", "label": "", "position": -1}) == [
        "label",
        "position",
    ]


def test_the_eight_default_categories_are_valid_ids() -> None:
    assert len(DEFAULT_CATEGORIES) == 8
    for position, name in enumerate(DEFAULT_CATEGORIES):
        TaskCategory(id=name, label=name.title(), position=position)


def _model(model_id: str, *capabilities: str, provider: str | None = None) -> ModelSpec:
    return ModelSpec.model_validate(
        {
            "id": model_id,
            "provider": provider or model_id.split(":")[0],
            "name": model_id,
            "contextWindow": 100_000,
            "pricing": {"input": 1, "output": 2},
            "capabilities": list(capabilities),
        }
    )


def test_the_nearest_sibling_shares_provider_family_and_major_version() -> None:
    newcomer = _model("router:kimi-k2.5", "vision", "thinking", provider="kimi")
    profiled = [
        _model("moonshot:kimi-k2", provider="kimi"),
        _model("moonshot:kimi-k2-thinking", "thinking", provider="kimi"),
        _model("moonshot:kimi-k3", "vision", "thinking", provider="kimi"),  # another major
        _model("other:kimi-k2.5", "vision", "thinking", provider="someone-else"),
    ]
    sibling = nearest_sibling(newcomer, profiled)
    assert sibling is not None and sibling.id == "moonshot:kimi-k2-thinking"
    assert nearest_sibling(newcomer, profiled[2:]) is None
    assert nearest_sibling(_model("openai:gpt-5-mini"), [_model("openai:gpt-4o")]) is None


def test_with_equal_capabilities_the_longer_shared_name_wins() -> None:
    newcomer = _model("openai:gpt-5.1-mini")
    profiled = [_model("openai:gpt-5"), _model("openai:gpt-5.1"), _model("openai:gpt-5.2")]
    sibling = nearest_sibling(newcomer, profiled)
    assert sibling is not None and sibling.id == "openai:gpt-5.1"


def test_a_derived_profile_copies_the_scores_but_not_a_zero_the_model_can_serve() -> None:
    source = ProfileSpec(
        model_id="a:m-1", quality_score=80, category_scores={"coding": 70, "multimodal": 0}
    )
    seeing, blind = _model("a:m-2", "vision"), _model("a:m-3")
    derived = derived_profile(seeing, _model("a:m-1"), source, 50.0)
    assert (derived.model_id, derived.quality_score) == ("a:m-2", 80)
    assert derived.category_scores == {"coding": 70, "multimodal": 50}
    assert derived_profile(blind, _model("a:m-1"), source, 50.0).category_scores == {
        "coding": 70,
        "multimodal": 0,
    }
