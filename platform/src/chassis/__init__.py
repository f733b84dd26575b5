"""The service chassis: what every mkservice service is built on.

- :mod:`chassis.settings`: ``ServiceSettings``, ``service_config``, ``load_settings``.
- :mod:`chassis.db`: ``Database`` (engine, sessions, ``transaction()`` unit of work).
- :mod:`chassis.tables`: ``add_messaging_tables`` (``outbox_message``, ``processed_message``).
- :mod:`chassis.envelope`: ``Envelope``, the versioned message every service exchanges.
- :mod:`chassis.outbox` / :mod:`chassis.relay`: write messages in the business transaction;
  publish them to JetStream afterwards, at least once.
- :mod:`chassis.inbox` / :mod:`chassis.consumer`: apply each message once; park poison messages.
- :mod:`chassis.messaging`: ``Broker``, the NATS connection and the service's own stream.
- :mod:`chassis.runtime` / :mod:`chassis.app`: ``ServiceRuntime`` and ``create_service_app``.
- :mod:`chassis.migrations`: Alembic from code; ``run_env`` for each service's ``env.py``.
- :mod:`chassis.contracts` / :mod:`chassis.unit_of_work`: message contracts; the handlers'
  transaction with ``send`` into the outbox.
- :mod:`chassis.service_cli`: ``python -m <service> migrate|serve``.
- :mod:`chassis.testing`: a real nats-server and throwaway databases for tests.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Public name -> the module that defines it. Imported on first use, so that importing a light
# module (chassis.workspace, say) does not pull in FastAPI and SQLAlchemy.
_EXPORTS = {
    "Broker": "chassis.messaging",
    "BrokerUnavailable": "chassis.messaging",
    "ConfigError": "chassis.settings",
    "ConsumerPolicy": "chassis.consumer",
    "Contract": "chassis.contracts",
    "Database": "chassis.db",
    "DomainError": "chassis.app",
    "Envelope": "chassis.envelope",
    "Handler": "chassis.consumer",
    "InvalidInput": "chassis.app",
    "MessagingTables": "chassis.tables",
    "NotFound": "chassis.app",
    "Outbox": "chassis.outbox",
    "Route": "chassis.consumer",
    "ServiceRuntime": "chassis.runtime",
    "ServiceSettings": "chassis.settings",
    "Subscription": "chassis.consumer",
    "Text": "chassis.text",
    "UTCDateTime": "chassis.types",
    "UnitOfWork": "chassis.unit_of_work",
    "add_messaging_tables": "chassis.tables",
    "create_service_app": "chassis.app",
    "load_settings": "chassis.settings",
    "problem": "chassis.app",
    "service_config": "chassis.settings",
}

__all__ = [
    "Broker",
    "BrokerUnavailable",
    "ConfigError",
    "ConsumerPolicy",
    "Contract",
    "Database",
    "DomainError",
    "Envelope",
    "Handler",
    "InvalidInput",
    "MessagingTables",
    "NotFound",
    "Outbox",
    "Route",
    "ServiceRuntime",
    "ServiceSettings",
    "Subscription",
    "Text",
    "UTCDateTime",
    "UnitOfWork",
    "add_messaging_tables",
    "create_service_app",
    "load_settings",
    "problem",
    "service_config",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'chassis' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from chassis.app import DomainError, InvalidInput, NotFound, create_service_app, problem
    from chassis.consumer import ConsumerPolicy, Handler, Route, Subscription
    from chassis.contracts import Contract
    from chassis.db import Database
    from chassis.envelope import Envelope
    from chassis.messaging import Broker, BrokerUnavailable
    from chassis.outbox import Outbox
    from chassis.runtime import ServiceRuntime
    from chassis.settings import ConfigError, ServiceSettings, load_settings, service_config
    from chassis.tables import MessagingTables, add_messaging_tables
    from chassis.text import Text
    from chassis.types import UTCDateTime
    from chassis.unit_of_work import UnitOfWork
