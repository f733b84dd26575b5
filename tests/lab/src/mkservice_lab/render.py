"""Rich renderings of what the checkout did: saga timelines, and generic tables of JSON records
(stock, payments) whose fields may grow without an edit here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

_STATUS_STYLES = {"CONFIRMED": "bold green", "REJECTED": "bold red", "PENDING": "yellow"}
_OUTCOME_STYLES = {
    "started": "dim",
    "succeeded": "green",
    "confirmed": "bold green",
    "failed": "red",
    "timed out": "red",
    "rejected": "bold red",
}


def short_id(identifier: object) -> str:
    """The first 8 characters of an id, like a short git hash: enough to tell orders apart."""
    return str(identifier)[:8]


def status_text(status: str | None) -> Text:
    return Text(str(status), style=_STATUS_STYLES.get(str(status), ""))


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def timeline_table(label: str, order: Mapping[str, Any], expected: str) -> Group:
    """A heading (label, id, status, reason), then the saga's steps; ``at`` is shown as seconds
    since the order was created, which makes the step deadline visible."""
    status = str(order.get("status"))
    reason = order.get("reason")
    heading = Text.assemble(
        "\n", (label, "bold"), "  order ", short_id(order.get("id")), "  ", status_text(status),
        f"  ({reason})" if reason else "",
        ("" if status == expected else f"  expected {expected}!", "bold red"),
    )  # fmt: skip
    table = Table()
    table.add_column("+s", justify="right")
    for column in ("step", "outcome", "detail"):
        table.add_column(column, overflow="fold")
    created = _moment(order.get("created_at"))
    for entry in order.get("timeline") or []:
        at = _moment(entry.get("at"))
        offset = f"{(at - created).total_seconds():.2f}" if at and created else str(entry.get("at"))
        outcome = str(entry.get("outcome", ""))
        table.add_row(
            offset, str(entry.get("step", "")),
            Text(outcome, style=_OUTCOME_STYLES.get(outcome.lower(), "")),
            str(entry.get("detail") or ""),
        )  # fmt: skip
    return Group(heading, table)


def records_table(
    title: str,
    records: Sequence[Mapping[str, Any]],
    first: Sequence[str],
    omit: Sequence[str] = (),
) -> Table:
    """A table of JSON objects: the ``first`` fields in that order, then any other field seen
    but those in ``omit`` (so a field the API adds later shows up without an edit here)."""
    columns = [field for field in first if any(field in record for record in records)]
    for record in records:
        columns += [f for f in record if f not in columns and f not in omit]
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*(_cell(record.get(column)) for column in columns))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return str(value) if len(str(value)) <= 60 else f"{str(value)[:57]}..."
    return str(value)
