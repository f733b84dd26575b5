"""A failed or interrupted ``mkservice new`` leaves the workspace exactly as it was, and a service
folder removed by hand breaks nothing else.

The services made here have names no team would give one of theirs, so the tests hold whatever
services the workspace already has."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from scaffold_support import changes, mkservice, mkservice_json, next_port, snapshot

from mkservice.generator.compose_file import stale_blocks

NEW = "zz-probe-shipping"
OTHER = "zz-probe-tracking"


def test_a_failing_uv_lock_undoes_everything(repo: Path) -> None:
    before = snapshot(repo)

    # The folder is in place and docker-compose.yml written when `uv lock` fails.
    completed = mkservice(repo, "new", NEW, "--no-install", env={"MKSERVICE_UV": "false"})

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "uv lock" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert changes(before, snapshot(repo)) == []


def test_an_unreadable_compose_file_stops_it_before_anything_is_written(repo: Path) -> None:
    (repo / "docker-compose.yml").write_text("services: [unclosed\n")
    before = snapshot(repo)

    completed = mkservice(repo, "new", NEW, "--no-install")

    assert completed.returncode == 1
    assert "docker-compose.yml is not valid YAML" in completed.stderr
    assert changes(before, snapshot(repo)) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interruption_undoes_everything(repo: Path, tmp_path: Path, sig: int) -> None:
    # A `uv` that hangs: the interruption arrives after the move and the compose write.
    slow_uv = tmp_path / "slow-uv"
    slow_uv.write_text("#!/bin/sh\nexec sleep 60\n")
    slow_uv.chmod(0o755)
    before = snapshot(repo)
    env = {**os.environ, "MKSERVICE_UV": str(slow_uv)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mkservice", "new", NEW, "--no-install"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    compose = repo / "docker-compose.yml"
    deadline = time.monotonic() + 60
    while f"{NEW}:" not in compose.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (repo / "services" / NEW).is_dir(), "the move did not happen"
    time.sleep(0.2)  # let it reach `uv lock`

    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, stderr
    assert "Interrupted" in stderr
    assert changes(before, snapshot(repo)) == []


def test_a_service_folder_removed_by_hand_breaks_nothing_else(repo: Path) -> None:
    assert mkservice(repo, "new", NEW, "--no-install").returncode == 0
    services = repo / "services"
    shutil.rmtree(services / NEW)

    listed = mkservice_json(repo, "list")
    assert NEW not in {row["service"] for row in listed["services"]}
    # The compose block is now stale: reported in one clear sentence, not a crash.
    assert any(NEW in warning and "does not exist" in warning
               for warning in listed["warnings"])  # fmt: skip
    assert stale_blocks(repo)[0].startswith(
        f"docker-compose.yml builds '{NEW}' from services/{NEW}/Dockerfile, which does not"
    )

    # The port of the stale block stays taken; re-creating the service replaces the block.
    stale_block = yaml.safe_load((repo / "docker-compose.yml").read_text())["services"][NEW]
    other = mkservice_json(repo, "new", OTHER, "--dry-run")
    assert f"{other['port']}:{other['port']}" not in stale_block["ports"]
    assert other["port"] == next_port(repo)
    again = mkservice_json(repo, "new", NEW, "--no-install")
    assert again["compose"]["replaced_stale_block"] is True
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    mounts = [m for m in compose["services"]["postgres"]["volumes"] if NEW in m]
    assert len(mounts) == 1
    init_sql = (services / NEW / "deploy" / "postgres-init.sql").read_text()
    url = compose["services"][NEW]["environment"]["ZZ_PROBE_SHIPPING_DATABASE_URL"]
    # The password compose reads is the variable the init script reads.
    assert ":${ZZ_PROBE_SHIPPING_DB_PASSWORD}@" in url
    assert "ZZ_PROBE_SHIPPING_DB_PASSWORD" in init_sql
    assert stale_blocks(repo) == []
