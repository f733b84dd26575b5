"""The template and every service under services/ stay one structure, and follow one convention
per concern (docs/conventions.md).

The structure, precisely. Render the template for a probe name and, in it and in each service,
take these paths (the package folder written as ``<pkg>``): ``src/<pkg>/**/*.py``,
``migrations/env.py``, ``alembic.ini``, ``Dockerfile``, ``README.md``, ``pyproject.toml``,
``tests/conftest.py`` and ``deploy/postgres-init.sql``. Then for each service:

1. it has every path the template has, except the example aggregate's own modules
   (``domain/model.py``, ``adapters/repository.py``), which a service replaces with its own
   domain and persistence;
2. it may add modules (services grow by hand), but only inside the template's packages (the
   layers ``domain``, ``adapters``, ``service_layer``, ``api``, ``messaging``) or beside them at
   the package's top level: no new top-level sub-package, so every service keeps the layering;
3. its ``[tool.mkservice]`` table has the same keys as the template's.

The conventions are then asserted on the code itself, the rendered template and each service
alike (one test per concern, each run for every one of them), reading the source with ``ast``
so that a comment or a docstring never counts as code.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chassis import naming
from scaffold_support import ROOT
from structure_reading import Module, Subject, named, read_services

from mkservice.generator import derive_names
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
EXAMPLE_MODULES = {"src/<pkg>/domain/model.py", "src/<pkg>/adapters/repository.py"}
LAYERS = ("domain", "adapters", "service_layer", "api", "messaging")
PROBE_NAME, PROBE_PORT = "structure-probe", 8999
BIN = Path(sys.executable).parent


SERVICES = read_services(ROOT)
SUBJECTS = ["template", *(service.label.removeprefix("services/") for service in SERVICES)]
STREAMS = {naming.stream_name(name) for name in [PROBE_NAME, *(s.service for s in SERVICES)]}


@pytest.fixture(scope="module")
def template_service(tmp_path_factory: pytest.TempPathFactory) -> Subject:
    """The template, rendered for a probe name (as ``mkservice new`` renders it)."""
    names = derive_names(PROBE_NAME)
    template = Template.of(ROOT)
    context = template_context(names, PROBE_PORT, template)
    folder = render(template, context, tmp_path_factory.mktemp("template"))
    assert tidy(folder, names, ROOT) == []
    return Subject("the template", folder, PROBE_NAME, names.package, PROBE_PORT)


@pytest.fixture(scope="module", params=SUBJECTS)
def subject(request: pytest.FixtureRequest, template_service: Subject) -> Subject:
    """Each test below runs for the template and for every service."""
    if request.param == "template":
        return template_service
    return next(service for service in SERVICES if service.label == f"services/{request.param}")


# --- the structure -----------------------------------------------------------------------------


def layout(service: Subject) -> set[str]:
    """The compared paths of one service folder, its package folder written ``<pkg>``."""
    paths = {name for name in COMPARED_FILES if (service.folder / name).is_file()}
    return paths | {f"src/<pkg>/{relative}" for relative in service.modules}


def packages(paths: set[str]) -> set[str]:
    """The sub-packages (folders) of ``src/<pkg>/`` that hold modules."""
    return {path.rsplit("/", 1)[0] for path in paths if path.count("/") > 2}


def test_the_template_renders_every_compared_file(template_service: Subject) -> None:
    rendered = layout(template_service)

    assert set(COMPARED_FILES) <= rendered
    assert rendered >= EXAMPLE_MODULES
    assert packages(rendered) == {f"src/<pkg>/{layer}" for layer in LAYERS}


@pytest.mark.parametrize("service", SERVICES, ids=[s.label for s in SERVICES])
def test_each_service_has_the_template_structure(
    template_service: Subject, service: Subject
) -> None:
    expected = layout(template_service)
    actual = layout(service)

    missing = sorted(expected - EXAMPLE_MODULES - actual)
    assert not missing, f"{service.label} lacks what the template has: {missing}"
    layers = packages(expected)
    extra = sorted(
        folder
        for folder in packages(actual)
        if not any(folder == layer or folder.startswith(f"{layer}/") for layer in layers)
    )
    assert not extra, f"{service.label} adds packages outside the layers: {extra}"
    template_keys = set(template_service.pyproject["tool"]["mkservice"])
    assert set(service.pyproject["tool"]["mkservice"]) == template_keys


# --- one convention per concern ----------------------------------------------------------------


def test_builds_outgoing_messages_only_in_messaging_outgoing(subject: Subject) -> None:
    outgoing = subject.module("messaging/outgoing.py")
    assert "message_for" in outgoing.top_level_functions(), (
        f"{subject.label}: messaging/outgoing.py defines no message_for(event)"
    )
    # The payload models of its contracts are built there and nowhere else, and no service
    # assembles an envelope (the unit of work does).
    contracts = subject.module("messaging/contracts.py")
    payloads = {f"{contracts.name}.{node.name}" for node in contracts.classes()}
    builders = {outgoing.name, contracts.name}
    built_elsewhere = [
        f"{name} at {module.where(call)}"
        for module in subject.under("")
        if module.name not in builders
        for name, call in module.resolved_calls()
        if name in payloads or name in {"chassis.Envelope", "chassis.envelope.Envelope"}
    ]
    assert not built_elsewhere, f"{subject.label} builds messages outside outgoing.py"


def test_keeps_commands_and_events_in_the_domain(subject: Subject) -> None:
    commands_module = subject.module("domain/commands.py")
    assert commands_module.classes(), f"{subject.label}: domain/commands.py defines no command"
    assert subject.module("domain/events.py").classes(), (
        f"{subject.label}: domain/events.py defines no event"
    )
    # What a handler takes as its command is a command (or a union of them) of domain/commands.py.
    commands = commands_module.top_level_names()
    strays = [
        f"{function.name}({', '.join(sorted(named(argument.annotation) - commands))}) "
        f"at {module.where(function)}"
        for module in subject.under("service_layer")
        for function in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef)
        for argument in function.args.args + function.args.kwonlyargs
        if argument.arg == "command" and named(argument.annotation) - commands
    ]
    assert not strays, f"{subject.label}: handlers take commands from outside domain/: {strays}"


# datetime.now(), date.today(), time.time(), chassis.utcnow(), a clock passed in...
CLOCK_READS = re.compile(
    r"(^|\.)(datetime\.(now|utcnow|today)|date\.today|time\.time|utcnow|clock)$"
)


def test_reads_the_time_only_at_the_entrypoints(subject: Subject) -> None:
    reads = [
        f"{name}() at {module.where(call)}"
        for module in subject.under("domain", "adapters", "service_layer")
        for name, call in module.calls()
        if CLOCK_READS.search(name)
    ]
    assert not reads, f"{subject.label} reads the time below the entrypoints (pass now): {reads}"
    # The composition root and the app take the clock, so that tests set it.
    create_app = subject.module("main.py").top_level_functions().get("create_app")
    assert create_app is not None, f"{subject.label}: main.py has no create_app"
    assert "clock" in {argument.arg for argument in create_app.args.kwonlyargs}, (
        f"{subject.label}: create_app(settings=None, *, clock=utcnow) takes no clock"
    )
    bootstrap = subject.module("bootstrap.py").top_level_functions().get("bootstrap")
    assert bootstrap is not None, f"{subject.label}: bootstrap.py has no bootstrap()"
    arguments = bootstrap.args.args + bootstrap.args.kwonlyargs
    assert "clock" in {argument.arg for argument in arguments}, (
        f"{subject.label}: bootstrap(settings, *, clock) takes no clock"
    )


def test_stores_timestamps_only_as_the_chassis_utc_datetime(subject: Subject) -> None:
    columns = [
        f"{name}() at {module.where(call)}"
        for module in subject.under("")
        for name, call in module.calls()
        if name.rsplit(".", 1)[-1] in {"DateTime", "TIMESTAMP"}
    ]
    assert not columns, f"{subject.label} declares its own timestamp type: {columns}"


def test_writes_no_stream_name(subject: Subject) -> None:
    """Streams follow from the subjects (``chassis.naming``): nothing in a service names one."""
    literals = [
        f"{node.value!r} at {module.where(node)}"
        for module in subject.under("")
        for node in module.nodes(ast.Constant)
        if node.value in STREAMS
    ]
    keywords = [
        f"stream= at {module.where(call)}"
        for module in subject.under("")
        for _name, call in module.calls()
        for keyword in call.keywords
        if keyword.arg == "stream"
    ]
    assert not literals + keywords, f"{subject.label} names a stream: {literals + keywords}"


def test_routes_each_contract_with_on(subject: Subject) -> None:
    consumers = subject.module("messaging/consumers.py")
    assert "subscriptions" in consumers.top_level_functions(), (
        f"{subject.label}: messaging/consumers.py defines no subscriptions(...)"
    )
    hand_built = {f"chassis{module}.{name}" for module in ("", ".consumer")
                  for name in ("Route", "Subscription")}  # fmt: skip
    by_hand = [
        f"{name}() at {module.where(call)}"
        for module in subject.under("")
        for name, call in module.resolved_calls()
        if name in hand_built
    ]
    assert not by_hand, (
        f"{subject.label} builds routes by hand (use on(contract, handler)): {by_hand}"
    )
    assert any(name == "on" or name.endswith(".on") for name, _ in consumers.calls())


def test_nothing_but_main_imports_the_composition_root(subject: Subject) -> None:
    root = f"{subject.package}.bootstrap"
    importers = [
        relative
        for relative, module in subject.modules.items()
        if relative not in {"main.py", "__main__.py", "bootstrap.py"} and module.imports_from(root)
    ]
    assert not importers, f"{subject.label}: these import bootstrap: {importers}"


def test_the_service_layer_never_imports_messaging(subject: Subject) -> None:
    messaging = f"{subject.package}.messaging"
    importers = [
        module.name for module in subject.under("service_layer") if module.imports_from(messaging)
    ]
    assert not importers, f"{subject.label}: the service layer imports messaging: {importers}"


def test_routes_get_the_unit_of_work_and_the_clock_from_api_deps(subject: Subject) -> None:
    missing = {"UnitOfWorkDep", "ClockDep"} - subject.module("api/deps.py").top_level_names()
    assert not missing, f"{subject.label}: api/deps.py lacks {sorted(missing)}"


def test_settings_name_the_service_and_repeat_nothing(subject: Subject) -> None:
    config = subject.module("config.py")
    repeated = [
        f"{name} at {config.where(node)}"
        for cls in config.classes()
        for node in cls.body
        for name in _bound_names(node)
        if name in {"port", "model_config"}
    ]
    repeated += [f"service_config at {config.where(node)}" for node in config.nodes(ast.Name)
                 if node.id == "service_config"]  # fmt: skip
    assert not repeated, f"{subject.label}: config.py repeats what the chassis derives: {repeated}"
    names = [
        node.value.value
        for cls in config.classes()
        for node in cls.body
        if isinstance(node, ast.AnnAssign | ast.Assign)
        and "service_name" in _bound_names(node)
        and isinstance(node.value, ast.Constant)
    ]
    assert names == [subject.service], f"{subject.label}: service_name is not {subject.service!r}"


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    if isinstance(node, ast.Assign):
        return {target.id for target in node.targets if isinstance(target, ast.Name)}
    return set()


def test_the_port_lives_only_in_the_record(subject: Subject) -> None:
    assert isinstance(subject.port, int), f"{subject.label}: no port in [tool.mkservice]"
    in_code = [
        module.where(node)
        for module in subject.under("")
        for node in module.nodes(ast.Constant)
        if node.value == subject.port and type(node.value) is int
    ]
    dockerfile = (subject.folder / "Dockerfile").read_text()
    in_dockerfile = re.findall(rf"^.*\b{subject.port}\b.*$", dockerfile, re.MULTILINE)
    assert not in_code + in_dockerfile, (
        f"{subject.label} repeats its port {subject.port}: {in_code + in_dockerfile}"
    )


ORM_CALLS = {"add", "add_all", "get", "merge", "delete", "refresh"}


def test_repositories_write_core_statements(subject: Subject) -> None:
    orm = [
        f"{name}() at {module.where(call)}"
        for module in subject.under("adapters")
        for name, call in module.calls()
        if name.endswith(tuple(f"session.{method}" for method in ORM_CALLS))
    ]
    # select(Row) loads row objects; a Core select names the table's columns.
    rows = {node.name for node in subject.module("adapters/tables.py").classes()}
    orm += [
        f"{name}({argument.id}) at {module.where(call)}"
        for module in subject.under("adapters")
        for name, call in module.calls()
        if name.rsplit(".", 1)[-1] == "select"
        for argument in call.args
        if isinstance(argument, ast.Name) and argument.id in rows
    ]
    orm += [
        f"sqlmodel at {module.name}"
        for module in subject.under("adapters")
        if module.path.name != "tables.py" and module.imports_from("sqlmodel")
    ]
    # The table of a row class comes from chassis.table_of, typed once.
    orm += [
        f"__table__ at {module.where(node)}"
        for module in subject.under("")
        for node in module.nodes(ast.Attribute)
        if node.attr == "__table__"
    ]
    assert not orm, f"{subject.label}: repositories use the ORM, not Core statements: {orm}"


def test_background_loops_are_run_by_the_runtime(subject: Subject) -> None:
    """A loop's step lives in service_layer/; ``runtime.every`` runs it (start, stop, retry)."""
    hand_made = [
        f"while True at {module.where(node)}"
        for module in subject.under("")
        for node in module.nodes(ast.While)
        if isinstance(node.test, ast.Constant) and node.test.value is True
    ]
    hand_made += [
        f"{name}() at {module.where(call)}"
        for module in subject.under("")
        for name, call in module.calls()
        if name.endswith(("create_task", "run_in_background"))
    ]
    assert not hand_made, f"{subject.label} runs a loop of its own: {hand_made}"


def test_tests_of_messaging_use_the_chassis_probe(subject: Subject) -> None:
    probes = [module for module in subject.test_modules if "MessageProbe" in _imported(module)]
    assert probes, f"{subject.label}: no test uses chassis.testing.MessageProbe"
    by_hand = [
        f"{name}() at {module.where(call)}"
        for module in subject.test_modules
        for name, call in module.calls()
        if name == "nats.connect"
    ]
    assert not by_hand, f"{subject.label}: tests connect to NATS by hand: {by_hand}"


def _imported(module: Module) -> set[str]:
    return {
        alias.name
        for node in module.nodes(ast.ImportFrom)
        if (node.module or "").startswith("chassis.testing")
        for alias in node.names
    }


# --- the layers: import-linter -----------------------------------------------------------------


def _as_package(value: Any, old: str, new: str) -> Any:
    """``value`` (the template's contracts) with the probe's package renamed ``new``."""
    if isinstance(value, str):
        return re.sub(rf"\b{old}\b", new, value)
    if isinstance(value, list):
        return [_as_package(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _as_package(item, old, new) for key, item in value.items()}
    return value


def test_declares_the_template_layers_for_import_linter(
    subject: Subject, template_service: Subject
) -> None:
    declared = subject.pyproject.get("tool", {}).get("importlinter")
    assert declared, f"{subject.label}: pyproject.toml has no [tool.importlinter]"
    assert declared["root_package"] == subject.package
    assert declared.get("include_external_packages") is True
    template = template_service.pyproject["tool"]["importlinter"]["contracts"]
    expected = _as_package(template, template_service.package, subject.package)
    missing = [contract["name"] for contract in expected if contract not in declared["contracts"]]
    assert not missing, f"{subject.label} lacks (or changed) the template's contracts: {missing}"


def test_its_imports_keep_the_layers(subject: Subject) -> None:
    """``lint-imports`` as ``make lint`` runs it, in the service's folder."""
    completed = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=subject.folder,
        env={**os.environ, "PYTHONPATH": str(subject.folder / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]


# --- the rendered template is clean whatever the name ------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["a", "a" * 40, "abcdefghij-klmnopqrst-uvwxyzabcd-efghijk"],
    ids=["short", "long", "dashed"],
)
def test_the_rendered_code_is_lint_clean_whatever_the_name(tmp_path: Path, name: str) -> None:
    names = derive_names(name)
    template = Template.of(ROOT)
    folder = render(template, template_context(names, 65535, template), tmp_path)
    assert tidy(folder, names, ROOT) == []

    # Outside services/ ruff cannot tell the package is first-party: say so, as tidy does.
    first_party = f"lint.isort.known-first-party = [{json.dumps(names.package)}]"
    for command in (["check", "--config", first_party], ["format", "--check"]):
        completed = subprocess.run(
            [str(BIN / "ruff"), *command, "--no-cache", str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_rendered_code_type_checks(template_service: Subject, tmp_path: Path) -> None:
    """mypy, with the workspace's configuration, over the new service's code and its tests."""
    folder = template_service.folder
    completed = subprocess.run(
        [str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"),
         str(folder / "src"), str(folder / "tests")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
