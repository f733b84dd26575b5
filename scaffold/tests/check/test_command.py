"""``mkservice check`` on the command line: output, exit status, --json, --repo, --runtime."""

import json
import sys
import types
from pathlib import Path

import pytest
import typer
from planted import CHECK_IDS, planted_repo
from typer.testing import CliRunner

from mkservice.check import CheckResult, Finding, Service
from mkservice.commands import check as check_command

RUNTIME_MODULE = "mkservice.check.runtime"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A stand-in for the mkservice root command."""

    check_command.register(app)
    return app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def _plant_shared_table(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/payments/src/payments/adapters/copy.py",
        "import sqlalchemy as sa\n\nt = sa.Table('purchase_order', sa.MetaData())\n",
    )


def test_a_clean_workspace_exits_zero_with_a_table_of_passes(tmp_path: Path) -> None:
    planted_repo(tmp_path)

    code, output = _run("--repo", str(tmp_path))

    assert code == 0
    assert output.count("PASS") == len(CHECK_IDS)
    assert "shared database tables" in output


def test_a_violation_exits_one_and_shows_its_evidence(tmp_path: Path) -> None:
    _plant_shared_table(tmp_path)

    code, output = _run("--repo", str(tmp_path))

    assert code == 1
    assert "FAIL" in output
    assert "copy.py:3" in output


def test_json_output_is_machine_readable(tmp_path: Path) -> None:
    _plant_shared_table(tmp_path)

    code, output = _run("--json", "--repo", str(tmp_path))

    data = json.loads(output)
    assert code == 1
    assert data["ok"] is False
    shared = data["checks"][0]
    assert (shared["id"], shared["passed"], shared["symptom"]) == (
        "shared-tables",
        False,
        "shared database tables",
    )
    assert {
        "file": "services/payments/src/payments/adapters/copy.py",
        "line": 3,
        "services": ["orders", "payments"],
    }.items() <= shared["findings"][1].items()


def test_finds_the_workspace_above_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted_repo(tmp_path)
    monkeypatch.chdir(tmp_path / "services/orders")

    assert _run("--json")[0] == 0


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_a_repo_without_services_is_bad_usage(tmp_path: Path, folder: str) -> None:
    (tmp_path / "empty").mkdir()

    code, output = _run("--repo", str(tmp_path / folder))

    assert code == 2
    assert "mkservice check" in output


def test_runtime_results_join_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted_repo(tmp_path)
    seen: list[str] = []

    def run_runtime_checks(repo: Path, services: list[Service]) -> list[CheckResult]:
        seen.extend(service.name for service in services)
        finding = Finding("services/orders", 0, ("orders",), "never became ready")
        return [
            CheckResult("deployment-coupling", "Deployment coupling", "deploy order", (finding,))
        ]

    runtime = types.ModuleType(RUNTIME_MODULE)
    runtime.run_runtime_checks = run_runtime_checks  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, RUNTIME_MODULE, runtime)

    code, output = _run("--runtime", "--json", "--repo", str(tmp_path))

    assert code == 1
    assert seen == ["orders", "payments"]
    assert [check["id"] for check in json.loads(output)["checks"]][-1] == "deployment-coupling"
