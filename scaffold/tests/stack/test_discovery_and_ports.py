"""Which services the stack runs, and which ports it gives them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mkservice.record import read_registry
from mkservice.stack import DiscoveryError, PortAllocator, discover_services, port_is_free

REPO = Path(__file__).resolve().parents[3]


def _service(repo: Path, folder: str, table: str) -> None:
    (repo / "services" / folder).mkdir(parents=True)
    (repo / "services" / folder / "pyproject.toml").write_text(
        f'[project]\nname = "{folder}"\n\n{table}'
    )


def test_reads_each_service_of_the_workspace_with_its_port_and_prefix(tmp_path: Path) -> None:
    _service(tmp_path, "order-history", '[tool.mkservice]\nservice = "order-history"\n'
             'package = "order_history"\nport = 8004\ntemplate_version = "1"\n')  # fmt: skip

    [spec] = discover_services(tmp_path)

    assert (spec.name, spec.package, spec.port) == ("order-history", "order_history", 8004)
    assert spec.env_name("database_url") == "ORDER_HISTORY_DATABASE_URL"
    assert spec.root == tmp_path / "services" / "order-history"


def test_runs_every_service_its_record_registers() -> None:
    specs = {spec.name: spec for spec in discover_services(REPO)}

    assert set(specs) == {service.name for service in read_registry(REPO) if service.recorded}
    for service in read_registry(REPO):
        assert specs[service.name].port == service.port
        assert specs[service.name].root == REPO / "services" / service.slug


def test_skips_folders_without_a_mkservice_table(tmp_path: Path) -> None:
    _service(tmp_path, "a", '[tool.mkservice]\nservice = "a"\npackage = "a"\nport = 9001\n')
    _service(tmp_path, "notes", "")

    [spec] = discover_services(tmp_path)

    assert (spec.name, spec.port) == ("a", 9001)
    # The prefix follows from the name; the record does not repeat it.
    assert spec.env_name("port") == "A_PORT"


def test_names_the_file_whose_table_lacks_a_field(tmp_path: Path) -> None:
    _service(tmp_path, "a", '[tool.mkservice]\nservice = "a"\npackage = "a"\n')

    with pytest.raises(DiscoveryError, match=r"a/pyproject.toml.*lacks port"):
        discover_services(tmp_path)


def test_refuses_a_record_that_repeats_a_derived_name(tmp_path: Path) -> None:
    # A second place for the prefix or the stream could disagree with the service's own.
    _service(tmp_path, "a", '[tool.mkservice]\nservice = "a"\npackage = "a"\nport = 9001\n'
             'env_prefix = "B_"\nstream = "B"\n')  # fmt: skip

    with pytest.raises(DiscoveryError, match=r"a/pyproject.toml.*sets env_prefix and stream"):
        discover_services(tmp_path)


def test_refuses_an_unknown_service_name(tmp_path: Path) -> None:
    _service(tmp_path, "a", '[tool.mkservice]\nservice = "a"\npackage = "a"\nport = 9001\n')

    with pytest.raises(DiscoveryError, match="no such service: shipping"):
        discover_services(tmp_path, only=["a", "shipping"])


def test_gives_the_registered_port_when_it_is_free() -> None:
    allocator = PortAllocator()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    assert allocator.allocate(free) == free


def test_gives_another_port_when_the_registered_one_is_taken() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]

        port = PortAllocator().allocate(taken)

        assert port != taken
        assert port_is_free(port)


def test_never_gives_the_same_port_twice() -> None:
    allocator = PortAllocator()
    first = allocator.allocate(None)

    assert allocator.allocate(first) != first
    assert len({allocator.allocate(None) for _ in range(50)}) == 50


def test_ignores_registered_ports_when_asked_to() -> None:
    allocator = PortAllocator(prefer_registered=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    assert allocator.allocate(free) != free


def test_counts_a_port_another_program_listens_on_as_taken_on_any_interface() -> None:
    for interface in ("127.0.0.1", "0.0.0.0"):
        with socket.socket() as holder:
            holder.bind((interface, 0))
            holder.listen()

            assert not port_is_free(holder.getsockname()[1]), interface


def test_counts_a_port_whose_last_connections_linger_in_time_wait_as_free() -> None:
    # A stack stopped a moment ago: its server closed its connections first, so they wait out
    # TIME_WAIT on its port for a minute; a server binding it again (SO_REUSEADDR, as uvicorn and
    # nats-server do) gets it at once, so the next stack must not think it taken.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server's side closes first: its end enters TIME_WAIT
        client.recv(1)
        client.close()

    assert port_is_free(port)
