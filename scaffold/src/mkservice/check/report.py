"""Showing a report: a rich table for people, a JSON object for machines."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mkservice.check.results import CheckResult, Report


def report_json(report: Report) -> str:
    """The report as the JSON object ``mkservice check --json`` prints."""
    return json.dumps(report.to_dict(), indent=2)


def render_report(report: Report, console: Console) -> None:
    """Print one row per check (its symptom, PASS or FAIL, evidence) and a one-line verdict."""
    table = Table(title="Service boundaries", show_lines=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Evidence", overflow="fold")
    for number, check in enumerate(report.checks, start=1):
        table.add_row(_check_cell(number, check), _result_cell(check), _evidence_cell(check))
    console.print(table)
    failed = sum(not check.passed for check in report.checks)
    if failed:
        console.print(Text(f"{failed} of {len(report.checks)} checks failed", style="bold red"))
    else:
        console.print(Text(f"all {len(report.checks)} checks passed", style="bold green"))


def _check_cell(number: int, check: CheckResult) -> Text:
    cell = Text(f"{number}. {check.name}\n", style="bold")
    cell.append(check.symptom, style="dim")
    return cell


def _result_cell(check: CheckResult) -> Text:
    return Text("PASS", style="bold green") if check.passed else Text("FAIL", style="bold red")


def _evidence_cell(check: CheckResult) -> Text:
    # Text, not markup: details quote code and SQL, which may contain square brackets.
    lines = [
        f"{finding.file}:{finding.line}  {finding.detail} [{', '.join(finding.services)}]"
        for finding in check.findings
    ]
    return Text("\n".join(lines))
