import json
import subprocess
import sys

from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app

runner = CliRunner()


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "modelplane", "--database-url", database_url, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_models_show_json_gives_reference_field_names_and_values(
    seeded: Engine, database_url: str
) -> None:
    result = runner.invoke(
        app, ["--database-url", database_url, "models", "show", "openai:gpt-5", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pricing"] == {"input": 2.5, "output": 10, "cached": 0.25}
    assert data["capabilities"] == ["thinking", "vision", "function-calling"]
    assert data["contextWindow"] == 200000


def test_models_list_filters_and_prints_an_aligned_table(seeded: Engine, database_url: str) -> None:
    result = runner.invoke(
        app, ["--database-url", database_url, "models", "list", "--provider", "anthropic"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "name", "provider"]
    assert len(lines) == 1 + 6
    column = lines[0].index("provider")
    assert all(line[column:].startswith("anthropic") for line in lines[1:])


def test_models_list_json_matches_the_api_list_shape(seeded: Engine, database_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "--database-url",
            database_url,
            "models",
            "list",
            "--capability",
            "image-generation",
            "--json",
        ],
    )
    data = json.loads(result.stdout)
    assert data["count"] == 2
    assert all("image-generation" in m["capabilities"] for m in data["data"])


def test_search_and_router_reads(seeded: Engine, database_url: str) -> None:
    found = json.loads(
        runner.invoke(
            app, ["--database-url", database_url, "models", "search", "sonar", "--json"]
        ).stdout
    )
    assert found["data"][0]["id"] == "perplexity:sonar"
    config = json.loads(
        runner.invoke(app, ["--database-url", database_url, "router", "config", "--json"]).stdout
    )
    assert config["routerSettings"]["fallbackModelId"] == "openai:gpt-5-mini"
    profiles = json.loads(
        runner.invoke(app, ["--database-url", database_url, "router", "profiles", "--json"]).stdout
    )
    assert profiles["count"] == 21 + 39 + 1  # the original table, the extended file, one derived


def test_unknown_model_exits_1_naming_the_id_and_nearest_ids(
    seeded: Engine, database_url: str
) -> None:
    result = run(database_url, "models", "show", "anthropic:claude-sonet-4.5")
    assert result.returncode == 1
    assert "anthropic:claude-sonet-4.5" in result.stderr
    assert "anthropic:claude-sonnet-4.5" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_status_filter_is_named(seeded: Engine, database_url: str) -> None:
    result = runner.invoke(
        app, ["--database-url", database_url, "models", "list", "--status", "retired"]
    )
    assert result.exit_code == 1
    assert "--status" in result.output and "retired" in result.output


def test_unreachable_database_is_one_line_with_the_password_hidden() -> None:
    result = run("postgresql+psycopg://admin:hunter2@127.0.0.1:1/modelplane", "db", "upgrade")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "127.0.0.1:1" in lines[0] and "hunter2" not in lines[0]
    assert "***" in lines[0]


def test_wrong_database_url_is_one_line() -> None:
    result = run("nosuchdb://somewhere/x", "seed")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nosuchdb" in result.stderr


def test_reads_fall_back_to_static_tables_when_the_database_is_down() -> None:
    result = run(
        "postgresql+psycopg://u:p@127.0.0.1:1/x", "models", "show", "openai:gpt-5", "--json"
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["pricing"]["input"] == 2.5
    assert "static" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_seed_dry_run_json_lists_disagreements(engine: Engine, database_url: str) -> None:
    result = runner.invoke(app, ["--database-url", database_url, "seed", "--dry-run", "--json"])
    data = json.loads(result.stdout)
    assert data["dryRun"] is True
    assert len(data["created"]["models"]) == 61
    assert {
        "modelId": "openai:gpt-5.2",
        "field": "pricing.input",
        "catalogue": 1.75,
        "router": 0.6,
    } in data["disagreements"]


def test_first_local_setup_creates_an_admin_and_shows_the_password_once(
    engine: Engine, database_url: str
) -> None:
    from modelplane.services.users import authenticate, ensure_first_admin
    from modelplane.settings import Settings
    from modelplane.store.unit_of_work import UnitOfWork

    hashing = Settings().password_hashing
    with UnitOfWork(engine) as uow:
        password = ensure_first_admin(uow, "test", hashing=hashing)
        uow.commit()
    assert password is not None
    with UnitOfWork(engine) as uow:
        assert (
            ensure_first_admin(uow, "test", hashing=hashing) is None
        )  # only on a database without users
        user = authenticate(uow, "admin", password, hashing=hashing)
    assert user is not None
    assert user.role == "admin"
