"""No credential is committed (ADR 0025): detect-secrets scans every file git tracks, and a
finding fails the test naming its file and line. Passwords live in the git-ignored .env that
`mkservice secrets` writes."""

from __future__ import annotations

import os
from pathlib import Path

from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings

from mkservice.workspace import workspace_files

ROOT = Path(__file__).resolve().parents[2]
# Tracked, but not worth scanning: uv.lock's pinned hashes read as high-entropy strings, and uv
# checks them itself.
NOT_SCANNED = {"uv.lock"}
# Values that are not credentials, each found on purpose. Fixtures only a test would use (a real
# password is random, as `mkservice secrets` makes them), and one variable's name.
ALLOWED = {
    "s3cret",  # database URLs parsed in chassis settings and mkservice check tests
    "hunter2",
    "0wner",
    "pw",  # also mkservice up's example URL in its --help
    "secret",
    "widgets-pw",  # a NATS user in the console's tests
    "a-password-long-enough-to-wrap-at-80",  # up's printed URL, wrapped or not
    "test-operator-password",  # the operator user of a test's own nats-server
    "chosen-by-hand",  # a value `mkservice secrets` must keep
    "abcdefghij-klmnopqrst-uvwxyzabcd-efghijk",  # a structure test's made-up token
    "POSTGRES_PASSWORD",  # the variable's name in generator/env_file.py, not its value
}


def findings(root: Path, files: list[str]) -> list[str]:
    """``file:line: type`` of each likely credential in ``files`` (relative to ``root``), except
    the allowed values."""
    collection = SecretsCollection(root=str(root))
    with default_settings():
        collection.scan_files(*files, num_processors=min(2, os.cpu_count() or 1))
    return sorted(
        f"{filename}:{secret.line_number}: {secret.type}"
        for filename, secret in collection
        if secret.secret_value not in ALLOWED
    )


def tracked_files(root: Path) -> list[str]:
    """What would be committed: git's listing, or in a copy made without git (CI's
    without-the-checkout run) every file but the venv, caches and the git-ignored .env files."""
    return [
        path.as_posix()
        for path in workspace_files(root)
        if path.as_posix() not in NOT_SCANNED and path.name != ".env"
    ]


def test_no_committed_file_holds_a_credential() -> None:
    found = findings(ROOT, tracked_files(ROOT))

    assert not found, "credentials in committed files (move them to .env):\n" + "\n".join(found)


def test_a_planted_password_is_found(tmp_path: Path) -> None:
    # What docker-compose.yml held before ADR 0025: a NATS password written in the file.
    planted = tmp_path / "docker-compose.yml"
    planted.write_text(
        "services:\n  orders:\n    environment:\n      ORDERS_NATS_USER: orders\n"
        '      ORDERS_NATS_PASSWORD: "q7vonsNqflgBqaEIXNrbQ-zf"\n',  # pragma: allowlist secret
        encoding="utf-8",
    )

    assert findings(tmp_path, [planted.name]) == ["docker-compose.yml:5: Secret Keyword"]
