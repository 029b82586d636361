"""Hostile input is refused by the domain types themselves, with the field and the rule named:
control characters anywhere, model ids that URLs or paths would change, unbounded sizes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from modelplane.domain.base import LIST_MAX, NAME_MAX, TEXT_MAX, text_problem
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.experiments import Experiment
from modelplane.domain.flags import FlagSpec
from modelplane.domain.models import Model, ModelSpec, Provider
from modelplane.domain.profiles import ProfileSpec, TaskCategory
from modelplane.domain.router_config import RouterConfigDoc
from modelplane.domain.usage import UsageEvent
from modelplane.domain.validation import field_errors, validate_reason
from modelplane.store.static import read_json, static_tables


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "acme:fast-1",
        "provider": "acme",
        "name": "Fast 1",
        "contextWindow": 8000,
        "pricing": {"input": 1, "output": 2},
    }
    return {**base, **overrides}


def errors(kind: type[BaseModel], data: Any) -> list[FieldError]:
    """Every problem, as the faces report them (``field_errors``)."""
    with pytest.raises(ValidationError) as caught:
        kind.model_validate(data)
    return field_errors(caught.value)


def only(kind: type[BaseModel], data: Any) -> str:
    """The single error, as ``path: message``."""
    found = errors(kind, data)
    assert len(found) == 1, found
    return str(found[0])


# Control characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "code"),
    [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\x7f", "U+007F"), ("\x9b", "U+009B")],
)
def test_a_control_character_in_free_text_is_refused_naming_field_and_code_point(
    char: str, code: str
) -> None:
    message = only(ModelSpec, spec(description=f"fast{char}model"))
    assert message == f"description: must not contain control characters ({code})"


def test_line_breaks_and_tabs_are_fine_in_free_text_but_not_in_names() -> None:
    model = ModelSpec.model_validate(spec(description="one\ntwo\r\n\tthree", bestFor="a\nb"))
    assert model.description == "one\ntwo\r\n\tthree"
    assert only(ModelSpec, spec(name="Fast\n1")) == (
        "name: must be a single line: no tab or line break (U+000A)"
    )
    assert only(Provider, {"id": "acme", "displayName": "Ac\tme"}).startswith("displayName:")


def test_a_lone_surrogate_is_refused() -> None:
    assert text_problem("a\ud800b") == "must not contain a lone surrogate (U+D800)"
    assert errors(ModelSpec, spec(description="a\ud800b"))[0].path == "description"


def test_strings_nested_in_lists_maps_and_models_are_checked_with_their_path() -> None:
    assert only(ModelSpec, spec(benchmarks={"mmlu": 1, "bad\x00key": 2})) == (
        "benchmarks: a key must not contain control characters (U+0000)"
    )
    reasoning = {"type": "openai-reasoning-effort", "effortMapping": {"low": "lo\x00w"}}
    assert only(ModelSpec, spec(reasoning=reasoning)) == (
        "reasoning.effortMapping.low: must not contain control characters (U+0000)"
    )
    config = read_json("router-defaults.json")
    config["scoringBonuses"]["researchMatch"] = {"idPrefixes": ["ok", "perplexity\x00:"]}
    assert only(RouterConfigDoc, config) == (
        "scoringBonuses.researchMatch.idPrefixes[1]: must not contain control characters (U+0000)"
    )


def test_every_domain_type_refuses_control_characters() -> None:
    assert only(TaskCategory, {"id": "coding", "label": "Co\x00ding", "position": 0}).startswith(
        "label:"
    )
    assert only(FlagSpec, {"name": "f", "description": "x\x00"}).startswith("description:")
    assert only(FlagSpec, {"name": "f", "groupId": "g\x00"}).startswith("groupId:")
    event = {"modelId": "acme:x\x00", "feature": "chat", "latencyMs": 1}
    assert only(UsageEvent, event).startswith("modelId:")
    event = {"modelId": "acme:x", "feature": "chat", "latencyMs": 1, "success": False}
    assert only(UsageEvent, {**event, "error": "boom\x00"}).startswith("error:")
    config = read_json("router-defaults.json")
    experiment = {
        "name": "e",
        "variants": [{"name": "a", "weight": 100, "config": config}],
        "createdAt": "2026-01-01T00:00:00Z",
        "createdBy": "ana",
        "outcome": "won\x00",
    }
    assert only(Experiment, experiment).startswith("outcome:")


def test_stored_audit_fields_are_checked_too() -> None:
    stored = Model.model_validate(spec(version=1)).to_json()
    assert only(Model, {**stored, "updatedBy": "ana\x00"}).startswith("updatedBy:")


# Model ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "says"),
    [
        ("acme:a/./b", "'.' or '..' path segment"),
        ("acme:a/../b", "'.' or '..' path segment"),
        ("acme:a/..", "'.' or '..' path segment"),
        ("acme:a//b", "empty path segment"),
        ("acme:a/", "must not start or end with '/'"),
        ("acme:/a", "must not start or end with '/'"),
        ("acme:a%2Fb", "'%'"),
        ("acme:a?b", "'?'"),
        ("acme:a#b", "'#'"),
        ("acme:a\\b", "'\\\\'"),
        ("acme:a b", "whitespace"),
        ("acme:a\u00a0b", "whitespace"),
        ("acme:a\x00b", "control characters (U+0000)"),
        ("acme", "<provider>:<name>"),
        ("Acme:a", "provider part"),
        ("acme:a*b", "not '*'"),
        ("acme:fast/history", "may not end in /history"),
        ("acme:fast/rollback", "may not end in /rollback"),
        ("acme:fast/history/2", "may not end in /2"),
    ],
)
def test_a_new_model_id_that_urls_or_paths_would_change_is_refused(
    model_id: str, says: str
) -> None:
    message = only(ModelSpec, spec(id=model_id))
    assert message.startswith("id: ") and says in message


def test_unusual_but_addressable_ids_are_fine() -> None:
    for model_id in ("acme:a/.b", "acme:v1.5/turbo", "acme:history", "acme:a/b/c", "a.b:c_d-e"):
        assert ModelSpec.model_validate(spec(id=model_id)).id == model_id


def test_every_shipped_model_and_profile_id_is_a_valid_new_id() -> None:
    tables = static_tables()
    ids = {m.id for m in tables.models} | {p.model_id for p in tables.profiles}
    assert len(ids) > 50
    for model in tables.models:
        ModelSpec.model_validate(model.spec().to_json())
    for model_id in ids:
        ModelSpec.model_validate(spec(id=model_id))


def test_a_stored_id_is_read_back_even_if_it_would_not_be_accepted_today() -> None:
    stored = Model.model_validate(spec(id="acme:a//b/./history", version=1))
    assert stored.spec().id == "acme:a//b/./history"


# Bounds ---------------------------------------------------------------------------------------


def test_a_huge_capability_list_is_refused_by_its_limit() -> None:
    message = only(ModelSpec, spec(capabilities=["vision"] * 150_000))
    assert message.startswith("capabilities: List should have at most 5 items")


def test_repeated_capabilities_are_named() -> None:
    message = only(ModelSpec, spec(capabilities=["vision", "thinking", "vision"]))
    assert message == "capabilities: capability listed twice: vision"


def test_benchmarks_are_bounded_in_keys_and_key_length() -> None:
    many = {f"bench-{i}": 1.0 for i in range(100_000)}
    assert only(ModelSpec, spec(benchmarks=many)).startswith(
        f"benchmarks: Dictionary should have at most {LIST_MAX} items"
    )
    assert ModelSpec.model_validate(spec(benchmarks={f"b{i}": 1 for i in range(LIST_MAX)}))
    (found,) = errors(ModelSpec, spec(benchmarks={"x" * 65: 1}))
    assert found.path.startswith("benchmarks.") and found.message.endswith("64 characters")


def test_host_order_is_bounded_in_entries_and_entry_length() -> None:
    hosts = [f"host-{i}" for i in range(LIST_MAX + 1)]
    assert only(ModelSpec, spec(hostOrder=hosts)).startswith(
        f"hostOrder: List should have at most {LIST_MAX} items"
    )
    found = errors(ModelSpec, spec(hostOrder=["h" * 65]))
    assert found[0].path == "hostOrder[0]" and "64" in found[0].message


def test_free_text_and_names_are_bounded() -> None:
    assert ModelSpec.model_validate(spec(description="d" * TEXT_MAX))
    assert only(ModelSpec, spec(description="d" * (TEXT_MAX + 1))).startswith(
        f"description: String should have at most {TEXT_MAX} characters"
    )
    assert only(ModelSpec, spec(name="n" * (NAME_MAX + 1))).startswith(
        f"name: String should have at most {NAME_MAX} characters"
    )


def test_router_config_and_profile_lists_are_bounded() -> None:
    config = read_json("router-defaults.json")
    config["highStakesDomains"] = [f"d{i}" for i in range(LIST_MAX + 1)]
    assert only(RouterConfigDoc, config).startswith("highStakesDomains: List should have at most")
    config = read_json("router-defaults.json")
    config["speedBonuses"] = {f"name:m{i}": 1 for i in range(LIST_MAX + 1)}
    assert only(RouterConfigDoc, config).startswith("speedBonuses: List should have at most")
    scores = {f"c{i}": 1 for i in range(LIST_MAX + 1)}
    profile = {"modelId": "acme:a", "qualityScore": 1, "categoryScores": scores}
    assert only(ProfileSpec, profile).startswith("categoryScores: Dictionary should have at most")


def test_the_shipped_data_fits_well_inside_the_limits() -> None:
    tables = static_tables()
    for model in tables.models:
        doc = model.to_json()
        assert len(str(doc.get("description", ""))) < TEXT_MAX // 10
        assert len(model.host_order or []) < LIST_MAX // 10
    assert len(tables.router_config.speed_bonuses) < LIST_MAX // 10
    assert len(tables.router_config.high_stakes_domains) < LIST_MAX // 10


def test_a_reason_with_a_nul_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_reason("undo\x00")
    assert [(e.path, e.message) for e in exc.value.errors] == [
        ("reason", "must not contain control characters (U+0000)")
    ]
