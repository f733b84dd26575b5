"""Process faults: ``kill -9`` of a service (one replica of it), a crash point, a nats-server
outage (on a cluster: a node killed, the stream leader killed, a rolling restart), a PostgreSQL
restart. Each episode ends with everything running again (without any crash point armed).

The supervisor's calls block (they wait for readiness), so they run in a worker thread while
the load keeps placing orders on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from chassis import naming
from chassis.embedded_nats import NatsCluster

from mkservice_lab.chaos.cluster import Cluster
from mkservice_lab.chaos.pacing import Pacer, until
from mkservice_lab.chaos.scenario import Episode

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 120.0


@dataclass
class FaultRecord:
    """What one episode did, in seconds since the run began."""

    number: int
    kind: str
    target: str
    detail: str
    began_s: float
    ended_s: float = 0.0
    replica: int = 1  # of the target service
    injected: bool = True
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FaultLog:
    records: list[FaultRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def injected(self) -> int:
        return sum(record.injected for record in self.records)

    @property
    def last_fault_s(self) -> float:
        return max((r.ended_s for r in self.records if r.injected), default=0.0)

    def by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.records:
            if record.injected:
                counts[record.kind] = counts.get(record.kind, 0) + 1
        return counts


class ProcessFaults:
    """Runs process-fault lanes, each one episode after another, in step with the load."""

    def __init__(self, cluster: Cluster, pacer: Pacer, faults: FaultLog) -> None:
        self.cluster = cluster
        self.pacer = pacer
        self.faults = faults

    async def run(self, episodes: list[Episode]) -> None:
        for episode in episodes:
            await self.pacer.wait_progress(episode.gate)
            if self.pacer.abandoned:
                return
            await asyncio.sleep(episode.delay_s)
            detail = episode.point or (f"{episode.duration_s:.1f}s" if episode.duration_s else "")
            record = FaultRecord(
                episode.number, episode.kind, episode.target, detail, self.pacer.elapsed(),
                replica=episode.replica,
            )  # fmt: skip
            self.faults.records.append(record)
            log.info(
                "fault %d: %s %s (replica %d) %s",
                episode.number, episode.kind, episode.target, episode.replica, detail,
            )  # fmt: skip
            try:
                await getattr(self, "_" + episode.kind.replace("-", "_"))(episode, record)
            except Exception as error:
                # A restart that failed. As an orchestrator would, try once more a little later:
                # a service refuses to start while its database restarts (another lane's fault),
                # and that is the refusal working, not a finding. A second failure is one.
                record.note = f"restart failed, started again: {error}"[:2000]
                await asyncio.sleep(5)
                try:
                    await self.heal()
                except Exception as again:
                    record.note = f"error: {error}; again: {again}"[:2000]
                    self.faults.problems.append(
                        f"fault {episode.number} ({episode.kind}): {error}; started again: {again}"
                    )
            record.ended_s = self.pacer.elapsed()
            self.pacer.episode_done(episode.gate)

    async def _kill(self, episode: Episode, record: FaultRecord) -> None:
        supervisor = self.cluster.supervisor
        await asyncio.to_thread(supervisor.kill_service, episode.target, episode.replica)
        await asyncio.sleep(episode.duration_s)
        await asyncio.to_thread(supervisor.start_service, episode.target, episode.replica)

    async def _crash(self, episode: Episode, record: FaultRecord) -> None:
        """Kill the replica, start it with the crash point armed, wait for it to die there,
        then start it again without it."""
        supervisor = self.cluster.supervisor
        process = supervisor.service(episode.target, episode.replica)
        self.cluster.arm(episode.target, [episode.point], episode.replica)
        await asyncio.to_thread(process.kill)
        offset = process.log_file.stat().st_size if process.log_file.exists() else 0
        process.start()
        # Starting takes seconds on a busy machine; the crash point gets its time once serving.
        async with httpx.AsyncClient(timeout=2.0) as http:
            deadline = time.monotonic() + _START_TIMEOUT_S
            while process.running and time.monotonic() < deadline:
                if await _ready(http, process.url):
                    break
                await asyncio.sleep(0.1)
        await until(lambda: not process.running, 0.05, self.cluster.config.crash_wait_s)
        reached = _log_mentions(process.log_file, offset, f"crash point {episode.point} reached")
        if process.running:
            await asyncio.to_thread(process.kill)
        if not reached:
            record.note = "crash point not reached in time; the service was killed instead"
        self.cluster.arm(episode.target, [], episode.replica)
        await asyncio.to_thread(supervisor.start_service, episode.target, episode.replica)

    async def _nats_outage(self, episode: Episode, record: FaultRecord) -> None:
        nats = self.cluster.nats
        assert nats is not None, "a NATS cluster is never stopped whole"
        # Short outages are crashes (SIGKILL) half of the time; the long one is a clean stop.
        crash = episode.duration_s < 60 and episode.number % 2 == 1
        record.note = "SIGKILL" if crash else "SIGTERM"
        await asyncio.to_thread(nats.kill if crash else nats.stop)
        await asyncio.sleep(episode.duration_s)
        await asyncio.to_thread(nats.start, 60.0)

    async def _nats_node_kill(self, episode: Episode, record: FaultRecord) -> None:
        """SIGKILL one node of the cluster (chosen by the episode's number), then start it."""
        nodes = self._nodes()
        await self._kill_node(episode.number % len(nodes.nodes), episode, record)

    async def _nats_leader_kill(self, episode: Episode, record: FaultRecord) -> None:
        """SIGKILL the node that leads one stream's replicas (as its monitoring port says):
        the stream elects another leader while messages flow."""
        nodes = self._nodes()
        streams = [naming.stream_name(spec.name) for spec in self.cluster.specs]
        stream = streams[episode.number % len(streams)]
        leader = await asyncio.to_thread(nodes.leader_of, stream)
        record.detail = f"{stream} leader, {episode.duration_s:.1f}s"
        await self._kill_node(leader, episode, record)

    async def _kill_node(self, index: int, episode: Episode, record: FaultRecord) -> None:
        nodes = self._nodes()
        record.note = f"node n{index}"
        await asyncio.to_thread(nodes.kill_node, index)
        await asyncio.sleep(episode.duration_s)
        await asyncio.to_thread(nodes.start_node, index, 60.0)

    async def _nats_rolling_restart(self, episode: Episode, record: FaultRecord) -> None:
        """Every node in turn: SIGTERM, start, wait until it is current again, then the next,
        as an upgrade is rolled out; the cluster keeps its quorum throughout."""
        nodes = self._nodes()
        for index in range(len(nodes.nodes)):
            await asyncio.to_thread(nodes.stop_node, index)
            await asyncio.to_thread(nodes.start_node, index, 60.0)
            await asyncio.to_thread(nodes.wait_caught_up, index, 60.0)

    async def _postgres_restart(self, episode: Episode, record: FaultRecord) -> None:
        await asyncio.to_thread(self.cluster.restart_postgres)

    def _nodes(self) -> NatsCluster:
        nodes = self.cluster.nats_cluster
        assert nodes is not None, "a NATS node fault needs a NATS cluster"
        return nodes

    async def heal(self) -> None:
        """Make sure every NATS server and every replica run, with no crash point armed."""
        for process in self.cluster.supervisor.processes:
            self.cluster.arm(process.name, [], process.replica)
        nats, nodes = self.cluster.nats, self.cluster.nats_cluster
        if nats is not None and not nats.running:
            await asyncio.to_thread(nats.start, 60.0)
        if nodes is not None:
            for index in [i for i, node in enumerate(nodes.nodes) if not node.running]:
                await asyncio.to_thread(nodes.start_node, index, 60.0)
        await asyncio.to_thread(self.cluster.supervisor.ensure_running)


async def _ready(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(f"{url}/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


def _log_mentions(log_file: Any, offset: int, text: str) -> bool:
    try:
        with open(log_file, "rb") as handle:
            handle.seek(offset)
            return text.encode() in handle.read()
    except OSError:
        return False
