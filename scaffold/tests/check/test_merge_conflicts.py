"""Check 7: no file of a service still holds the markers of an unresolved merge conflict."""

import textwrap
from pathlib import Path

from planted import failing, planted_repo

from mkservice.check import Finding

CONFLICT = textwrap.dedent("""\
    <<<<<<< ours
    port = 8001
    =======
    port = 8101
    >>>>>>> template
    """)

DIFF3_CONFLICT = textwrap.dedent("""\
    <<<<<<< ours
    FROM python:3.12-slim
    ||||||| base
    FROM python:3.11-slim
    =======
    FROM python:3.13-slim
    >>>>>>> template
    """)


def _where(findings: tuple[Finding, ...]) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(f.file, f.line, f.services) for f in findings]


def test_a_clean_workspace_passes(tmp_path: Path) -> None:
    report = planted_repo(tmp_path).check()

    assert report.check("merge-conflicts").passed


def test_fails_at_the_opening_marker_of_a_conflict_naming_the_service(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write("services/payments/deploy/settings.toml", "[service]\n" + CONFLICT)

    report = repo.check()

    assert failing(report) == ["merge-conflicts"]
    findings = report.check("merge-conflicts").findings
    assert _where(findings) == [("services/payments/deploy/settings.toml", 2, ("payments",))]
    assert "unresolved merge conflict" in findings[0].detail
    assert "mkservice upgrade" in findings[0].detail


def test_fails_on_a_diff3_style_conflict(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write("services/orders/Dockerfile", DIFF3_CONFLICT + "WORKDIR /app\n")

    findings = repo.check().check("merge-conflicts").findings

    assert _where(findings) == [("services/orders/Dockerfile", 1, ("orders",))]


def test_gives_one_finding_per_conflict_in_a_file(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/orders/src/orders/settings.py",
        '"""Settings."""\n' + CONFLICT + "\nTIMEOUT = 5\n\n" + CONFLICT,
    )

    findings = repo.check().check("merge-conflicts").findings

    assert [f.line for f in findings] == [2, 10]


def test_passes_on_heading_underlines_and_markers_out_of_order(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    repo.write(
        "services/orders/README.md",
        """\
        Orders
        =======

        >>>>>>> a quoted quote, not a conflict

        Usage
        =======
        """,
    )
    repo.write("services/orders/docs/notes.rst", "=======\nNotes\n=======\n\n<<<<<<< a stray\n")

    assert repo.check().check("merge-conflicts").passed


def test_skips_binary_files_and_caches(tmp_path: Path) -> None:
    repo = planted_repo(tmp_path)
    (repo.root / "services/orders/logo.png").write_bytes(
        b"\x89PNG\r\n\x1a\n\0\0\n" + CONFLICT.encode()
    )
    repo.write("services/orders/.venv/lib/site.py", CONFLICT)
    repo.write("services/orders/src/orders/__pycache__/notes.txt", CONFLICT)

    assert repo.check().check("merge-conflicts").passed
