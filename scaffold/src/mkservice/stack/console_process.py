"""The saga console as one more process of the local stack (``python -m mkservice.console``).

It is not a service: it has no database, no stream and no record. It reads the services' APIs
at the URLs the stack gave them and their dead letters through NATS as its own user
(``nats_auth.CONSOLE_USER``), and binds to 127.0.0.1 only. Its port is :data:`CONSOLE_PORT`
when free (so its URL stays the same from run to run), else any free port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mkservice.stack.discovery import ServiceSpec
from mkservice.stack.nats_auth import CONSOLE_USER, NatsCredentials
from mkservice.stack.ports import LOCALHOST
from mkservice.stack.process import ServiceProcess

CONSOLE_NAME = "console"
CONSOLE_PORT = 8090
CONSOLE_PACKAGE = "mkservice.console"
# The subject of the admin token it calls the services with, valid as long as a stack runs in
# practice (a week): the dev issuer cannot refresh a token inside a running process.
CONSOLE_SUBJECT = "_console"
CONSOLE_TOKEN_S = 7 * 86_400


def console_process(
    *,
    port: int,
    service_urls: Mapping[str, str],
    nats_url: str,
    credentials: NatsCredentials | None,
    service_token: str,
    env: Mapping[str, str],
    log_file: Path,
    python: str,
    cwd: Path,
) -> ServiceProcess:
    """The console's process, reading ``service_urls`` (with ``service_token``, an admin
    token) and the NATS at ``nats_url``."""
    spec = ServiceSpec(CONSOLE_NAME, CONSOLE_PACKAGE, port, cwd)
    settings = {
        "services": json.dumps(dict(service_urls)),
        "nats_url": nats_url,
        "host": LOCALHOST,
        "service_token": service_token,
    }
    if credentials is not None and CONSOLE_USER in credentials.users:
        settings["nats_user"] = CONSOLE_USER
        settings["nats_password"] = credentials.password(CONSOLE_USER)
    console_env = {spec.env_name(name): value for name, value in settings.items()}
    return ServiceProcess(
        spec, port=port, env={**env, **console_env, "PYTHONUNBUFFERED": "1"},
        log_file=log_file, python=python, cwd=cwd, migrate=False,
    )  # fmt: skip
