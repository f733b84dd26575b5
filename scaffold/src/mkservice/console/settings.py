"""What the console is configured with, read from ``CONSOLE_*`` environment variables.

The local stack (``mkservice up``, ``make demo``) sets them all; run alone, the console needs at
least ``CONSOLE_SERVICES`` (which services to show, and where their APIs are) and
``CONSOLE_NATS_URL``. A bad value stops start-up naming its variable
(:func:`chassis.settings.load_settings`).
"""

from __future__ import annotations

import ipaddress

from chassis.settings import service_config
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

ENV_PREFIX = "CONSOLE_"
# The service whose operations API holds the sagas; without it the console shows dead letters.
SAGA_OWNER = "orders"


class ConsoleSettings(BaseSettings):
    model_config = service_config(ENV_PREFIX)

    # {"orders": "http://127.0.0.1:8001", ...}: each service's API, whose streams' dead letters
    # the console also shows.
    services: dict[str, str] = Field(min_length=1)
    nats_url: str = "nats://127.0.0.1:4222"
    # The console's own NATS user (mkservice.stack.nats_auth.CONSOLE_USER), allowed only what
    # reading and replaying dead letters needs.
    nats_user: str | None = None
    nats_password: str | None = None
    # A link to a trace, e.g. http://127.0.0.1:16686/trace/{trace_id} (Jaeger's UI); unset, the
    # console shows the trace id without a link.
    trace_url: str | None = None
    # The bearer token it calls the services' APIs with: an admin token (operations API,
    # payments, reservations). `mkservice up` mints one with the workspace's dev issuer.
    service_token: str | None = None
    # Only this machine: the console replays and discards messages and has no login of its own,
    # so it is not public; a host other than a loopback address is refused (docs/security.md).
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=1, le=65535)
    # How often the saga list asks for news, in seconds (the page polls; docs/adr/0024).
    refresh_s: float = Field(default=2.0, gt=0, le=60)
    # How long a service's API may take to answer one request.
    request_timeout_s: float = Field(default=5.0, gt=0, le=60)

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, host: str) -> str:
        if host != "localhost":
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise ValueError(
                    f"the console has no login, so it binds to this machine only: use 127.0.0.1, "
                    f"not {host!r}"
                )
        return host

    @field_validator("services")
    @classmethod
    def _urls(cls, services: dict[str, str]) -> dict[str, str]:
        for name, url in services.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(
                    f"the URL of {name} must start with http:// or https://, not {url!r}"
                )
        return {name: url.rstrip("/") for name, url in services.items()}

    @field_validator("trace_url")
    @classmethod
    def _trace_url(cls, template: str | None) -> str | None:
        if template and "{trace_id}" not in template:
            raise ValueError(
                "it must contain {trace_id}, e.g. http://127.0.0.1:16686/trace/{trace_id}"
            )
        return template or None

    @property
    def sagas_url(self) -> str | None:
        """Orders' API, when the stack has orders (the saga views need it)."""
        return self.services.get(SAGA_OWNER)

    def trace_link(self, trace_id: str | None) -> str | None:
        if not trace_id or not self.trace_url:
            return None
        return self.trace_url.replace("{trace_id}", trace_id)
