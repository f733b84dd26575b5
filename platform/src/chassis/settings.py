"""Settings every service shares, read from the environment under the service's own prefix.

A service subclasses :class:`ServiceSettings` and names itself; its prefix follows from the name
(:func:`chassis.naming.env_prefix`)::

    class OrdersSettings(ServiceSettings):
        service_name: ClassVar[str] = "orders"

Every number has bounds, so a value that would make no sense (a port of 99999, a poll interval
of -3 seconds) stops startup naming its variable instead of misbehaving later.

Build it with :func:`load_settings`, which turns a validation error into a :class:`ConfigError`
that names the environment variable, so a bad value stops startup with a sentence a person can act
on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit

from chassis import naming
from chassis.workspace import find_workspace_root
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# The URL schemes a service accepts, and the async driver each one is run with.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

DATA_DIR_ENV = "MKSERVICE_DATA_DIR"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


def service_config(env_prefix: str) -> SettingsConfigDict:
    """The pydantic-settings configuration of settings read under ``env_prefix``."""
    return SettingsConfigDict(env_prefix=env_prefix, extra="ignore", validate_default=True)


def default_data_dir() -> Path:
    """Where SQLite files live by default: $MKSERVICE_DATA_DIR, else <workspace>/.data."""
    if configured := os.environ.get(DATA_DIR_ENV):
        return Path(configured)
    root = find_workspace_root() or Path.cwd()
    return root / ".data"


def normalize_database_url(raw: str) -> str:
    """Parse a database URL and return it with the async driver the chassis runs it with."""
    try:
        url: URL = make_url(raw)
    except ArgumentError as error:
        raise ValueError(f"{raw!r} is not a database URL") from error
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        known = ", ".join(sorted({"sqlite", "postgresql"}))
        raise ValueError(f"unknown database scheme {url.drivername!r} (use one of: {known})")
    if driver.startswith("sqlite") and not url.database:
        raise ValueError("a SQLite URL needs a file path, e.g. sqlite:///./.data/orders.db")
    if driver.startswith("postgresql") and not url.database:
        raise ValueError("a PostgreSQL URL needs a database name")
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _where(url: str) -> tuple[str, str | None, int | None, str | None]:
    """A database URL without its role: the dialect, host, port and database it reaches."""
    parts = make_url(url)
    return parts.get_backend_name(), parts.host, parts.port, parts.database


class ServiceSettings(BaseSettings):
    """What every service is configured with. Subclasses set ``service_name``; the environment
    prefix is derived from it."""

    model_config = service_config("SERVICE_")
    service_name: ClassVar[str] = "service"

    # The runtime role's URL: it reads and writes the service's tables and can change no schema.
    database_url: str = ""
    # The migrator's URL, which owns the schema and runs `migrate` (ADR 0025); unset, the
    # runtime URL migrates too (SQLite, and databases with one role).
    migration_database_url: str = ""
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: str | None = None
    host: str = "127.0.0.1"
    # The stack (`mkservice up`, compose) sets each service's port from its record.
    port: int = Field(default=8000, ge=1, le=65535)
    # Outbox relay: how long it sleeps when nothing woke it, and its batch size.
    relay_poll_interval_s: float = Field(default=1.0, gt=0, le=3600)
    relay_batch_size: int = Field(default=200, ge=1, le=10_000)
    # Consumers: ack wait, deliveries before a message is parked, and the redelivery backoff.
    consumer_ack_wait_s: float = Field(default=30.0, gt=0, le=86_400)
    consumer_max_deliver: int = Field(default=5, ge=1, le=1000)
    consumer_backoff_s: tuple[float, ...] = (0.2, 1.0, 2.0, 5.0)
    publish_timeout_s: float = Field(default=2.0, gt=0, le=600)
    # Hostile input: a request body above this is refused with 413 before it is read whole; a
    # message above that is parked unread (below nats-server's own 1 MiB max_payload).
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    max_message_bytes: int = Field(default=262_144, ge=1024, le=64 * 1_048_576)
    # How many nodes of a NATS cluster keep this service's stream: 3 on a three-node cluster
    # (it then survives the loss of any one node), 1 on a single server, which takes no more.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # Housekeeping: how long delivered outbox rows and inbox records are kept, and how often
    # they are pruned (chassis.housekeeping).
    message_retention_s: float = Field(default=86_400.0, ge=60, le=366 * 86_400)
    housekeeping_interval_s: float = Field(default=300.0, gt=0, le=86_400)
    # With tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): a span per SQL statement too.
    trace_database: bool = False
    # json, text, or auto: JSON lines unless stderr is a terminal (chassis.logs).
    log_format: Literal["auto", "json", "text"] = "auto"
    # End-user authentication (chassis.auth, ADR 0026): bearer tokens of this issuer, checked
    # against its JWKS (https, or file:// for a key set on disk), for this audience. A service
    # does not serve without an issuer and a JWKS URL; `mkservice up` and compose set them.
    auth_issuer: str = ""
    auth_jwks_url: str = ""
    auth_audience: str = "mkservice"
    auth_algorithms: tuple[str, ...] = ("RS256", "ES256")
    # How long fetched keys are used before they are fetched again, and the clock skew allowed.
    auth_jwks_refresh_s: float = Field(default=300.0, ge=1, le=86_400)
    auth_leeway_s: float = Field(default=30.0, ge=0, le=600)
    # Test-only: names of crash points at which the process exits at once (see chassis.faults).
    crash_points: tuple[str, ...] = ()
    # Test-only: message types whose handling fails, so they are retried and parked (faults).
    failing_message_types: tuple[str, ...] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.model_config = {**cls.model_config, "env_prefix": naming.env_prefix(cls.service_name)}

    @field_validator("consumer_backoff_s")
    @classmethod
    def _positive_backoff(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < delay <= 3600 for delay in value):
            raise ValueError("every backoff delay must be above 0 and at most 3600 seconds")
        return value

    @field_validator("auth_algorithms")
    @classmethod
    def _asymmetric_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from chassis.auth.verifier import ASYMMETRIC_ALGORITHMS

        refused = sorted(set(value) - ASYMMETRIC_ALGORITHMS)
        if refused or not value:
            allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            raise ValueError(f"use asymmetric signature algorithms only (some of: {allowed})")
        return value

    @field_validator("auth_jwks_url")
    @classmethod
    def _jwks_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in {"https", "http", "file"}:
            raise ValueError("a JWKS URL starts with https://, http:// or file://")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_database(cls, values: Any) -> Any:
        if isinstance(values, dict) and not values.get("database_url"):
            path = default_data_dir() / f"{cls.service_name}.db"
            values = {**values, "database_url": f"sqlite+aiosqlite:///{path}"}
        return values

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("migration_database_url")
    @classmethod
    def _valid_migration_database_url(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return value
        url = normalize_database_url(value)
        runtime = info.data.get("database_url")
        # Two roles of one database: migrating another one than the service serves is a mistake.
        if runtime and _where(url) != _where(runtime):
            raise ValueError("must name the same database as the DATABASE_URL, as another role")
        return url

    @model_validator(mode="after")
    def _migrate_with_the_runtime_url_by_default(self) -> ServiceSettings:
        if not self.migration_database_url:
            self.migration_database_url = self.database_url
        return self

    @field_validator("nats_url")
    @classmethod
    def _valid_nats_url(cls, value: str) -> str:
        for server in value.split(","):
            parts = urlsplit(server.strip())
            if parts.scheme not in {"nats", "tls", "ws", "wss"} or not parts.hostname:
                raise ValueError(f"{server!r} is not a NATS URL such as nats://127.0.0.1:4222")
        return value

    @property
    def stream_name(self) -> str:
        """The JetStream stream this service owns (subjects ``<service>.>``)."""
        return naming.stream_name(self.service_name)

    def env_name(self, field: str) -> str:
        """The environment variable that sets ``field``."""
        return f"{self.model_config.get('env_prefix', '')}{field}".upper()


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings from the environment (and ``overrides``), or raise a :class:`ConfigError`
    whose message names each offending environment variable."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    try:
        return settings_class(**overrides)
    except SettingsError as error:
        # A list or tuple setting whose value is not JSON fails before validation.
        named = re.search(r'field "(\w+)"', str(error))
        name = f"{prefix}{named.group(1)}".upper() if named else "a setting"
        raise ConfigError(f"{name}: not a JSON list, e.g. [0.2, 1.0]") from None
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "?"
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{prefix}{field.upper()}: {message}")
        raise ConfigError("; ".join(problems)) from None
