"""Which services the stack runs, and which ports it gives them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mkservice.stack import DiscoveryError, PortAllocator, discover_services, port_is_free

REPO = Path(__file__).resolve().parents[3]


def _service(repo: Path, folder: str, table: str) -> None:
    (repo / "services" / folder).mkdir(parents=True)
    (repo / "services" / folder / "pyproject.toml").write_text(
        f'[project]\nname = "{folder}"\n\n{table}'
    )


def test_reads_each_service_of_the_workspace_with_its_port_and_prefix() -> None:
    specs = {spec.name: spec for spec in discover_services(REPO)}

    assert {"orders", "inventory", "payments"} <= set(specs)
    assert specs["orders"].port == 8001
    assert specs["orders"].env_name("database_url") == "ORDERS_DATABASE_URL"
    assert specs["payments"].root == REPO / "services" / "payments"


def test_skips_folders_without_a_mkservice_table(tmp_path: Path) -> None:
    _service(tmp_path, "a", '[tool.mkservice]\nservice = "a"\npackage = "a"\nport = 9001\n'
             'env_prefix = "A_"\n')  # fmt: skip
    _service(tmp_path, "notes", "")

    assert [spec.name for spec in discover_services(tmp_path)] == ["a"]


def test_names_the_file_whose_table_lacks_a_field(tmp_path: Path) -> None:
    _service(tmp_path, "a", '[tool.mkservice]\nservice = "a"\npackage = "a"\n')

    with pytest.raises(DiscoveryError, match=r"a/pyproject.toml.*lacks port, env_prefix"):
        discover_services(tmp_path)


def test_refuses_an_unknown_service_name() -> None:
    with pytest.raises(DiscoveryError, match="no such service: shipping"):
        discover_services(REPO, only=["orders", "shipping"])


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
