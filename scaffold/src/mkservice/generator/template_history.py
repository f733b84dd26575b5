"""The template as it was at an earlier version, taken from the repository's git history.

``mkservice upgrade`` merges the difference between the template a service was made from and
the template now (ADR 0028). The older one is never kept by hand: it is the last commit whose
``scaffold/template/cookiecutter.json`` declared that version, checked out with ``git archive``
into a temporary folder.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

from mkservice.generator.errors import Refused
from mkservice.generator.render import TEMPLATE_DIR
from mkservice.git_history import base_ref, git

_DEFAULTS = (TEMPLATE_DIR / "cookiecutter.json").as_posix()


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except OSError as error:
        message = f"git cannot be run here ({error}), and the upgrade needs its history."
        raise Refused(message) from None


def _version_at(root: Path, commit: str) -> str | None:
    shown = _git(root, "show", f"{commit}:{_DEFAULTS}")
    if shown.returncode != 0:
        return None  # the template did not exist yet at that commit
    try:
        defaults = json.loads(shown.stdout)
    except ValueError:
        return None
    return str(defaults.get("template_version", "0")) if isinstance(defaults, dict) else None


def commit_of_version(root: Path, version: str) -> str:
    """The last commit whose template declared ``version``. Raises :class:`Refused` when the
    repository has no git history, or no commit with that version."""
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        raise Refused(
            f"{root} has no git history, so the template at version {version} cannot be "
            "recovered: upgrade in a clone of the repository the service was made in."
        )
    if _version_at(root, "HEAD") == version:
        return head.stdout.decode().strip()
    # Newest first: the commits that changed the template's declaration. The last one with
    # ``version`` is the parent of the first that declared something else after it.
    changes = _git(root, "log", "--format=%H", "--", _DEFAULTS).stdout.decode().split()
    for commit in changes:
        if _version_at(root, commit) != version and _version_at(root, f"{commit}^") == version:
            return _git(root, "rev-parse", f"{commit}^").stdout.decode().strip()
    raise Refused(
        f"No commit of this repository has template version {version}: its history is "
        "shallow or was rewritten (fetch it whole with `git fetch --unshallow`)."
    )


def extract_template(root: Path, commit: str, into: Path) -> Path:
    """Write the template of ``commit`` under ``into`` (as ``into/scaffold/template``); return
    ``into``, a workspace root :meth:`mkservice.generator.render.Template.of` reads."""
    archive = _git(root, "archive", "--format=tar", commit, "--", TEMPLATE_DIR.as_posix())
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise Refused(f"The template of commit {commit[:12]} cannot be read ({message}).")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # The "data" filter (Python 3.11.4 on) refuses links and paths out of ``into``; git
        # archive writes neither, and older interpreters extract as before.
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - Python < 3.11.4
            tar.extractall(into)
    return into


def unreleased_change(root: Path) -> str | None:
    """A sentence when the template changed since the base commit (the merge base with the
    main branch) while its version stayed: services made from that version would never get
    the change, since the upgrade takes the version's last commit as what they were made from."""
    base = base_ref(root, None)
    if base is None:
        return None
    version = _version_at(root, base)
    current = json.loads((root / _DEFAULTS).read_text(encoding="utf-8")).get("template_version")
    if version is None or str(current) != version:
        return None
    template = TEMPLATE_DIR.as_posix()
    changed = git(root, "diff", "--name-only", base, "--", template) or git(
        root, "ls-files", "--others", "--exclude-standard", "--", template
    )
    if not changed:
        return None
    return (
        f"The template changed since {base[:12]} but its version is still {version}: raise "
        f"template_version in {_DEFAULTS}, so that `mkservice upgrade` brings the change to "
        f"the services made from version {version}."
    )
