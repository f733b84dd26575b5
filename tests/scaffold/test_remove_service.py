"""``mkservice remove NAME...`` is the mirror of ``new``: it takes a service out of every place
``new`` put it, refuses (exit 2, one sentence, nothing changed) what it cannot do, undoes
everything on a failure or an interruption, and leaves a workspace without the reference
checkout in which a new service checks and runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from scaffold_support import (
    ROOT,
    SERVICES,
    changes,
    copy_repo,
    mkservice,
    mkservice_json,
    next_init_script,
    snapshot,
)

from mkservice.generator.compose_file import OBSERVABILITY, stale_blocks

# Every service of the workspace: nothing outside them can depend on them.
ALL = [service.slug for service in SERVICES]
CHECKOUT = ("orders", "inventory", "payments")
with_the_checkout = pytest.mark.skipif(
    not set(CHECKOUT) <= set(ALL), reason="the reference checkout is not in this workspace"
)


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for the refusals: a refusal writes nothing, and each test checks exactly that."""
    return copy_repo(tmp_path_factory.mktemp("removals") / "repo")


def assert_one_sentence(stderr: str) -> None:
    message = stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert message.endswith("."), message


@pytest.mark.parametrize(
    ("names", "mentions"),
    [
        (["zz-parcels"], "There is no service 'zz-parcels' to remove"),
        ([*ALL[:1], "zz-parcels"], "There is no service 'zz-parcels' to remove"),
        (["../platform"], "There is no service '../platform' to remove"),
        (["postgres"], "part of the stack"),
        (["prometheus"], "part of the stack"),
        # orders sends commands to payments and reads its events.
        pytest.param(["payments"], "orders talks to payments", marks=with_the_checkout),
    ],
)
def test_refuses_what_it_cannot_remove_and_changes_nothing(
    shared_repo: Path, names: list[str], mentions: str
) -> None:
    before = snapshot(shared_repo)

    completed = mkservice(shared_repo, "remove", *names, "--no-sync")

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert_one_sentence(completed.stderr)
    assert mentions in completed.stderr
    assert changes(before, snapshot(shared_repo)) == []


def test_removing_what_new_added_gives_the_workspace_back(repo: Path) -> None:
    before = snapshot(repo)
    assert mkservice(repo, "new", "zz-parcels", "--no-install").returncode == 0

    planned = mkservice_json(repo, "remove", "zz-parcels", "--dry-run")
    assert planned["removed"] == [{
        "service": "zz-parcels", "path": "services/zz-parcels", "compose_block": True,
        "init_mounts": ["./services/zz-parcels/deploy/postgres-init.sql:"
                        f"/docker-entrypoint-initdb.d/{next_init_script(ROOT, 'zz-parcels')}:ro"],
        "workspace_entry": False,
    }]  # fmt: skip
    completed = mkservice(repo, "remove", "zz-parcels", "--no-sync")

    assert completed.returncode == 0, completed.stderr
    # The folder, the block, the init script mount, the NATS user and the lock entry: all gone,
    # and every other byte (comments, the other users' passwords) as it was.
    assert changes(before, snapshot(repo)) == []


def test_removes_what_is_left_of_a_service_deleted_by_hand(repo: Path) -> None:
    before = snapshot(repo)
    assert mkservice(repo, "new", "zz-parcels", "--no-install").returncode == 0
    shutil.rmtree(repo / "services" / "zz-parcels")
    assert stale_blocks(repo)

    completed = mkservice(repo, "remove", "zz-parcels", "--no-sync")

    assert completed.returncode == 0, completed.stderr
    assert stale_blocks(repo) == []
    assert changes(before, snapshot(repo)) == []


def test_takes_a_member_listed_by_name_out_of_the_workspace(repo: Path) -> None:
    assert mkservice(repo, "new", "zz-parcels", "--no-install").returncode == 0
    pyproject = repo / "pyproject.toml"
    globbed = tomllib.loads(pyproject.read_text())["tool"]["uv"]["workspace"]["members"]
    members = [m for m in globbed if m != "services/*"] + [f"services/{s}" for s in ALL]
    listed = ", ".join(f'"{m}"' for m in [*members, "services/zz-parcels"])
    text = re.sub(r"(?m)^members = \[.*\]$", f"members = [{listed}]", pyproject.read_text())
    pyproject.write_text(text)

    completed = mkservice(repo, "remove", "zz-parcels", "--no-sync")

    assert completed.returncode == 0, completed.stderr
    workspace = tomllib.loads(pyproject.read_text())["tool"]["uv"]["workspace"]
    assert workspace["members"] == members
    assert 'editable = "services/zz-parcels"' not in (repo / "uv.lock").read_text()


@pytest.mark.skipif(not ALL, reason="the workspace has no service yet")
def test_a_failing_uv_lock_undoes_everything(repo: Path) -> None:
    before = snapshot(repo)

    # The folders are moved aside and docker-compose.yml written when `uv lock` fails.
    completed = mkservice(repo, "remove", *ALL, "--no-sync", env={"MKSERVICE_UV": "false"})

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "Nothing was removed" in completed.stderr and "uv lock" in completed.stderr
    assert changes(before, snapshot(repo)) == []


@pytest.mark.skipif(not ALL, reason="the workspace has no service yet")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interruption_undoes_everything(repo: Path, tmp_path: Path, sig: int) -> None:
    # A `uv` that hangs: the interruption arrives after the moves and the compose write.
    slow_uv = tmp_path / "slow-uv"
    slow_uv.write_text("#!/bin/sh\nexec sleep 60\n")
    slow_uv.chmod(0o755)
    before = snapshot(repo)
    process = subprocess.Popen(
        [sys.executable, "-m", "mkservice", "remove", *ALL, "--no-sync"],
        cwd=repo, env={**os.environ, "MKSERVICE_UV": str(slow_uv)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    compose = repo / "docker-compose.yml"
    deadline = time.monotonic() + 60
    while f"\n  {ALL[0]}:" in compose.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (repo / "services" / ALL[0]).exists(), "the folders were not moved aside"
    time.sleep(0.2)  # let it reach `uv lock`

    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, stderr
    assert "Interrupted" in stderr
    assert changes(before, snapshot(repo)) == []


# A workspace without the reference checkout: what a team keeps when it starts its own.


@pytest.fixture(scope="module")
def without_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy after ``mkservice remove`` of the reference services and whatever other services
    the workspace has (a team's own), then ``mkservice new zz-parcels`` (not installed: its
    processes get its src/ on PYTHONPATH)."""
    repo = copy_repo(tmp_path_factory.mktemp("without-the-checkout") / "repo")
    removed = mkservice(repo, "remove", *ALL, "--no-sync")
    assert removed.returncode == 0, removed.stderr
    return repo


@with_the_checkout
def test_removing_every_service_leaves_no_trace_of_them(without_the_checkout: Path) -> None:
    repo = without_the_checkout

    assert [p.name for p in (repo / "services").iterdir()] == []
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"nats", "postgres", "keycloak", *OBSERVABILITY}
    assert "job_name" not in compose["configs"]["prometheus"]["content"]
    assert compose["services"]["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert "user:" not in compose["configs"]["nats-users"]["content"]
    lock = tomllib.loads((repo / "uv.lock").read_text())
    assert not set(ALL) & set(lock["manifest"]["members"])
    assert mkservice_json(repo, "list") == {"services": [], "warnings": []}


@pytest.fixture(scope="module")
def with_a_new_service(without_the_checkout: Path) -> Iterator[Path]:
    created = mkservice(without_the_checkout, "new", "zz-parcels", "--no-install")
    assert created.returncode == 0, created.stderr
    yield without_the_checkout


@with_the_checkout
def test_a_new_service_takes_the_first_port_and_passes_the_checks(
    with_a_new_service: Path,
) -> None:
    repo = with_a_new_service
    [row] = mkservice_json(repo, "list")["services"]
    assert (row["service"], row["port"]) == ("zz-parcels", 8001)

    checked = mkservice(repo, "check", "--json")

    assert checked.returncode == 0, checked.stdout + checked.stderr


@with_the_checkout
def test_the_stack_runs_the_new_service_until_ctrl_c(with_a_new_service: Path) -> None:
    repo = with_a_new_service
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(repo / "services/zz-parcels/src"), os.environ.get("PYTHONPATH")])
        ),
        "COLUMNS": "200",
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "mkservice", "up", "--free-ports",
         "--run-dir", str(repo / ".data" / "stack")],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert up.stdout is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            lines.append(up.stdout.readline())
            assert up.poll() is None, "".join(lines)
        output = "".join(lines)
        assert re.search(r"zz-parcels .*http://127\.0\.0\.1:\d+/docs", output), output

        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode == 0, rest
    assert "Stopped cleanly." in rest
