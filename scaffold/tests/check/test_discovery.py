"""Finding the workspace and its services."""

from pathlib import Path

import pytest
from planted import PlantedRepo, planted_repo

from mkservice.check import discover_services, find_workspace_root


def test_reads_names_from_the_mkservice_table(tmp_path: Path) -> None:
    repo = PlantedRepo(tmp_path)
    repo.add_service("order-history", ("order_view",))
    pyproject = tmp_path / "services/order-history/pyproject.toml"
    pyproject.write_text(
        '[tool.mkservice]\nservice = "history"\npackage = "histories"\nport = 8001\n'
    )

    [service] = discover_services(tmp_path)

    # The prefix is derived from the service's name, never written in the record.
    assert (service.name, service.package) == ("history", "histories")
    assert service.env_prefix == "HISTORY_"
    assert service.root == (tmp_path / "services/order-history").resolve()


def test_falls_back_to_the_folder_name(tmp_path: Path) -> None:
    repo = PlantedRepo(tmp_path)
    repo.add_service("order-history", ("order_view",), pyproject=False)
    (tmp_path / "services/.cache").mkdir()
    (tmp_path / "services/README.md").write_text("services live here\n")

    [service] = discover_services(tmp_path)

    assert (service.name, service.package) == ("order-history", "order_history")
    assert service.package_dir == (tmp_path / "services/order-history/src/order_history").resolve()


def test_a_repo_without_services_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        discover_services(tmp_path)


def test_an_empty_services_folder_passes(tmp_path: Path) -> None:
    assert PlantedRepo(tmp_path).check().ok


def test_finds_the_workspace_root_from_a_folder_inside_it(tmp_path: Path) -> None:
    planted_repo(tmp_path)

    assert find_workspace_root(tmp_path / "services/orders/src") == tmp_path.resolve()
