"""The command line every service has: ``python -m <package> migrate|serve|<extra>``.

Bad configuration ends the process with exit code 2 and one sentence naming the variable.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from chassis.logs import configure_logging
from chassis.migrations import upgrade
from chassis.settings import ConfigError, ServiceSettings
from chassis.tracing import configure_tracing
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("chassis.service")
S = TypeVar("S", bound=ServiceSettings)
ExtraCommand = Callable[[Any], Coroutine[Any, Any, None]]


def run_service_cli(
    *,
    name: str,
    load: Callable[[], S],
    create_app: Callable[[S], FastAPI],
    migrations_dir: Path,
    extra: dict[str, tuple[str, ExtraCommand]] | None = None,
    argv: list[str] | None = None,
) -> None:
    """Parse ``argv`` and run a service command.

    ``extra`` maps a command name to (help text, ``async fn(settings)``), e.g. a seed command.
    """
    extra = extra or {}
    parser = argparse.ArgumentParser(prog=f"python -m {name}", description=f"The {name} service.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade this service's database to the newest revision")
    serve = commands.add_parser("serve", help="serve the HTTP API, relay and consumers")
    serve.add_argument("--migrate", action="store_true", help="migrate before serving")
    for command, (help_text, _) in extra.items():
        commands.add_parser(command, help=help_text)
    args = parser.parse_args(argv)

    try:
        settings = load()
    except ConfigError as error:
        print(f"{name}: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.service_name, settings.log_format, label=name)
    # Say first where this process connects: a default that reaches someone else's server
    # (another NATS on 127.0.0.1:4222, say) should be seen, not guessed.
    for line in where_it_connects(settings):
        log.info("%s", line)

    if args.command in {"migrate", "serve"} and (args.command == "migrate" or args.migrate):
        try:
            # As the migrator, which owns the schema; the service then serves as the runtime role.
            upgrade(migrations_dir, settings.migration_database_url)
        except (OSError, SQLAlchemyError) as error:
            print(f"{name}: {_cannot_migrate(settings, error)}", file=sys.stderr)
            raise SystemExit(2) from None
    if args.command == "serve":
        import uvicorn

        # Before the app is made: it traces its requests when an OTLP endpoint is configured.
        configure_tracing(settings.service_name)

        try:
            app = create_app(settings)
        except ConfigError as error:
            print(f"{name}: configuration error: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    elif args.command in extra:
        asyncio.run(extra[args.command][1](settings))


def where_it_connects(settings: ServiceSettings) -> list[str]:
    """The database and NATS a service uses, passwords masked, each with its variable."""
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    nats = ",".join(_mask_nats(server) for server in settings.nats_url.split(","))
    user = f" as user {settings.nats_user}" if settings.nats_user else ""
    lines = [f"database {database} ({settings.env_name('database_url')})"]
    if settings.migration_database_url != settings.database_url:
        migrator = make_url(settings.migration_database_url).render_as_string(hide_password=True)
        lines.append(f"migrations {migrator} ({settings.env_name('migration_database_url')})")
    return [*lines, f"NATS {nats}{user} ({settings.env_name('nats_url')})"]


def _mask_nats(server: str) -> str:
    parts = urlsplit(server.strip())
    if parts.password is None:
        return server.strip()
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _cannot_migrate(settings: ServiceSettings, error: BaseException) -> str:
    """One sentence naming the migration URL's variable (the runtime one's when it was not set,
    as the person set only that), its value without password, and the cause."""
    separate = settings.migration_database_url != settings.database_url
    field = "migration_database_url" if separate else "database_url"
    url = make_url(getattr(settings, field)).render_as_string(hide_password=True)
    cause = getattr(error, "orig", None) or error
    reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"cannot open the database {url} ({settings.env_name(field)}): {reason}"
