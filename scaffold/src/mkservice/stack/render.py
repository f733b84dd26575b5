"""The rich rendering of a running stack: each service's URL, API docs and log."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mkservice.stack.supervisor import Supervisor


def services_table(supervisor: Supervisor) -> Group:
    """Each service's URL, its API docs and its log file (in the run folder); NATS last."""
    table = Table(title="The stack", title_justify="left")
    for column in ("service", "URL", "API docs", "log"):
        table.add_column(column, overflow="fold")
    run_dir = supervisor.run_dir
    for name, process in supervisor.services.items():
        log = process.log_file.relative_to(run_dir)
        table.add_row(name, process.url, f"{process.url}/docs", str(log))
    if supervisor.nats is not None:
        log = supervisor.logs_dir.relative_to(run_dir) / "nats-server.log"
        # The operator's URL, for the nats CLI; each service has its own user (nats.conf).
        table.add_row("nats-server", supervisor.operator_nats_url, "", str(log), style="dim")
    else:
        table.add_row("NATS (given)", supervisor.nats_url, "", "", style="dim")
    return Group(table, Text(f"Run folder (logs, data): {run_dir}", style="dim"))
