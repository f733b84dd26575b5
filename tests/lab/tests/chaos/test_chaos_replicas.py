"""``mkservice chaos --replicas N``, ``--nats-cluster N`` and ``--cluster``: orders spread over
the replicas as a load balancer would; the shapes each option runs, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import typer
from typer.testing import CliRunner

import mkservice_lab.chaos
from mkservice_lab.chaos.cluster import Cluster
from mkservice_lab.chaos.config import ChaosConfig
from mkservice_lab.commands.chaos import register


class Replicas:
    """The part of the stack's Supervisor the load reads: every replica's URL, asked each time."""

    def __init__(self, *urls: str) -> None:
        self.urls = list(urls)

    def urls_of(self, service: str) -> list[str]:
        return self.urls


def cluster_over(replicas: Replicas) -> Cluster:
    none = cast(Any, None)
    return Cluster(ChaosConfig.ci(), [], Path("."), none, none, cast(Any, replicas))


def test_each_order_goes_first_to_the_next_replica_in_turn_and_follows_a_moved_port() -> None:
    replicas = Replicas("http://127.0.0.1:1", "http://127.0.0.1:2")
    upstreams = cluster_over(replicas).round_robin("orders")

    assert [upstreams() for _ in range(3)] == [
        ["http://127.0.0.1:1", "http://127.0.0.1:2"],
        ["http://127.0.0.1:2", "http://127.0.0.1:1"],
        ["http://127.0.0.1:1", "http://127.0.0.1:2"],
    ]
    replicas.urls[1] = "http://127.0.0.1:3"  # restarted on another port
    assert upstreams()[0] == "http://127.0.0.1:3"


def test_one_replica_gets_every_order() -> None:
    upstreams = cluster_over(Replicas("http://127.0.0.1:1")).round_robin("orders")

    assert [upstreams() for _ in range(2)] == [["http://127.0.0.1:1"]] * 2


@pytest.fixture
def chaos_runs(monkeypatch: pytest.MonkeyPatch) -> list[ChaosConfig]:
    """Record the configuration ``run_chaos`` would get instead of running it."""
    runs: list[ChaosConfig] = []

    def record(config: ChaosConfig, *args: Any) -> int:
        runs.append(config)
        return 0

    monkeypatch.setattr(mkservice_lab.chaos, "run_chaos", record)
    return runs


def invoke(*args: str, db: str) -> Any:
    app = typer.Typer()
    app.callback()(lambda: None)  # keeps `chaos` a subcommand, as on the mkservice line
    register(app)
    return CliRunner().invoke(app, ["chaos", *args], env={"MKSERVICE_TEST_DB": db})


def test_replicas_on_sqlite_are_refused(chaos_runs: list[ChaosConfig]) -> None:
    result = invoke("--ci", "--replicas", "2", db="sqlite")

    assert result.exit_code == 2
    assert "SQLite is one process per service" in result.output
    assert chaos_runs == []


def test_replicas_on_postgres_reach_the_run(chaos_runs: list[ChaosConfig]) -> None:
    result = invoke("--ci", "--replicas", "2", db="postgres")

    assert result.exit_code == 0, result.output
    assert chaos_runs[0].replicas == 2
    assert chaos_runs[0].sagas == ChaosConfig.ci().sagas


def test_by_default_each_service_runs_once(chaos_runs: list[ChaosConfig]) -> None:
    assert invoke("--ci", db="sqlite").exit_code == 0
    assert chaos_runs[0].replicas == 1


def test_a_nats_cluster_of_two_nodes_is_refused(chaos_runs: list[ChaosConfig]) -> None:
    result = invoke("--ci", "--nats-cluster", "2", db="postgres")

    assert result.exit_code == 2
    assert "only from 3 nodes" in result.output
    assert chaos_runs == []


def test_a_nats_cluster_of_three_reaches_the_run(chaos_runs: list[ChaosConfig]) -> None:
    result = invoke("--ci", "--nats-cluster", "3", "--replicas", "2", db="postgres")

    assert result.exit_code == 0, result.output
    assert (chaos_runs[0].nats_nodes, chaos_runs[0].replicas) == (3, 2)


def test_cluster_is_the_production_shape_on_postgres_whatever_the_mode(
    chaos_runs: list[ChaosConfig],
) -> None:
    result = invoke("--cluster", db="sqlite")

    assert result.exit_code == 0, result.output
    config = chaos_runs[0]
    assert (config.nats_nodes, config.replicas) == (3, 2)
    assert config.postgres and config.postgres_restart
    assert (config.sagas, config.fault_episodes) == (10_000, ChaosConfig.full().fault_episodes)


def test_cluster_at_ci_size(chaos_runs: list[ChaosConfig]) -> None:
    assert invoke("--cluster", "--ci", db="postgres").exit_code == 0
    assert chaos_runs[0].sagas == ChaosConfig.ci().sagas
    assert chaos_runs[0].nats_nodes == 3
