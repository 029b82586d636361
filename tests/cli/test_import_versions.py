"""``modelplane import`` of an export taken before someone's edit (issue 12, defect 7):
refused in one line with the edit kept; ``--force --reason`` applies it and says so in the
history; ``--skip-conflicts`` applies the rest. Direct and over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from modelplane.bootstrap import Runtime
from modelplane.services import models as model_svc
from tests.cli.test_manage_cli import mode, run, server

__all__ = ["mode", "server"]  # the fixtures, used by name

M = "openai:gpt-5"
OTHER = "openai:gpt-5-mini"


def _export_then_edit(mode: list[str], runtime: Runtime, tmp_path: Path) -> Path:
    exported = tmp_path / "export.json"
    assert run(mode, "export", str(exported))[0] == 0
    model_svc.update_model(runtime.unit_of_work, M, {"pricing": {"input": 3}}, "other", None)
    return exported


def _pricing(runtime: Runtime, model_id: str) -> tuple[float, float]:
    """From the database: a direct CLI write reaches this runtime's snapshot only later."""
    with runtime.unit_of_work(read_only=True) as uow:
        model = uow.models.get(model_id)
    assert model is not None
    return float(model.pricing.input), float(model.pricing.output)


def _price(runtime: Runtime) -> float:
    return _pricing(runtime, M)[0]


def test_an_import_over_a_later_edit_is_refused_in_one_line_and_the_edit_kept(
    mode: list[str], runtime: Runtime, tmp_path: Path
) -> None:
    exported = _export_then_edit(mode, runtime, tmp_path)

    code, out, err = run(mode, "import", str(exported), "--dry-run")
    assert code == 0, err
    assert M in out and "pricing.input" in out and "refused" in out

    code, _, err = run(mode, "import", str(exported))
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert M in err and "changed since the export" in err
    assert _price(runtime) == 3


def test_force_needs_a_reason_and_its_history_names_the_force(
    mode: list[str], runtime: Runtime, tmp_path: Path
) -> None:
    exported = _export_then_edit(mode, runtime, tmp_path)
    exported_price = next(m for m in json.loads(exported.read_text())["models"] if m["id"] == M)[
        "pricing"
    ]["input"]

    code, _, err = run(mode, "import", str(exported), "--force")
    assert code == 1 and "--reason" in err
    assert _price(runtime) == 3

    code, out, err = run(mode, "import", str(exported), "--force", "--reason", "audited prices")
    assert code == 0, err
    assert "forced" in out
    assert _price(runtime) == exported_price
    with runtime.unit_of_work(read_only=True) as uow:
        [top] = uow.model_history.page(M, 0, 1)
    assert (top.change_type, top.reason) == (
        "imported",
        "forced over a version conflict: audited prices",
    )


def test_skip_conflicts_imports_the_rest(mode: list[str], runtime: Runtime, tmp_path: Path) -> None:
    exported = _export_then_edit(mode, runtime, tmp_path)
    document = json.loads(exported.read_text())
    next(m for m in document["models"] if m["id"] == OTHER)["pricing"]["output"] = 77
    exported.write_text(json.dumps(document))

    code, out, err = run(mode, "import", str(exported), "--skip-conflicts", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [c["id"] for c in report["skipped"]] == [M]
    assert _price(runtime) == 3
    assert _pricing(runtime, OTHER)[1] == 77
