"""``mkservice test`` finds its suites: every workspace member with tests, then the repo's
cross-service tests without the members inside them."""

from __future__ import annotations

from pathlib import Path

from mkservice.testrun import discover_suites


def _member(root: Path, folder: str, *, tests: bool = True) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "pyproject.toml").write_text(f'[project]\nname = "{Path(folder).name}"\n')
    if tests:
        (root / folder / "tests").mkdir()
        (root / folder / "tests" / "test_it.py").write_text("def test_it():\n    pass\n")


def test_finds_the_members_the_workspace_takes_in(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["platform", "tests/lab", "services/*"]\n'
        'exclude = ["services/old"]\n'
    )
    _member(tmp_path, "platform")
    _member(tmp_path, "tests/lab")
    _member(tmp_path, "services/b")
    _member(tmp_path, "services/a")
    _member(tmp_path, "services/old")
    _member(tmp_path, "services/quiet", tests=False)
    (tmp_path / "services" / "notes").mkdir()  # no pyproject.toml: not a member
    (tmp_path / "tests" / "e2e").mkdir()
    (tmp_path / "tests" / "e2e" / "test_e2e.py").write_text("def test_e2e():\n    pass\n")

    suites = discover_suites(tmp_path)

    names = ["platform", "tests/lab", "services/a", "services/b", "tests"]
    assert [suite.name for suite in suites] == names
    # The lab is its own suite, so the cross-service suite leaves it out.
    assert suites[-1].nested == (tmp_path / "tests" / "lab",)


def test_a_workspace_without_the_lab_runs_the_rest(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["services/*"]\n')
    _member(tmp_path, "services/shipping")

    assert [suite.name for suite in discover_suites(tmp_path)] == ["services/shipping"]
