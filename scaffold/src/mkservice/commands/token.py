"""``mkservice token --customer ID [--scope SCOPE ...]``: print a bearer token that the services
of ``mkservice up`` accept, signed with the workspace's development key (docs/security.md).

Only the token goes to standard output, so ``TOKEN=$(mkservice token --customer c-1)`` works.
Exit status: 0 printed, 2 a bad option (one sentence, nothing written but the key made on first
use).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root

# RFC 6749's scope-token: printable ASCII but space, '"' and '\'.
_SCOPE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")
MAX_LIFETIME_S = 30 * 86_400


def register(app: typer.Typer) -> None:
    """Add the ``token`` command to ``app``."""
    app.command("token")(token)


def token(
    customer: Annotated[
        str,
        typer.Option("--customer", help="Who the token speaks for (its subject, e.g. c-1)."),
    ],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A scope to grant (repeat it): admin, metrics."),
    ] = None,
    expires_in: Annotated[
        int, typer.Option("--expires-in", help="Seconds until it expires.")
    ] = 3600,
    audience: Annotated[
        str, typer.Option("--audience", help="The audience the services expect.")
    ] = "mkservice",
) -> None:
    """Print a bearer token for the local stack: `curl -H "Authorization: Bearer $(mkservice
    token --customer c-1)" ...`. With `--scope admin` it may change the catalogue, read
    payments and the operations API; `--scope metrics` scrapes /metrics."""
    from chassis.settings import DATA_DIR_ENV

    from mkservice.stack.dev_issuer import workspace_issuer

    scopes = scope or []
    if not customer.strip() or len(customer) > 200 or any(ch.isspace() for ch in customer):
        stop("--customer takes an id of 1 to 200 characters without spaces, e.g. c-1.")
    bad = [given for given in scopes if not _SCOPE.match(given)]
    if bad:
        stop(f"{bad[0]!r} is not a scope: a scope is one word of printable characters.")
    if not 1 <= expires_in <= MAX_LIFETIME_S:
        stop(f"--expires-in takes 1 to {MAX_LIFETIME_S} seconds, not {expires_in}.")
    if not audience.strip():
        stop("--audience cannot be blank.")
    root = workspace_root()
    data_dir = Path(os.environ.get(DATA_DIR_ENV) or root / ".data")
    try:
        issuer = workspace_issuer(data_dir)
    except (OSError, ValueError) as error:
        stop(f"The development key in {data_dir} cannot be used: {error}.")
    typer.echo(issuer.token(customer, scopes, audience=audience, expires_in_s=expires_in))
