"""Task categories and per-model routing profiles (``domain/profiles.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from modelplane.domain.profiles import DEFAULT_CATEGORIES, Profile, ProfileSpec, TaskCategory

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
