"""``mkservice new`` in a copy of the workspace makes a service that is right at once:
registered (with its own NATS user), lint-clean, migratable, its own tests green, and serving
with its events reaching a real nats-server through the outbox, logged in as its NATS user with
the permissions docker-compose.yml gives it.

The new service is not installed into the venv (``--no-install``): a ``uv sync`` into a new
environment would download and install every dependency, minutes on a cold cache and impossible
offline. Instead its processes get the copy's ``services/<name>/src`` on PYTHONPATH, and take
everything else (the chassis, FastAPI, SQLAlchemy, pytest and the chassis's pytest plugin) from
this venv, which has exactly the dependencies the service declares (the chassis's).

The new service has a name no team would give one of theirs (``zz-probe-shipping``), so the tests
hold whatever services the workspace already has (the README's ``shipping`` among them); its
derived names are written out, not derived, so that the derivation is tested too.
"""

from __future__ import annotations

import difflib
import json
import os
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import yaml
from chassis.auth import ADMIN_SCOPE, METRICS_SCOPE
from chassis.embedded_nats import nats_server_binary
from chassis.processes import dies_with_parent
from chassis.testing import NatsServer, eventually, free_port
from chassis.testing.issuer import TestIssuer
from chassis.testing.otlp import OtlpReceiver, ReceivedSpan
from scaffold_support import (
    ROOT,
    SERVICES,
    copy_repo,
    mkservice,
    mkservice_json,
    next_init_script,
    next_port,
)

from mkservice.generator.render import Template
from mkservice.stack import discover_services
from mkservice.stack.nats_auth import (
    OPERATOR_USER,
    NatsCredentials,
    ServiceGrant,
    default_grant,
    grants_for,
    render_config,
)

SLUG = "zz-probe-shipping"
PACKAGE = "zz_probe_shipping"
PREFIX = "ZZ_PROBE_SHIPPING_"
STREAM = "ZZ_PROBE_SHIPPING"
# The first free port from 8001 (8004 beside the reference checkout), and the next init script.
PORT = next_port(ROOT)
INIT_SCRIPT = next_init_script(ROOT, SLUG)
# The version the workspace's template declares: the one a new service records.
TEMPLATE_VERSION = Template.of(ROOT).version


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A copy of the workspace after ``mkservice new zz-probe-shipping --no-install --json``."""
    repo = copy_repo(tmp_path_factory.mktemp("generated") / "repo")
    completed = mkservice(repo, "new", SLUG, "--no-install", "--json")
    assert completed.returncode == 0, completed.stderr
    return repo, json.loads(completed.stdout)


def service_env(repo: Path, **extra: str) -> dict[str, str]:
    source = str(repo / "services" / SLUG / "src")
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def test_reports_what_it_made(generated: tuple[Path, dict[str, Any]]) -> None:
    repo, summary = generated

    assert summary["ok"] is True
    assert summary["package"] == PACKAGE
    assert summary["port"] == PORT  # the first free port from 8001
    assert summary["env_prefix"] == PREFIX
    assert summary["database_env"] == f"{PREFIX}DATABASE_URL"
    assert summary["stream"] == STREAM
    assert summary["compose"]["init_script"] == INIT_SCRIPT
    assert f"uv run python -m {PACKAGE} migrate" in summary["next_steps"]
    # The copy has no .env (git-ignored): new makes none, and says which command does.
    assert any("run `mkservice secrets`" in note for note in summary["notes"])
    assert not (repo / ".env").exists()
    # The port is the record's only: serving by hand passes it, as the stack and compose do.
    assert f"{PREFIX}PORT={PORT} uv run python -m {PACKAGE} serve" in summary["next_steps"]


def test_creates_the_service_from_the_template(generated: tuple[Path, dict[str, Any]]) -> None:
    repo, summary = generated
    service = repo / "services" / SLUG

    created = sorted(
        path.relative_to(service).as_posix() for path in service.rglob("*") if path.is_file()
    )
    assert created == summary["files"]
    assert f"src/{PACKAGE}/main.py" in created
    assert not list((repo / "services").glob(".mkservice-tmp-*")), "temporary folder left"
    provenance = json.loads((service / ".mkservice.json").read_text())
    assert provenance["template_version"] == TEMPLATE_VERSION
    # Only the inputs nothing else gives: not the secret, not the derived names (package, class
    # prefix), not the port (the record's).
    assert provenance["cookiecutter"] == {"service_slug": SLUG}
    # What it talks to over NATS: by default only its own subjects (its example consumer reads
    # its own <name>.evt.item-created).
    assert provenance["nats"] == {"calls": [], "consumes": [f"{SLUG}.>"]}
    # The record: each fact once; the env prefix and the stream follow from the name.
    pyproject = tomllib.loads((service / "pyproject.toml").read_text())
    assert pyproject["tool"]["mkservice"] == {
        "service": SLUG,
        "package": PACKAGE,
        "port": PORT,
        "template_version": TEMPLATE_VERSION,
    }


def test_the_new_code_is_lint_clean(generated: tuple[Path, dict[str, Any]]) -> None:
    repo, _ = generated
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in (["check"], ["format", "--check"]):
        completed = subprocess.run(
            [ruff, *command, "--no-cache", f"services/{SLUG}"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_registers_it_in_docker_compose_with_its_own_database(
    generated: tuple[Path, dict[str, Any]],
) -> None:
    repo, _ = generated
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    init_sql = (repo / "services" / SLUG / "deploy" / "postgres-init.sql").read_text()
    # No password in either file: both read the same variables of the git-ignored .env.
    assert "PASSWORD '" not in init_sql
    assert f"\\getenv runtime_password {PREFIX}DB_PASSWORD" in init_sql
    assert f"\\getenv migrator_password {PREFIX}MIGRATOR_DB_PASSWORD" in init_sql

    def url(role: str, variable: str) -> str:
        secret = f"${{{PREFIX}{variable}}}"
        return f"postgresql://{role}:{secret}@postgres:5432/{PACKAGE}"

    block = compose["services"][SLUG]
    assert block["build"] == {"context": ".", "dockerfile": f"services/{SLUG}/Dockerfile"}
    nats_password = f"${{{PREFIX}NATS_PASSWORD}}"  # from .env too
    environment = dict(block["environment"])
    auth = {
        name: environment.pop(f"{PREFIX}{name}", "") for name in ("AUTH_ISSUER", "AUTH_JWKS_URL")
    }
    # Without an issuer it would refuse to serve: the stack's, whose keys it fetches (ADR 0026).
    assert auth["AUTH_ISSUER"], "no AUTH_ISSUER in its block"
    assert auth["AUTH_JWKS_URL"].startswith(auth["AUTH_ISSUER"] + "/")
    assert environment == {
        f"{PREFIX}DATABASE_URL": url(PACKAGE, "DB_PASSWORD"),
        f"{PREFIX}MIGRATION_DATABASE_URL": url(f"{PACKAGE}_migrator", "MIGRATOR_DB_PASSWORD"),
        f"{PREFIX}NATS_URL": "nats://nats:4222",
        f"{PREFIX}NATS_USER": SLUG,
        f"{PREFIX}NATS_PASSWORD": nats_password,
        f"{PREFIX}HOST": "0.0.0.0",
        f"{PREFIX}PORT": str(PORT),
        "OTEL_EXPORTER_OTLP_ENDPOINT": "${OTEL_EXPORTER_OTLP_ENDPOINT:-}",
    }
    assert block["ports"] == [f"{PORT}:{PORT}"]
    assert f'"{SLUG}:{PORT}"' in compose["configs"]["prometheus"]["content"]  # scraped
    assert set(block["depends_on"]) == {"nats", "postgres", "keycloak"}
    mount = f"./services/{SLUG}/deploy/postgres-init.sql:/docker-entrypoint-initdb.d/{INIT_SCRIPT}"
    assert compose["services"]["postgres"]["volumes"][-1] == f"{mount}:ro"
    # Only insertions: every line of the original file is still there, comments included
    # (the NATS users config is rendered again as a whole, the others' users unchanged).
    original = (ROOT / "docker-compose.yml").read_text().splitlines()
    new_lines = (repo / "docker-compose.yml").read_text().splitlines()
    edits = difflib.SequenceMatcher(a=original, b=new_lines, autojunk=False).get_opcodes()
    assert {tag for tag, *_ in edits} == {"equal", "insert"}


def compose_nats_config(repo: Path) -> str:
    """The NATS users config inline in the repo's docker-compose.yml, as compose reads it."""
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    return str(compose["configs"]["nats-users"]["content"]).replace("$$", "$")


def compose_nats_users(repo: Path) -> dict[str, str]:
    """NATS user -> password, from the service blocks of the repo's docker-compose.yml, in the
    file's order."""
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    specs = {spec.name: spec for spec in discover_services(repo)}
    users = {}
    for name, block in compose["services"].items():
        if name in specs:
            environment = block["environment"]
            assert environment[specs[name].env_name("nats_user")] == name
            users[name] = environment[specs[name].env_name("nats_password")]
    assert set(users) == set(specs), "every service has a block"
    return users


def declared_grants(repo: Path, names: list[str]) -> list[ServiceGrant]:
    """What the services ``names`` declare in their .mkservice.json, in that order."""
    declared = {grant.name: grant for grant in grants_for(discover_services(repo))}
    return [declared[name] for name in names]


def test_gives_it_a_nats_user_and_keeps_the_others(
    generated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    repo, _ = generated
    users = compose_nats_users(repo)
    config = compose_nats_config(repo)

    before = compose_nats_users(ROOT)
    assert set(users) == {*before, SLUG}
    assert {name: users[name] for name in before} == before, "the others keep their passwords"
    # Each user with what its service declares; the new one its own subjects only.
    grants = declared_grants(repo, list(users))
    assert grants[-1] == default_grant(SLUG)
    assert config == render_config(grants, NatsCredentials(users))
    # The old users' text is unchanged: the new user is only added.
    assert compose_nats_config(ROOT).split("  ]\n}")[0] in config
    path = tmp_path / "users.conf"
    path.write_text(config)
    checked = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(path)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_locks_the_new_member(generated: tuple[Path, dict[str, Any]]) -> None:
    repo, _ = generated
    lock = (repo / "uv.lock").read_text()

    member = f'name = "{SLUG}"\nversion = "0.1.0"\nsource = {{ editable = "services/{SLUG}" }}'
    assert member in lock
    manifest = lock.split("[manifest]")[1].split("\n\n")[0]
    assert f'"{SLUG}",' in manifest


def test_list_shows_it(generated: tuple[Path, dict[str, Any]]) -> None:
    repo, _ = generated

    listed = mkservice_json(repo, "list")

    rows = {row["service"]: row for row in listed["services"]}
    assert set(rows) == {*(service.slug for service in SERVICES), SLUG}
    assert rows[SLUG] | {"path": None} == {
        "service": SLUG,
        "path": None,
        "port": PORT,
        "package": PACKAGE,
        "env_prefix": PREFIX,
        "database_env": f"{PREFIX}DATABASE_URL",
        "database_default": f"sqlite+aiosqlite:///.data/{SLUG}.db",
        "stream": STREAM,
        "subjects": f"{SLUG}.>",
        "migration_head": "0001",
        "template_version": TEMPLATE_VERSION,
        "problem": None,
    }
    assert listed["warnings"] == []


def test_list_prints_one_whole_line_per_service_without_a_terminal(
    generated: tuple[Path, dict[str, Any]],
) -> None:
    repo, _ = generated

    # Piped, 80 columns: a table would wrap the new service's long names over several lines.
    completed = mkservice(repo, "list", env={"COLUMNS": "80"})

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].split() == ["service", "port", "package", "database", "stream", "migration",
                                "head"]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[1:] if not line.startswith("database")}
    assert set(rows) == {*(service.slug for service in SERVICES), SLUG}
    assert rows[SLUG] == [SLUG, str(PORT), PACKAGE, f"{PREFIX}DATABASE_URL", STREAM, "0001"]


def test_its_migrations_upgrade_a_fresh_database(
    generated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    repo, _ = generated
    database = tmp_path / "new.db"
    env = service_env(repo, **{f"{PREFIX}DATABASE_URL": f"sqlite:///{database}"})

    completed = subprocess.run(
        [sys.executable, "-m", PACKAGE, "migrate"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {f"{PACKAGE}_item", "outbox_message", "processed_message"} <= tables
    assert version == ("0001",)


def test_its_own_tests_pass(generated: tuple[Path, dict[str, Any]]) -> None:
    repo, _ = generated
    service = repo / "services" / SLUG

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(repo / "pyproject.toml"),
         "--rootdir", str(service), str(service), "-q"],
        cwd=repo,
        env=service_env(repo),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout


OPERATOR_PASSWORD = "test-operator-password"


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP receiver the generated service exports its traces to."""
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture
def admin_headers(test_issuer: TestIssuer) -> dict[str, str]:
    """A token the running service accepts, with the scopes of everything it serves: ``admin``
    (creating items) and ``metrics`` (the scrape)."""
    return test_issuer.headers("c-admin", [ADMIN_SCOPE, METRICS_SCOPE])


@pytest.fixture
def running_service(
    generated: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    otlp: OtlpReceiver,
    test_issuer: TestIssuer,
) -> Iterator[tuple[str, NatsServer, Path]]:
    """``python -m <package> serve --migrate`` on a free port, with its own SQLite file, a real
    nats-server with docker-compose.yml's users (plus an operator, for the test to read the
    stream with) and the test's token issuer; the service logs in as its compose user. Yields
    (base URL, the server, the database file)."""
    repo, _ = generated
    users = compose_nats_users(repo)
    grants = declared_grants(repo, list(users))
    assert compose_nats_config(repo) == render_config(grants, NatsCredentials(users))
    operator = NatsCredentials({**users, OPERATOR_USER: OPERATOR_PASSWORD})
    (tmp_path / "nats.conf").write_text(render_config(grants, operator))
    broker = NatsServer(tmp_path / "nats", config_file=tmp_path / "nats.conf").start()
    port = free_port()
    database = tmp_path / "served.db"
    settings = {
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{database}",
        "NATS_URL": broker.url,
        "NATS_USER": SLUG,
        "NATS_PASSWORD": users[SLUG],
        "RELAY_POLL_INTERVAL_S": "0.2",
    }
    env = service_env(repo, **{f"{PREFIX}{name}": value for name, value in settings.items()})
    env |= test_issuer.env(PREFIX)  # its AUTH_ISSUER, and AUTH_JWKS_URL a file:// URL
    # Traces too: exported every 100 ms to a receiver of the test's.
    env |= {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    log = (tmp_path / "service.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", PACKAGE, "serve", "--migrate"],
        cwd=repo,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=dies_with_parent(),  # never left serving if the test run is killed
    )
    try:
        yield f"http://127.0.0.1:{port}", broker, database
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        broker.kill()


def wait_ready(base_url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not ready after {timeout}s:\n{log.read_text()[-3000:]}")


async def test_the_app_serves_and_its_event_reaches_nats_through_the_outbox(
    running_service: tuple[str, NatsServer, Path],
    tmp_path: Path,
    otlp: OtlpReceiver,
    admin_headers: dict[str, str],
) -> None:
    base_url, broker, database = running_service
    wait_ready(base_url, tmp_path / "service.log")
    # Without a token it answers 401, naming itself as the realm.
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as anonymous:
        refused = await anonymous.post("/items", json={"name": "anonymous"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == f'Bearer realm="{SLUG}"'

    async with httpx.AsyncClient(base_url=base_url, headers=admin_headers, timeout=10) as client:
        created = await client.post("/items", json={"name": "first parcel"})
        assert created.status_code == 201, created.text
        item = created.json()

        with sqlite3.connect(database) as db:
            rows = db.execute(f"SELECT id, name FROM {PACKAGE}_item").fetchall()
        assert rows == [(item["id"], "first parcel")]

        connection = await nats.connect(broker.url, user=OPERATOR_USER, password=OPERATOR_PASSWORD)
        try:
            js = connection.jetstream()

            async def published() -> dict[str, Any] | None:
                try:
                    message = await js.get_last_msg(STREAM, f"{SLUG}.evt.item-created")
                except nats.js.errors.NotFoundError:
                    return None
                return json.loads(message.data or b"{}")

            envelope = await eventually(published)
        finally:
            await connection.close()
        assert isinstance(envelope, dict)
        assert envelope["data"] == {"item_id": item["id"], "name": "first parcel"}
        assert envelope["source"] == SLUG

        # Its own consumer reads the event back through the inbox and records it.
        async def announced() -> bool:
            fetched = await client.get(f"/items/{item['id']}")
            return fetched.json()["announced_at"] is not None

        assert await eventually(announced)

        # Metrics and logs come with the chassis: no code of the service's own.
        scraped = (await client.get("/metrics")).text
        assert (
            'http_server_requests_total{method="POST",route="/items",status="201"} 1.0' in scraped
        )
        assert f'messages_processed_total{{consumer="{SLUG}-' in scraped
    first_line = (tmp_path / "service.log").read_text().splitlines()[0]
    assert json.loads(first_line)["service"] == SLUG  # not a terminal: JSON lines

    def traced() -> list[ReceivedSpan]:
        # The admin's POST (the anonymous one, refused, has a trace of its own and no event).
        for post in [s for s in otlp if s.name == "POST /items"]:
            spans = otlp.trace(post.trace_id)
            if any(s.name.startswith("process ") for s in spans):
                return spans
        return []

    # Traces too: the request, and its event read back by its own consumer, in one trace.
    await eventually(traced, timeout=20)
    assert {span.service for span in traced()} == {SLUG}


def test_schemathesis_with_every_check_finds_nothing_on_it(
    running_service: tuple[str, NatsServer, Path], tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    """The template has the reference services' protections (body limit, Allow, bounds, bearer
    tokens with their 401 and 403 documented): the same run as tests/faults/test_openapi_fuzz.py,
    on the generated service, as a caller with every scope (its ``ignored_auth`` check also tries
    each operation without the token)."""
    # Its command line, not its pytest plugin: this suite loads no fuzzing plugin (see
    # tests/workspace/test_running_pytest.py), so look for the executable.
    schemathesis = Path(sys.executable).with_name("schemathesis")
    if not schemathesis.exists():
        pytest.skip("schemathesis is not installed (dev dependency)")
    base_url, _broker, _database = running_service
    wait_ready(base_url, tmp_path / "service.log")

    completed = subprocess.run(
        [str(schemathesis), "run", f"{base_url}/openapi.json",
         "--url", base_url, "--checks", "all", "--max-examples", "40", "--workers", "1",
         "-H", f"Authorization: {admin_headers['Authorization']}",
         "--generation-deterministic", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout[-8000:] + completed.stderr


def test_it_refuses_to_serve_without_a_token_issuer(
    generated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Without AUTH_ISSUER (and AUTH_JWKS_URL) it would have no way to check a token: it does not
    start, and says which variable to set."""
    repo, _ = generated
    env = service_env(repo, **{f"{PREFIX}DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                               f"{PREFIX}PORT": str(free_port())})  # fmt: skip
    for name in ("AUTH_ISSUER", "AUTH_JWKS_URL"):
        env.pop(f"{PREFIX}{name}", None)

    completed = subprocess.run(
        [sys.executable, "-m", PACKAGE, "serve"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert f"{PREFIX}AUTH_ISSUER" in completed.stderr
