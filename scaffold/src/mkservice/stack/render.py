"""How a running stack is shown: each service's (each replica's) URL, API docs and log, then NATS.

In a terminal, a rich table. Anywhere else (a pipe, a CI log, a file) one plain line per service,
never wrapped: a table folded at 80 columns breaks every URL, the NATS URL with its password
included, and a URL nobody can copy is no use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from mkservice.stack.supervisor import Supervisor

_COLUMNS = ("service", "URL", "API docs", "log")


def _rows(supervisor: Supervisor) -> list[tuple[str, str, str, str]]:
    """One row per service replica (``orders``, ``orders-2``, ...), then nats-server's (or the
    NATS given), as in :data:`_COLUMNS`."""
    run_dir = supervisor.run_dir
    rows = [
        (
            process.label,
            process.url,
            f"{process.url}/docs",
            str(process.log_file.relative_to(run_dir)),
        )
        for process in supervisor.processes
    ]
    if supervisor.console is not None:
        log_file = str(supervisor.console.log_file.relative_to(run_dir))
        rows.append(("console", supervisor.console.url, "", log_file))
    if supervisor.nats_cluster is not None:
        logs = supervisor.logs_dir.relative_to(run_dir) / "nats-n*.log"
        size = len(supervisor.nats_cluster.nodes)
        rows.append((f"nats-server x{size}", supervisor.operator_nats_url, "", str(logs)))
    elif supervisor.nats is not None:
        log = supervisor.logs_dir.relative_to(run_dir) / "nats-server.log"
        # The operator's URL, for the nats CLI; each service has its own user (nats.conf).
        rows.append(("nats-server", supervisor.operator_nats_url, "", str(log)))
    else:
        rows.append(("NATS (given)", supervisor.nats_url, "", ""))
    return rows


def _run_folder(supervisor: Supervisor) -> str:
    return f"Run folder (logs, data): {supervisor.run_dir}"


def services_table(supervisor: Supervisor) -> Group:
    """The rich table: each service's URL, its API docs and its log file (in the run folder);
    NATS last."""
    table = Table(title="The stack", title_justify="left")
    for column in _COLUMNS:
        table.add_column(column, overflow="fold")
    *services, nats = _rows(supervisor)
    for row in services:
        table.add_row(*row)
    table.add_row(*nats, style="dim")
    return Group(table, Text(_run_folder(supervisor), style="dim"))


def services_lines(supervisor: Supervisor) -> list[str]:
    """The same, as plain lines: a header and one line per service in aligned columns, then NATS
    (its long URL outside the columns) and the run folder."""
    *services, nats = _rows(supervisor)
    rows = [_COLUMNS, *services]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    widths[0] = max(widths[0], len(nats[0]))
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    name, url, _, log = nats
    lines.append("  ".join(filter(None, [name.ljust(widths[0]), url, log])))
    return [*lines, _run_folder(supervisor)]


def print_services(console: Console, supervisor: Supervisor) -> None:
    """The table on a terminal, plain lines elsewhere (never wrapped, so every URL copies)."""
    if console.is_terminal:
        console.print(services_table(supervisor))
        return
    for line in services_lines(supervisor):
        console.print(line, soft_wrap=True, highlight=False, markup=False)
