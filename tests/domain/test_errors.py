"""Domain errors (``domain/errors.py``): what each says, and the nearest-id suggestions."""

from __future__ import annotations

from modelplane.domain.errors import (
    AlreadyExists,
    FieldError,
    InvalidInput,
    ModelplaneError,
    NotFound,
    VersionConflict,
    nearest,
)

IDS = [
    "openai:gpt-5",
    "openai:gpt-5-mini",
    "openai:gpt-4o",
    "anthropic:claude-sonnet-4.5",
    "google:gemini-2.5-pro",
    "google:gemini-2.5-flash",
]


def test_a_missing_punctuation_mark_finds_the_model_first() -> None:
    assert nearest("gpt5", IDS)[0] == "openai:gpt-5"
    assert nearest("openai:gpt5", IDS)[0] == "openai:gpt-5"


def test_the_name_part_alone_finds_the_model_under_its_provider() -> None:
    assert nearest("claude-sonnet", IDS) == ["anthropic:claude-sonnet-4.5"]
    assert nearest("gemini-2.5-pro", IDS)[0] == "google:gemini-2.5-pro"


def test_suggestions_are_unique_and_at_most_n() -> None:
    found = nearest("openai:gpt-4", IDS)
    assert len(found) == 3
    assert len(set(found)) == 3
    assert nearest("openai:gpt-4", IDS, n=1) == ["openai:gpt-4o"]


def test_nothing_alike_suggests_nothing() -> None:
    assert nearest("zzzz", IDS) == []
    assert nearest("gpt-5", []) == []


def test_not_found_names_the_kind_the_key_and_the_suggestions() -> None:
    error = NotFound("model", "gpt5", nearest("gpt5", IDS, n=1))
    assert str(error) == "unknown model 'gpt5' (did you mean: openai:gpt-5?)"
    assert error.suggestions == ["openai:gpt-5"]
    assert str(NotFound("flag", "nope")) == "unknown flag 'nope'"


def test_invalid_input_carries_every_error_and_lists_them() -> None:
    error = InvalidInput([FieldError("pricing.input", "too low"), FieldError("id", "bad")])
    assert [e.path for e in error.errors] == ["pricing.input", "id"]
    assert str(error) == "invalid input: pricing.input: too low; id: bad"
    assert str(InvalidInput([FieldError("", "empty")], title="invalid import")) == (
        "invalid import: empty"
    )


def test_a_version_conflict_names_the_fields_changed_since() -> None:
    error = VersionConflict("model", "openai:gpt-5", 3, 5, ["pricing.input", "status"])
    assert str(error) == (
        "model 'openai:gpt-5' is at version 5, not 3; changed since: pricing.input, status"
    )
    assert str(VersionConflict("flag", "x", 1, 2)) == "flag 'x' is at version 2, not 1"


def test_every_domain_error_is_a_modelplane_error() -> None:
    for error in (
        NotFound("model", "x"),
        AlreadyExists("model", "x"),
        InvalidInput([]),
        VersionConflict("model", "x", 1, 2),
    ):
        assert isinstance(error, ModelplaneError)
    assert str(AlreadyExists("provider", "acme")) == "provider 'acme' already exists"
