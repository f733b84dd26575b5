"""The workspace this test lives in keeps its own boundaries."""

from pathlib import Path

from mkservice.check import find_workspace_root, report_json, run_static_checks


def test_the_real_workspace_passes_every_static_check() -> None:
    root = find_workspace_root(Path(__file__).parent)
    assert root is not None

    report = run_static_checks(root)

    assert report.ok, report_json(report)
