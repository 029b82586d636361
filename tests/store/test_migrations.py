from sqlalchemy import inspect

from modelplane.store import migrate
from modelplane.store.database import create_db_engine
from modelplane.store.tables import metadata
from tests.conftest import ThrowawayDatabases


def test_migrations_go_up_from_empty_down_to_base_and_up_again(
    backend: str, databases: ThrowawayDatabases
) -> None:
    engine = create_db_engine(databases.create(backend))
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in metadata.sorted_tables} <= tables

        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_table_definitions(backend: str, database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
    finally:
        engine.dispose()
