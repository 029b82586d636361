import logging
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import NotFound
from modelplane.domain.models import Model
from modelplane.domain.reader import CatalogReader, ModelFilter
from modelplane.live.snapshot import load_snapshot, static_snapshot
from modelplane.live.source import SnapshotSource
from modelplane.settings import Settings


def reader_over(source: SnapshotSource) -> CatalogReader:
    return CatalogReader(source, source)


@pytest.fixture
def db_reader(seeded: Engine) -> CatalogReader:
    """A snapshot loaded from the database (what one-shot commands read)."""
    return reader_over(SnapshotSource.fixed(load_snapshot(seeded)))


@pytest.fixture
def static_reader() -> CatalogReader:
    return reader_over(SnapshotSource.fixed(static_snapshot()))


def ids(models: list[Model]) -> list[str]:
    return [m.id for m in models]


def test_get_by_id_returns_the_model(db_reader: CatalogReader) -> None:
    model = db_reader.get("openai:gpt-5")
    assert (model.pricing.input, model.pricing.output, model.pricing.cached) == (
        Decimal("2.5"),
        Decimal(10),
        Decimal("0.25"),
    )
    assert model.capabilities == ["thinking", "vision", "function-calling"]


def test_unknown_id_names_the_nearest_known_ids(db_reader: CatalogReader) -> None:
    with pytest.raises(NotFound) as exc:
        db_reader.get("openai:gpt5-mini")
    assert exc.value.suggestions[0] == "openai:gpt-5-mini"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ModelFilter(provider="anthropic"), 6),
        (ModelFilter(status="deprecated"), 6),
        (ModelFilter(capability="image-generation"), 2),
        (ModelFilter(internal_only=True), 5),
        (ModelFilter(experimental=True), 3),
        (ModelFilter(provider="openai", capability="thinking"), 6),
    ],
)
def test_filters_agree_between_database_and_static_sources(
    db_reader: CatalogReader, static_reader: CatalogReader, filters: ModelFilter, expected: int
) -> None:
    from_db = ids(db_reader.models(filters))
    assert len(from_db) == expected
    assert from_db == ids(static_reader.models(filters))


def test_capability_filter_only_returns_models_that_have_it(db_reader: CatalogReader) -> None:
    vision = db_reader.models(ModelFilter(capability="vision"))
    assert vision and all("vision" in m.capabilities for m in vision)


def test_grouped_by_provider_covers_every_model_once(db_reader: CatalogReader) -> None:
    groups = db_reader.grouped_by_provider()
    assert sum(len(v) for v in groups.values()) == 61
    assert all(m.provider == p for p, models in groups.items() for m in models)
    assert list(groups) == sorted(groups)


def test_search_puts_exact_matches_first(
    db_reader: CatalogReader, static_reader: CatalogReader
) -> None:
    found = ids(db_reader.search("gpt-5"))
    assert found[0] == "openai:gpt-5" or found[0].endswith(":gpt-5")
    assert "openai:gpt-5.2" in found
    assert ids(db_reader.search("GPT-5 Mini"))[0] == "openai:gpt-5-mini"
    assert found == ids(static_reader.search("gpt-5"))


def test_search_matches_provider_and_treats_wildcards_literally(db_reader: CatalogReader) -> None:
    assert {m.provider for m in db_reader.search("perplexity")} == {"perplexity"}
    assert db_reader.search("%") == []
    assert db_reader.search("_") == []


def test_public_list_hides_internal_deprecated_and_on_mobile_experimental(
    db_reader: CatalogReader,
) -> None:
    web = db_reader.public()
    mobile = db_reader.public("mobile")
    assert not any(m.is_internal_only or m.status == "deprecated" for m in web)
    assert any(m.is_experimental for m in web)
    assert not any(m.is_experimental for m in mobile)
    assert len(web) == 61 - 5 - 6
    assert len(mobile) == len(web) - 3


def test_profiles_and_config_come_from_the_database(db_reader: CatalogReader) -> None:
    profiles = db_reader.profiles()
    # the original table, then the extended file's, then one derived from a sibling's
    assert len(profiles) == 21 + 39 + 1
    assert sum(len(p.category_scores) for p in profiles) == 168 + 8 * 40
    gpt5 = db_reader.profile("openai:gpt-5")
    assert gpt5 is not None and gpt5.category_scores["reasoning"] == 95
    assert [c.id for c in db_reader.categories()][:2] == ["coding", "reasoning"]
    assert db_reader.router_config().version == 1


def test_static_and_database_sources_give_identical_costs_for_every_model(
    db_reader: CatalogReader, static_reader: CatalogReader
) -> None:
    models = db_reader.models()
    assert ids(models) == ids(static_reader.models())
    for model in models:
        for tokens in [(1000, 500, 0, 0), (0, 0, 12345, 0), (7, 0, 0, 999_999), (1, 2, 3, 4)]:
            assert db_reader.cost(model.id, *tokens) == static_reader.cost(model.id, *tokens)


def test_database_and_static_sources_hold_the_same_facts(
    db_reader: CatalogReader, static_reader: CatalogReader
) -> None:
    for model in db_reader.models():
        assert model.spec() == static_reader.get(model.id).spec()
    assert [p.spec() for p in db_reader.profiles()] == [p.spec() for p in static_reader.profiles()]
    assert db_reader.router_config().doc() == static_reader.router_config().doc()


def test_unreachable_database_falls_back_to_static_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    runtime = Runtime(Settings(database_url=url, environment="test"))
    reader = runtime.reader
    with caplog.at_level(logging.WARNING):
        assert reader.get("openai:gpt-5").pricing.input == 2.5
        assert len(reader.models()) == 61
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "127.0.0.1:1" in warnings[0] and "secret" not in warnings[0]
    assert reader.models_source.name == "static"
    runtime.close()


def test_search_takes_the_list_filters_on_both_sources(
    db_reader: CatalogReader, static_reader: CatalogReader
) -> None:
    vision = ModelFilter(capability="vision")
    found = ids(db_reader.search("gemini", filters=vision))
    assert found
    assert all("vision" in db_reader.get(i).capabilities for i in found)
    assert len(found) < len(ids(db_reader.search("gemini")))
    assert found == ids(static_reader.search("gemini", filters=vision))
