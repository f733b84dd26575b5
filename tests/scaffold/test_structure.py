"""The template and every service under services/ stay one structure.

The rule, precisely. Render the template for a probe name and, in it and in each service, take
these paths (the package folder written as ``<pkg>``): ``src/<pkg>/**/*.py``,
``migrations/env.py``, ``alembic.ini``, ``Dockerfile``, ``README.md``, ``pyproject.toml``,
``tests/conftest.py`` and ``deploy/postgres-init.sql``. Then for each service:

1. it has every path the template has, except the example aggregate's own modules
   (``domain/model.py``, ``domain/commands.py``, ``adapters/repository.py``), which a service
   replaces with its own domain and persistence;
2. it may add modules (services grow by hand), but only inside the template's packages (the
   layers ``domain``, ``adapters``, ``service_layer``, ``api``, ``messaging``) or beside them at
   the package's top level: no new top-level sub-package, so every service keeps the layering;
3. its ``[tool.mkservice]`` table has the same keys as the template's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from scaffold_support import ROOT

from mkservice.generator import RegisteredService, derive_names, read_registry
from mkservice.generator.render import Template, render, template_context, tidy

COMPARED_FILES = (
    "migrations/env.py",
    "alembic.ini",
    "Dockerfile",
    "README.md",
    "pyproject.toml",
    "tests/conftest.py",
    "deploy/postgres-init.sql",
)
EXAMPLE_MODULES = {
    "src/<pkg>/domain/model.py",
    "src/<pkg>/domain/commands.py",
    "src/<pkg>/adapters/repository.py",
}
SERVICES = read_registry(ROOT)


def layout(service: Path, package: str) -> set[str]:
    """The compared paths of one service folder, its package folder written ``<pkg>``."""
    paths = {name for name in COMPARED_FILES if (service / name).is_file()}
    source = service / "src" / package
    paths |= {
        "src/<pkg>/" + path.relative_to(source).as_posix()
        for path in source.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    return paths


def packages(paths: set[str]) -> set[str]:
    """The sub-packages (folders) of ``src/<pkg>/`` that hold modules."""
    return {path.rsplit("/", 1)[0] for path in paths if path.count("/") > 2}


def mkservice_keys(pyproject: Path) -> set[str]:
    return set(tomllib.loads(pyproject.read_text())["tool"]["mkservice"])


@pytest.fixture(scope="module")
def template_service(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    names = derive_names("structure-probe")
    template = Template.of(ROOT)
    context = template_context(names, 8999, "probe-password", template)
    return render(template, context, tmp_path_factory.mktemp("template")), names.package


def test_the_template_renders_every_compared_file(template_service: tuple[Path, str]) -> None:
    folder, package = template_service

    rendered = layout(folder, package)

    assert set(COMPARED_FILES) <= rendered
    assert rendered >= EXAMPLE_MODULES
    assert packages(rendered) == {
        f"src/<pkg>/{layer}"
        for layer in ("domain", "adapters", "service_layer", "api", "messaging")
    }


@pytest.mark.parametrize("service", SERVICES, ids=[service.slug for service in SERVICES])
def test_each_service_has_the_template_structure(
    template_service: tuple[Path, str], service: RegisteredService
) -> None:
    folder, package = template_service
    expected = layout(folder, package)
    actual = layout(service.path, service.package)

    missing = sorted(expected - EXAMPLE_MODULES - actual)
    assert not missing, f"services/{service.slug} lacks what the template has: {missing}"
    layers = packages(expected)
    extra = sorted(
        folder_path
        for folder_path in packages(actual)
        if not any(folder_path == layer or folder_path.startswith(f"{layer}/") for layer in layers)
    )
    assert not extra, f"services/{service.slug} adds packages outside the layers: {extra}"
    template_keys = mkservice_keys(folder / "pyproject.toml")
    assert mkservice_keys(service.path / "pyproject.toml") == template_keys


@pytest.mark.parametrize(
    "name",
    ["a", "a" * 40, "abcdefghij-klmnopqrst-uvwxyzabcd-efghijk"],
    ids=["short", "long", "dashed"],
)
def test_the_rendered_code_is_lint_clean_whatever_the_name(tmp_path: Path, name: str) -> None:
    names = derive_names(name)
    template = Template.of(ROOT)
    folder = render(template, template_context(names, 65535, "p" * 24, template), tmp_path)
    assert tidy(folder, names, ROOT) == []

    # Outside services/ ruff cannot tell the package is first-party: say so, as tidy does.
    first_party = f"lint.isort.known-first-party = [{json.dumps(names.package)}]"
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (["check", "--config", first_party], ["format", "--check"]):
        completed = subprocess.run(
            [ruff, *command, "--no-cache", str(folder)], cwd=ROOT, capture_output=True, text=True
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
