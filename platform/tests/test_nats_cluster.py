"""The outbox and inbox on a three-node NATS cluster: what production runs, where a node (the
stream's leader included) can die while messages flow.

The cluster and the node kills are real processes; the relay and the consumer are the widget
harness's, given a broker with every node's URL and a stream of three replicas.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import ClassVar
from urllib.parse import urlsplit

import nats
import pytest
import widget
from chassis.embedded_nats import NatsCluster
from chassis.messaging import Broker
from chassis.migrations import upgrade
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings
from widget_harness import MIGRATIONS, Harness, created, eventually

STREAM = "WIDGETS"
DURABLE = "widgets-effects"


def clustered_broker(cluster: NatsCluster) -> Broker:
    return Broker(cluster.urls, name="widgets", stream=STREAM, subjects=["widgets.>"], replicas=3)


@pytest.fixture
async def clustered(
    database_url_for: Callable[[str], str], nats_cluster: NatsCluster
) -> AsyncIterator[Harness]:
    """The widget harness whose broker knows every node; relays and consumers made from it
    share that one connection, as in a service process."""
    url = database_url_for("widgets")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    harness = Harness(url, nats_cluster.nodes[0])
    harness.broker = clustered_broker(nats_cluster)  # before any relay or consumer takes it
    harness.broker.start()
    await harness.broker.wait_connected(20)
    yield harness
    await harness.close()


def node_of(cluster: NatsCluster, broker: Broker) -> int:
    """The index of the node the broker's connection is on."""
    assert broker.server_url is not None
    port = urlsplit(broker.server_url).port
    return next(i for i, node in enumerate(cluster.nodes) if node.port == port)


def stored_on(cluster: NatsCluster, index: int) -> int | None:
    """How many messages of the stream node ``index`` holds, as its monitoring port says."""
    info = cluster.nodes[index].monitor("/jsz?accounts=true&streams=true") or {}
    for account in info.get("account_details") or []:
        for stream in account.get("stream_detail") or []:
            if stream["name"] == STREAM:
                return int(stream["state"]["messages"])
    return None


async def move_leaders_to(cluster: NatsCluster, index: int, *, consumer: str | None = None) -> None:
    """Make node ``index`` lead the stream (and ``consumer``), through JetStream's step-down
    with a preferred node, so that a test knows which node's loss costs an election."""
    name = cluster.nodes[index].server_name
    client = await nats.connect(servers=cluster.urls.split(","))
    try:
        requests = [f"$JS.API.STREAM.LEADER.STEPDOWN.{STREAM}"]
        if consumer is not None:
            requests.append(f"$JS.API.CONSUMER.LEADER.STEPDOWN.{STREAM}.{consumer}")
        for subject in requests:
            if await _leader(client, subject) == name:
                continue
            body = json.dumps({"placement": {"preferred": name}}).encode()
            await client.request(subject, body, timeout=5)
            await eventually(lambda s=subject: _is(_leader(client, s), name), timeout=15)
    finally:
        await client.close()


async def _leader(client: nats.NATS, stepdown_subject: str) -> str | None:
    info_subject = stepdown_subject.replace(".LEADER.STEPDOWN.", ".INFO.")
    try:
        reply = await client.request(info_subject, b"", timeout=1)
    except Exception:  # an election in progress answers nothing for a moment
        return None
    return (json.loads(reply.data).get("cluster") or {}).get("leader")


async def _is(value: object, expected: object) -> bool:
    return await value == expected  # type: ignore[misc]


def test_three_nodes_form_one_cluster_with_a_jetstream_leader(nats_cluster: NatsCluster) -> None:
    assert nats_cluster.meta_leader() is not None
    for node in nats_cluster.nodes:
        info = node.monitor("/jsz") or {}
        assert info["meta_cluster"]["cluster_size"] == 3
        assert (node.monitor("/routez") or {})["num_routes"] >= 2
    assert len(nats_cluster.urls.split(",")) == 3


async def test_a_broker_given_every_url_keeps_its_stream_on_three_nodes(
    nats_cluster: NatsCluster,
) -> None:
    broker = clustered_broker(nats_cluster)
    broker.start()
    try:
        await broker.wait_connected(20)
        info = await broker.js.stream_info(STREAM)
        assert info.config.num_replicas == 3
        assert info.cluster is not None and info.cluster.leader is not None
        assert len(info.cluster.replicas or []) == 2  # the leader and two followers
        leader = await asyncio.to_thread(nats_cluster.leader_of, STREAM)
        assert nats_cluster.nodes[leader].server_name == info.cluster.leader
    finally:
        await broker.close()


class WidgetSettings(ServiceSettings):
    service_name: ClassVar[str] = "widgets"


async def test_a_service_told_three_replicas_keeps_its_stream_on_three_nodes(
    monkeypatch: pytest.MonkeyPatch,
    database_url_for: Callable[[str], str],
    nats_cluster: NatsCluster,
) -> None:
    monkeypatch.setenv("WIDGETS_NATS_URL", nats_cluster.urls)
    monkeypatch.setenv("WIDGETS_STREAM_REPLICAS", "3")
    url = database_url_for("widgets")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    runtime = ServiceRuntime(WidgetSettings(database_url=url), widget.tables, MIGRATIONS)
    await runtime.start()
    try:
        await runtime.broker.wait_connected(20)
        info = await runtime.broker.js.stream_info(STREAM)
        assert info.config.num_replicas == 3
    finally:
        await runtime.stop()


async def test_killing_the_stream_leader_midway_loses_and_duplicates_nothing(
    clustered: Harness, nats_cluster: NatsCluster
) -> None:
    clustered.relay().start()
    clustered.consumer().start()
    # The broker's own node leads the stream: its death costs both a failover and an election.
    connected_to = node_of(nats_cluster, clustered.broker)
    await move_leaders_to(nats_cluster, connected_to)
    total = 300

    await clustered.write([created(n) for n in range(total // 2)])
    await eventually(lambda: _at_least(clustered.effects(), total // 4), timeout=20)
    leader = await asyncio.to_thread(nats_cluster.leader_of, STREAM)
    await asyncio.to_thread(nats_cluster.kill_node, leader)
    await clustered.write([created(n) for n in range(total // 2, total)])

    # Everything arrives with the old leader still dead: the client found another node.
    await eventually(lambda: _at_least(clustered.effects(), total), timeout=25)
    assert clustered.broker.connected and node_of(nats_cluster, clustered.broker) != leader
    await asyncio.to_thread(nats_cluster.start_node, leader)
    # The rejoined node catches up from its peers: it holds every message again.
    await eventually(lambda: stored_on(nats_cluster, leader) == total, timeout=15)
    await asyncio.sleep(1.0)  # room for redeliveries from the rejoined node to show up
    assert await clustered.effects() == total
    assert await clustered.distinct_effects() == total
    assert await clustered.undelivered() == 0
    assert await clustered.stream_messages() == total


async def test_stopping_a_follower_node_delays_nothing(
    clustered: Harness, nats_cluster: NatsCluster
) -> None:
    clustered.relay().start()
    clustered.consumer().start()
    await clustered.write([created(0)])
    await eventually(lambda: clustered.effects())  # the durable consumer exists
    connected_to = node_of(nats_cluster, clustered.broker)
    await move_leaders_to(nats_cluster, connected_to, consumer=DURABLE)
    follower = next(i for i in range(3) if i != connected_to)

    async def deliver(first: int, count: int) -> float:
        started = time.monotonic()
        await clustered.write([created(n) for n in range(first, first + count)])
        await eventually(lambda: _at_least(clustered.effects(), first + count), timeout=20)
        return time.monotonic() - started

    with_every_node = await deliver(1, 150)
    await asyncio.to_thread(nats_cluster.stop_node, follower)
    without_follower = await deliver(151, 150)

    # Two of three nodes are a quorum: no election, no reconnect, only the usual pace (the
    # slack absorbs a busy machine, not the seconds an election and a failover take).
    assert without_follower < 2 * with_every_node + 1.0
    assert node_of(nats_cluster, clustered.broker) == connected_to
    assert await asyncio.to_thread(nats_cluster.leader_of, STREAM) == connected_to
    assert await clustered.effects() == 301


async def _at_least(value: object, expected: int) -> bool:
    return await value >= expected  # type: ignore[operator, misc]


async def test_a_rolling_restart_of_every_node_loses_and_duplicates_nothing(
    clustered: Harness, nats_cluster: NatsCluster
) -> None:
    clustered.relay().start()
    clustered.consumer().start()
    per_node = 100
    for index in range(len(nats_cluster.nodes)):
        first = index * per_node
        await clustered.write([created(n) for n in range(first, first + per_node // 2)])
        await asyncio.to_thread(nats_cluster.stop_node, index)
        await clustered.write([created(n) for n in range(first + per_node // 2, first + per_node)])
        await asyncio.to_thread(nats_cluster.start_node, index)
        # As an operator does: the next node goes down only once this one is current.
        await asyncio.to_thread(nats_cluster.wait_caught_up, index)

    total = per_node * len(nats_cluster.nodes)
    await eventually(lambda: _at_least(clustered.effects(), total), timeout=25)
    await eventually(lambda: _every_node_holds(nats_cluster, total), timeout=15)
    await asyncio.sleep(1.0)  # room for redeliveries to show up
    assert await clustered.distinct_effects() == total
    assert await clustered.effects() == total
    assert await clustered.undelivered() == 0


async def _every_node_holds(cluster: NatsCluster, count: int) -> bool:
    return all(stored_on(cluster, index) == count for index in range(len(cluster.nodes)))
