"""``mkservice upgrade`` in real git repositories: a service made by ``mkservice new`` at the
workspace's template version (OLD), the template moved one version on (NEW) in a later commit,
the service changed by its team; the upgrade merges the template's change into the service and
keeps the team's.

Each test clones one origin (a copy of the workspace with its history: the template at OLD,
then the service) and makes its own NEW, so the template changes are planted here, under a
service name no team would pick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from scaffold_support import ROOT, copy_repo, mkservice, snapshot

from mkservice.generator import upgrade as upgrade_module
from mkservice.generator.render import Template
from mkservice.generator.upgrade import apply_upgrade, plan_upgrade

OLD = Template.of(ROOT).version
NEW = str(int(OLD) + 1)
SLUG = "zz-probe-upgraded"
PACKAGE = "zz_probe_upgraded"
TEMPLATE = Path("scaffold/template/{{cookiecutter.service_slug}}")
CONFIG = TEMPLATE / "src/{{cookiecutter.package}}/config.py"
SERVICE = Path("services") / SLUG
SERVICE_CONFIG = SERVICE / "src" / PACKAGE / "config.py"
TEMPLATE_LINE = '    """Everything ServiceSettings reads, plus what this service adds."""'
LOAD_LINE = (
    '    """Settings from the environment; a bad value raises ConfigError naming the variable."""'
)
NEW_TEST = '''"""Added by the template's next version: the settings name the service."""

from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings


def test_the_settings_name_the_service() -> None:
    assert {{ cookiecutter.class_prefix }}Settings.service_name == "{{ cookiecutter.service_slug }}"
'''


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace at template OLD in git, then a service made from it, committed."""
    repo = copy_repo(tmp_path_factory.mktemp("origin") / "repo")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "upgrade-test@example.invalid")
    _git(repo, "config", "user.name", "upgrade test")
    _git(repo, "config", "commit.gpgsign", "false")
    _commit(repo, f"the workspace at template v{OLD}")
    made = mkservice(repo, "new", SLUG, "--no-install")
    assert made.returncode == 0, made.stderr
    _commit(repo, f"mkservice new {SLUG}")
    return repo


@pytest.fixture
def repo(origin: Path, tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    for key, value in (("user.email", "t@example.invalid"), ("user.name", "t")):
        _git(clone, "config", key, value)
    return clone


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _template_v2(repo: Path, change: Callable[[Path], None]) -> None:
    """Commit a template change with its version moved to NEW."""
    change(repo)
    defaults = repo / "scaffold/template/cookiecutter.json"
    _edit(defaults, f'"template_version": "{OLD}"', f'"template_version": "{NEW}"')
    _commit(repo, f"template v{NEW}")


def _recorded(repo: Path) -> str:
    provenance = json.loads((repo / SERVICE / ".mkservice.json").read_text(encoding="utf-8"))
    return str(provenance["template_version"])


def _every_kind_of_change(repo: Path) -> None:
    """NEW: one line of config.py changed, a test added, a test renamed, the Dockerfile
    changed."""
    _edit(repo / CONFIG, TEMPLATE_LINE, TEMPLATE_LINE.replace("adds.", "adds (template v2)."))
    (repo / TEMPLATE / "tests/unit/test_upgraded.py").write_text(NEW_TEST, encoding="utf-8")
    unit = repo / TEMPLATE / "tests/unit"
    (unit / "test_item.py").rename(unit / "test_item_rules.py")
    _edit(repo / TEMPLATE / "Dockerfile", "FROM ", "# template v2\nFROM ")


def _team_changes(repo: Path) -> None:
    """The team's own: another hunk of config.py, the test that NEW renames, the Dockerfile
    deleted."""
    _edit(repo / SERVICE_CONFIG, LOAD_LINE, LOAD_LINE + "\n    # the team's own line")
    item_test = repo / SERVICE / "tests/unit/test_item.py"
    item_test.write_text(item_test.read_text(encoding="utf-8") + "\n# the team's own test note\n")
    (repo / SERVICE / "Dockerfile").unlink()
    _commit(repo, "the team's changes")


def test_an_upgrade_merges_the_template_change_and_keeps_the_teams(repo: Path) -> None:
    _template_v2(repo, _every_kind_of_change)
    _team_changes(repo)

    completed = mkservice(repo, "upgrade", SLUG)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    config = (repo / SERVICE_CONFIG).read_text(encoding="utf-8")
    assert "adds (template v2)." in config  # the template's hunk
    assert "# the team's own line" in config  # the team's hunk of the same file
    added = repo / SERVICE / "tests/unit/test_upgraded.py"
    assert f"{PACKAGE}.config import" in added.read_text(encoding="utf-8")  # rendered
    renamed = repo / SERVICE / "tests/unit/test_item_rules.py"
    assert not (repo / SERVICE / "tests/unit/test_item.py").exists()
    assert "# the team's own test note" in renamed.read_text(encoding="utf-8")
    assert not (repo / SERVICE / "Dockerfile").exists()  # deleted by the team: stays deleted
    assert "Dockerfile: you deleted it and the template changed it" in completed.stdout
    assert "renamed  tests/unit/test_item_rules.py (from tests/unit/test_item.py)" in (
        completed.stdout
    )
    assert _recorded(repo) == NEW
    assert f'template_version = "{NEW}"' in (repo / SERVICE / "pyproject.toml").read_text()
    # The workspace's other services are still behind this test's NEW; this one no longer is.
    assert f"{SLUG}:" not in mkservice(repo, "upgrade", "--check").stdout


def test_after_a_clean_upgrade_the_services_own_tests_pass(repo: Path) -> None:
    _template_v2(repo, _every_kind_of_change)
    _team_changes(repo)
    assert mkservice(repo, "upgrade", SLUG).returncode == 0
    service = repo / SERVICE
    source = os.pathsep.join(filter(None, [str(service / "src"), os.environ.get("PYTHONPATH")]))

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(repo / "pyproject.toml"),
         "--rootdir", str(service), str(service), "-v"],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": source},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    # The test NEW added ran among them, and the one it renamed, under its new name.
    assert "test_upgraded.py::test_the_settings_name_the_service PASSED" in completed.stdout
    assert "test_item_rules.py::" in completed.stdout


def test_a_conflicting_change_is_marked_listed_and_fails_check(repo: Path) -> None:
    _template_v2(repo, lambda r: _edit(r / CONFIG, TEMPLATE_LINE, '    """The template says."""'))
    _edit(repo / SERVICE_CONFIG, TEMPLATE_LINE, '    """The team says."""')
    _commit(repo, "the team's docstring")

    completed = mkservice(repo, "upgrade", SLUG)

    assert completed.returncode == 1, completed.stdout + completed.stderr
    config = (repo / SERVICE_CONFIG).read_text(encoding="utf-8")
    assert f"<<<<<<< services/{SLUG} src/{PACKAGE}/config.py" in config
    assert '    """The team says."""\n=======\n    """The template says."""\n>>>>>>> ' in config
    assert f"Conflicts left marked in services/{SLUG}: src/{PACKAGE}/config.py" in (
        completed.stdout
    )
    assert _recorded(repo) == NEW  # the rest is upgraded; the markers keep check failing
    checked = mkservice(repo, "check", "--json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    failed = {c["id"]: c for c in json.loads(checked.stdout)["checks"] if not c["passed"]}
    assert list(failed) == ["merge-conflicts"]
    (finding,) = failed["merge-conflicts"]["findings"]
    assert finding["file"] == SERVICE_CONFIG.as_posix()


def test_dry_run_prints_the_diff_and_writes_nothing(repo: Path) -> None:
    _template_v2(repo, _every_kind_of_change)
    before = snapshot(repo / "services")

    completed = mkservice(repo, "upgrade", SLUG, "--dry-run")

    assert completed.returncode == 0, completed.stderr
    assert f"Would upgrade {SLUG} from template v{OLD} to v{NEW}:" in completed.stdout
    assert f"+++ b/services/{SLUG}/src/{PACKAGE}/config.py" in completed.stdout
    added_line = "+" + TEMPLATE_LINE.replace("adds.", "adds (template v2).")
    assert added_line in completed.stdout.splitlines()
    assert snapshot(repo / "services") == before


def test_the_check_lists_services_behind_the_template(repo: Path) -> None:
    assert mkservice(repo, "upgrade", "--check").returncode == 0
    _template_v2(repo, _every_kind_of_change)

    completed = mkservice(repo, "upgrade", "--check")

    assert completed.returncode == 1
    assert f"{SLUG}: template v{OLD}, the template is v{NEW}" in completed.stdout
    assert mkservice(repo, "upgrade", "--all").returncode in (0, 1)  # 1: conflicts elsewhere
    assert f"{SLUG}:" not in mkservice(repo, "upgrade", "--check").stdout


def test_a_service_with_uncommitted_changes_is_refused(repo: Path) -> None:
    _template_v2(repo, _every_kind_of_change)
    _edit(repo / SERVICE_CONFIG, LOAD_LINE, LOAD_LINE + "\n    # not committed")
    before = snapshot(repo / "services")

    completed = mkservice(repo, "upgrade", SLUG)

    assert completed.returncode == 2
    assert completed.stderr == (
        f"services/{SLUG} has uncommitted changes: commit or stash them first, so that the "
        "upgrade can be reviewed and undone with git.\n"
    )
    assert snapshot(repo / "services") == before


def test_without_the_history_of_that_version_it_is_refused(repo: Path, tmp_path: Path) -> None:
    _template_v2(repo, _every_kind_of_change)
    # The same files in a fresh repository: its one commit already declares NEW.
    fresh = tmp_path / "fresh"
    shutil.copytree(repo, fresh, ignore=shutil.ignore_patterns(".git"))
    _git(fresh, "init", "-q", "-b", "main")
    _git(fresh, "config", "user.email", "t@example.invalid")
    _git(fresh, "config", "user.name", "t")
    _commit(fresh, "imported without history")
    before = snapshot(fresh / "services")

    completed = mkservice(fresh, "upgrade", "--all")

    assert completed.returncode == 2
    assert completed.stderr.startswith(f"No commit of this repository has template version {OLD}")
    assert completed.stderr.count("\n") == 1
    assert snapshot(fresh / "services") == before


def test_an_unknown_service_is_refused(repo: Path) -> None:
    completed = mkservice(repo, "upgrade", "zz-no-such-service")

    assert completed.returncode == 2
    assert completed.stderr.startswith("There is no service 'zz-no-such-service' to upgrade")
    assert completed.stderr.count("\n") == 1


def test_a_failure_while_writing_puts_every_file_back(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _template_v2(repo, _every_kind_of_change)
    _team_changes(repo)
    plan = plan_upgrade(repo, [SLUG])
    before = snapshot(repo)
    written: list[Path] = []
    real_write = upgrade_module.write_atomically

    def failing_on_the_third(path: Path, content: str | bytes, **kwargs: object) -> None:
        if len(written) == 2:
            raise OSError("disk full")
        written.append(path)
        real_write(path, content)

    monkeypatch.setattr(upgrade_module, "write_atomically", failing_on_the_third)

    with pytest.raises(OSError, match="disk full"):
        apply_upgrade(plan)

    assert len(written) == 2
    assert snapshot(repo) == before


def test_the_check_fails_a_template_change_on_a_branch_without_a_new_version(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "a-template-change")
    _edit(repo / CONFIG, TEMPLATE_LINE, TEMPLATE_LINE.replace("adds.", "adds, unversioned."))
    _commit(repo, "a template change that forgets the version")

    completed = mkservice(repo, "upgrade", "--check")

    assert completed.returncode == 1
    assert f"but its version is still {OLD}: raise template_version in" in completed.stdout
    defaults = repo / "scaffold/template/cookiecutter.json"
    _edit(defaults, f'"template_version": "{OLD}"', f'"template_version": "{NEW}"')
    assert "version is still" not in mkservice(repo, "upgrade", "--check").stdout


def test_dry_run_of_a_conflicting_change_shows_the_markers_exits_1_and_writes_nothing(
    repo: Path,
) -> None:
    _template_v2(repo, lambda r: _edit(r / CONFIG, TEMPLATE_LINE, '    """The template says."""'))
    _edit(repo / SERVICE_CONFIG, TEMPLATE_LINE, '    """The team says."""')
    _commit(repo, "the team's docstring")
    before = snapshot(repo / "services")

    completed = mkservice(repo, "upgrade", SLUG, "--dry-run")

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"+<<<<<<< services/{SLUG} src/{PACKAGE}/config.py" in completed.stdout
    assert snapshot(repo / "services") == before
