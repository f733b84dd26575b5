"""``mkservice bench --replicas N --nats-cluster M``: what it accepts, what it refuses, and how
the two shapes are compared (no bench is run here)."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from mkservice_lab.bench import runner
from mkservice_lab.bench.report import results_table
from mkservice_lab.bench.scaleout import Shape, comparison_table, ratios, scaled_out_figures
from mkservice_lab.commands.bench import register


@pytest.fixture
def bench_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what ``run_bench`` would have been asked to do instead of running it."""
    calls: list[dict[str, Any]] = []

    def record(*args: Any, **options: Any) -> int:
        calls.append(options)
        return 0

    monkeypatch.setattr(runner, "run_bench", record)
    return calls


def invoke(*args: str, db: str) -> Any:
    app = typer.Typer()
    app.callback()(lambda: None)  # keeps `bench` a subcommand, as on the mkservice line
    register(app)
    return CliRunner().invoke(app, ["bench", *args], env={"MKSERVICE_TEST_DB": db})


def test_replicas_on_sqlite_are_refused_before_anything_runs(
    bench_runs: list[dict[str, Any]],
) -> None:
    result = invoke("--only", "checkout", "--replicas", "2", db="sqlite")

    assert result.exit_code == 2
    assert "SQLite is one process per service" in result.output
    assert bench_runs == []


def test_by_default_the_bench_runs_one_replica_on_one_server(
    bench_runs: list[dict[str, Any]],
) -> None:
    result = invoke("--quick", db="sqlite")

    assert result.exit_code == 0, result.output
    assert bench_runs[0]["shape"] == Shape(1, 1)
    assert not bench_runs[0]["shape"].scaled_out


def test_on_postgres_the_bench_gets_the_scaled_out_shape(
    bench_runs: list[dict[str, Any]],
) -> None:
    result = invoke("--only", "checkout", "--replicas", "2", "--nats-cluster", "3", db="postgres")

    assert result.exit_code == 0, result.output
    assert bench_runs[0]["shape"] == Shape(replicas=2, nats_cluster=3)
    assert bench_runs[0]["parts"] == ("checkout",)


def test_a_nats_cluster_alone_runs_on_sqlite(bench_runs: list[dict[str, Any]]) -> None:
    result = invoke("--only", "checkout", "--nats-cluster", "3", db="sqlite")

    assert result.exit_code == 0, result.output
    assert bench_runs[0]["shape"] == Shape(replicas=1, nats_cluster=3)


@pytest.mark.parametrize("args", [["--replicas", "0"], ["--nats-cluster", "0"]])
def test_a_shape_below_one_is_a_usage_error(
    bench_runs: list[dict[str, Any]], args: list[str]
) -> None:
    assert invoke(*args, db="postgres").exit_code == 2
    assert bench_runs == []


def test_the_shape_does_not_apply_to_profile_or_steady(bench_runs: list[dict[str, Any]]) -> None:
    result = invoke("--steady", "--replicas", "2", db="postgres")

    assert result.exit_code == 2
    assert bench_runs == []


def test_the_results_compare_both_shapes_with_their_ratio() -> None:
    baseline = {"sagas_per_s": 100.0, "saga_p50_ms": 10.0, "saga_p99_ms": 40.0}
    scaled = scaled_out_figures(
        Shape(2, 3),
        {"sagas_per_s": 80.0, "saga_p50_ms": 15.0, "saga_p99_ms": 60.0},
    )
    results = {**baseline, "scaled_out": scaled, "scaled_out_ratio": ratios(baseline, scaled)}

    assert scaled["replicas"] == 2 and scaled["nats_cluster"] == 3
    assert results["scaled_out_ratio"] == {
        "sagas_per_s": 0.8,
        "saga_p50_ms": 1.5,
        "saga_p99_ms": 1.5,
        "cpu_ms_per_saga_total": None,
    }
    table = comparison_table(results)
    assert table is not None
    assert [cell for cell in table.columns[0].cells] == [
        "1 replica, 1 server",
        "2 replicas, 3 servers",
        "ratio",
    ]


def test_a_run_of_one_shape_prints_no_comparison() -> None:
    assert comparison_table({"sagas_per_s": 100.0}) is None
    assert len(results_table({"sagas_per_s": 100.0}).renderables) == 3
