"""How every mkservice command stops on bad input or a failed step: one plain sentence on
stderr (and, with ``--json``, ``{"ok": false, "error": ...}`` on stdout), then its exit status
(2 refused and nothing written, 1 a step failed and was undone, 130 interrupted)."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer


def stop(message: str, code: int = 2, json_output: bool = False) -> NoReturn:
    """Print ``message`` and exit with ``code``."""
    # One plain sentence, never wrapped or decorated: scripts and people both read it.
    if json_output:
        typer.echo(json.dumps({"ok": False, "error": message}))
    sys.stderr.write(message + "\n")
    raise typer.Exit(code)
