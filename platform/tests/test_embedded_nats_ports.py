"""Starting the embedded nats-server where another process may take a free port first: two
suites run at once in `make test`, and each picks ports the kernel calls free."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chassis.embedded_nats import NatsCluster, NatsServer, free_port


@contextmanager
def listening_on(port: int) -> Iterator[None]:
    """Someone else's server holding ``port``."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield


def test_free_ports_are_never_handed_out_twice_in_one_process() -> None:
    ports = [free_port() for _ in range(2000)]
    assert len(set(ports)) == len(ports)


def test_a_server_whose_free_port_was_taken_starts_on_another(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    taken = server.port
    with listening_on(taken):
        server.start()
        try:
            assert server.running
            assert server.port != taken
        finally:
            server.stop()


def test_a_server_given_a_taken_port_refuses_to_start(tmp_path: Path) -> None:
    taken = free_port()
    server = NatsServer(tmp_path / "nats", port=taken)
    with listening_on(taken):
        try:
            server.start()
        except RuntimeError as refused:
            assert "port taken" in str(refused)
        else:
            server.stop()
            raise AssertionError("started on a port someone else holds")


def test_a_cluster_whose_route_port_was_taken_starts_on_fresh_ports(tmp_path: Path) -> None:
    cluster = NatsCluster(tmp_path / "cluster")
    assert cluster.nodes[1].cluster is not None
    taken = cluster.nodes[1].cluster.port
    with listening_on(taken):
        cluster.start()
        try:
            assert cluster.meta_leader() is not None
            assert taken not in {node.cluster.port for node in cluster.nodes if node.cluster}
        finally:
            cluster.stop()
