"""``mkservice new`` refuses bad names and ports: exit status 2, one plain sentence on stderr,
and not one file of the workspace changed.

Most cases run the command in-process (typer's runner, the copy as the current folder), which
takes milliseconds; a few run the real ``python -m mkservice`` to prove the same end to end.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from scaffold_support import SERVICES, changes, copy_repo, mkservice, snapshot
from typer.testing import CliRunner

from mkservice.cli import app

# A name no team would give a service: the name a refusal of something else (a port, a package)
# is asked for, which must not be refused for being taken itself.
NEW = "zz-probe-shipping"
# Names and ports the workspace's own services have (the reference checkout's, or any others).
TAKEN_NAMES = [(service.slug, "already exists") for service in SERVICES]
TAKEN_PORTS = [
    (str(service.port), f"already used by the service '{service.slug}'") for service in SERVICES
]


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One copy for every refusal: a refusal writes nothing, and each test checks exactly that."""
    repo = copy_repo(tmp_path_factory.mktemp("refusals") / "repo")
    yield repo
    shutil.rmtree(repo, ignore_errors=True)


@pytest.fixture
def new_in(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    """Run ``mkservice new ARGS`` in-process in ``repo``; return (exit status, stderr)."""

    def run(repo: Path, *args: str) -> tuple[int, str]:
        monkeypatch.chdir(repo)
        result = CliRunner().invoke(app, ["new", *args, "--no-install"])
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        return result.exit_code, result.stderr

    return run


def assert_refused(outcome: tuple[int, str], mentions: str) -> None:
    code, stderr = outcome
    message = stderr.strip()
    assert code == 2, stderr
    assert "\n" not in message, f"not one line: {message!r}"
    assert message.endswith("."), f"not a sentence: {message!r}"
    assert len(re.findall(r"[.!?](\s|$)", message)) == 1, f"not one sentence: {message!r}"
    assert "Traceback" not in stderr
    assert mentions.lower() in message.lower(), message


def assert_refused_in(
    repo: Path, new_in: Callable[..., tuple[int, str]], *args: str, mentions: str
) -> None:
    before = snapshot(repo)
    assert_refused(new_in(repo, *args), mentions)
    assert changes(before, snapshot(repo)) == []


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Shipping", "lower-case"),
        ("order_history", "lower-case"),
        ("order--history", "lower-case"),
        ("order-history-", "lower-case"),
        ("1shipping", "starting with a letter"),
        ("ship ping", "lower-case"),
        ("x" * 41, "at most 40"),
        ("../x", "path"),
        ("a/b", "path"),
        ("/tmp/x", "path"),
        (".hidden", "path"),
    ],
)
def test_refuses_a_malformed_name_or_a_path(
    shared_repo: Path, new_in: Callable[..., tuple[int, str]], name: str, mentions: str
) -> None:
    assert_refused_in(shared_repo, new_in, name, mentions=mentions)


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("class", "Python keyword"),
        ("import", "Python keyword"),
        ("email", "standard-library module email"),
        ("logging", "standard-library module logging"),
        ("platform", "standard-library module platform"),
        ("test", "standard-library module test"),
        ("chassis", "reserved"),
        ("mkservice", "reserved"),
        ("tests", "reserved"),
        ("scaffold", "reserved"),
        ("services", "reserved"),
        ("postgres", "reserved"),
        ("user", "PostgreSQL"),
        ("pg-stats", "PostgreSQL"),
    ],
)
def test_refuses_a_name_python_or_the_workspace_already_means(
    shared_repo: Path, new_in: Callable[..., tuple[int, str]], name: str, mentions: str
) -> None:
    assert_refused_in(shared_repo, new_in, name, mentions=mentions)


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        *TAKEN_NAMES,
        ("service-chassis", "distribution"),
        ("pyyaml", "distribution"),
        ("yaml", "installed module yaml"),
        ("fastapi", "fastapi"),
    ],
)
def test_refuses_a_name_already_taken(
    shared_repo: Path, new_in: Callable[..., tuple[int, str]], name: str, mentions: str
) -> None:
    assert_refused_in(shared_repo, new_in, name, mentions=mentions)


@pytest.mark.skipif(not SERVICES, reason="the workspace has no service yet")
def test_refuses_a_name_whose_package_another_service_has(
    repo: Path, new_in: Callable[..., tuple[int, str]]
) -> None:
    other = SERVICES[-1]
    pyproject = repo / "services" / other.slug / "pyproject.toml"
    text = pyproject.read_text()
    package = NEW.replace("-", "_")
    pyproject.write_text(text.replace(f'package = "{other.package}"', f'package = "{package}"'))

    mentions = f"already used by the service '{other.slug}'"
    assert_refused_in(repo, new_in, NEW, mentions=mentions)


@pytest.mark.parametrize(
    ("port", "mentions"),
    [
        *TAKEN_PORTS,
        ("5432", "the postgres block of docker-compose.yml"),
        ("80", "outside 1024-65535"),
        ("70000", "outside 1024-65535"),
    ],
)
def test_refuses_a_taken_or_impossible_port(
    shared_repo: Path, new_in: Callable[..., tuple[int, str]], port: str, mentions: str
) -> None:
    assert_refused_in(shared_repo, new_in, NEW, "--port", port, mentions=mentions)


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["../x"], "path"),
        (["email"], "standard-library module email"),
        *(([name], mentions) for name, mentions in TAKEN_NAMES[:1]),
        *(([NEW, "--port", port], mentions) for port, mentions in TAKEN_PORTS[-1:]),
    ],
)
def test_the_real_command_refuses_the_same_way(
    shared_repo: Path, args: list[str], mentions: str
) -> None:
    before = snapshot(shared_repo)

    completed = mkservice(shared_repo, "new", *args, "--no-install")

    assert_refused((completed.returncode, completed.stderr), mentions)
    assert completed.stdout == ""
    assert changes(before, snapshot(shared_repo)) == []


def test_dry_run_writes_nothing(shared_repo: Path) -> None:
    before = snapshot(shared_repo)

    completed = mkservice(shared_repo, "new", NEW, "--dry-run")

    assert completed.returncode == 0, completed.stderr
    assert f"services/{NEW}/src/zz_probe_shipping/main.py" in completed.stdout
    assert changes(before, snapshot(shared_repo)) == []
