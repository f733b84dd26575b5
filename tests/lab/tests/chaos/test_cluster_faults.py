"""The fault plan on a cluster and the share of orders accepted while it ran: what
``mkservice chaos --cluster`` schedules, and how ``accepted_during_faults`` is counted."""

from __future__ import annotations

from collections import Counter

from mkservice_lab.chaos.availability import accepted_during_faults
from mkservice_lab.chaos.config import ChaosConfig
from mkservice_lab.chaos.injectors import FaultRecord
from mkservice_lab.chaos.report import verdict_line
from mkservice_lab.chaos.scenario import plan

CRASH_POINTS = {
    "inventory": ["relay.after_commit_before_publish", "consumer.after_effect_before_ack"],
    "orders": ["relay.after_commit_before_publish", "saga.after_step_before_commit"],
    "payments": ["relay.after_commit_before_publish"],
}
CLUSTER = ChaosConfig.full(
    replicas=2, nats_nodes=3, postgres=True, postgres_restart=True, fault_episodes=210
)


def test_a_cluster_plan_hits_nodes_the_leader_and_every_node_in_turn_never_the_whole_nats() -> None:
    kinds = Counter(episode.kind for episode in plan(CLUSTER, CRASH_POINTS).episodes)

    assert kinds["nats-outage"] == 0
    assert kinds["nats-leader-kill"] >= 1
    assert kinds["nats-rolling-restart"] >= 1
    assert kinds["nats-node-kill"] >= 1
    assert kinds["postgres-restart"] >= 1
    assert sum(kinds.values()) == 210


def test_every_crash_point_of_every_service_is_planned_on_a_replica_of_it() -> None:
    episodes = plan(CLUSTER, CRASH_POINTS).episodes
    crashes = {(e.target, e.point) for e in episodes if e.kind == "crash"}

    assert crashes == {(s, point) for s, points in CRASH_POINTS.items() for point in points}
    replicas = {e.replica for e in episodes if e.kind in {"kill", "crash"}}
    assert replicas == {1, 2}


def test_one_nats_server_keeps_its_outages_and_one_replica_is_always_the_first() -> None:
    episodes = plan(ChaosConfig.ci(), CRASH_POINTS).episodes
    kinds = Counter(episode.kind for episode in episodes)

    assert kinds["nats-outage"] >= 1
    assert not kinds.keys() & {"nats-node-kill", "nats-leader-kill", "nats-rolling-restart"}
    assert {e.replica for e in episodes} == {1}


def fault(kind: str, began_s: float, ended_s: float, target: str = "") -> FaultRecord:
    return FaultRecord(0, kind, target, "", began_s, ended_s)


def test_posts_while_postgresql_restarts_are_not_counted_on_a_cluster() -> None:
    posts = [(1.0, 1.1, True), (5.0, 5.2, False), (6.0, 6.1, True), (9.0, 9.1, False)]
    faults = [fault("postgres-restart", 4.0, 7.0), fault("kill", 8.0, 10.0, "orders")]

    # The POST at 9 s failed while one replica of orders was killed: the other was up.
    assert accepted_during_faults(posts, faults, CLUSTER) == 50.0


def test_with_one_process_per_service_a_kill_takes_the_checkout_down() -> None:
    posts = [(1.0, 1.1, True), (9.0, 9.1, False)]
    faults = [fault("kill", 8.0, 10.0, "orders"), fault("nats-outage", 20.0, 30.0)]

    assert accepted_during_faults(posts, faults, ChaosConfig.ci()) == 100.0


def test_a_post_overlapping_the_start_of_a_window_is_left_out() -> None:
    posts = [(3.5, 4.5, False), (7.5, 8.0, True)]

    assert accepted_during_faults(posts, [fault("postgres-restart", 4.0, 7.0)], CLUSTER) == 100.0
    assert accepted_during_faults([], [], CLUSTER) is None


def test_the_verdict_keeps_its_format_and_a_cluster_run_adds_the_share() -> None:
    figures = {"sagas": 500, "faults": 32}
    assert verdict_line(figures) == (
        "sagas=500 faults=32 lost=0 stuck=0 duplicate_effects=0 oversold=0 invariant_violations=0"
    )
    assert verdict_line({**figures, "accepted_during_faults": 99.953}).endswith(
        " invariant_violations=0 accepted_during_faults=99.95"
    )
