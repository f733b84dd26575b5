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
  transaction, whose ``emit`` writes domain events into the outbox as messages.
- :mod:`chassis.asyncapi`: ``asyncapi_document``, a service's contracts as AsyncAPI 3.0.
- :mod:`chassis.naming`: the stream, subjects and environment prefix derived from a name.
- :mod:`chassis.clock`, :mod:`chassis.periodic`, :mod:`chassis.housekeeping`: the clock passed
  to entrypoints; background loops; pruning of the outbox and inbox.
- :mod:`chassis.text`, :mod:`chassis.numbers`: ``Text``, ``NonBlankText`` and ``Integer``,
  request fields that mean what the OpenAPI says and that every database can store.
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
    "Clock": "chassis.clock",
    "ConfigError": "chassis.settings",
    "ConsumerPolicy": "chassis.consumer",
    "Contract": "chassis.contracts",
    "Database": "chassis.db",
    "DomainError": "chassis.app",
    "Envelope": "chassis.envelope",
    "Handler": "chassis.consumer",
    "Housekeeping": "chassis.housekeeping",
    "Incoming": "chassis.consumer",
    "Integer": "chassis.numbers",
    "InvalidInput": "chassis.app",
    "MessagingTables": "chassis.tables",
    "NotFound": "chassis.app",
    "Outbox": "chassis.outbox",
    "Outgoing": "chassis.unit_of_work",
    "OutgoingMessage": "chassis.unit_of_work",
    "Periodic": "chassis.periodic",
    "Route": "chassis.consumer",
    "ServiceRuntime": "chassis.runtime",
    "ServiceSettings": "chassis.settings",
    "Subscription": "chassis.consumer",
    "NonBlankText": "chassis.text",
    "Text": "chassis.text",
    "UTCDateTime": "chassis.types",
    "UnitOfWork": "chassis.unit_of_work",
    "add_messaging_tables": "chassis.tables",
    "asyncapi_document": "chassis.asyncapi",
    "contracts_in": "chassis.asyncapi",
    "table_of": "chassis.tables",
    "create_service_app": "chassis.app",
    "load_settings": "chassis.settings",
    "on": "chassis.consumer",
    "problem": "chassis.app",
    "service_config": "chassis.settings",
    "utcnow": "chassis.clock",
}

__all__ = [
    "Broker",
    "BrokerUnavailable",
    "Clock",
    "ConfigError",
    "ConsumerPolicy",
    "Contract",
    "Database",
    "DomainError",
    "Envelope",
    "Handler",
    "Housekeeping",
    "Incoming",
    "Integer",
    "InvalidInput",
    "MessagingTables",
    "NotFound",
    "Outbox",
    "Outgoing",
    "OutgoingMessage",
    "Periodic",
    "Route",
    "ServiceRuntime",
    "ServiceSettings",
    "Subscription",
    "NonBlankText",
    "Text",
    "UTCDateTime",
    "UnitOfWork",
    "add_messaging_tables",
    "asyncapi_document",
    "contracts_in",
    "table_of",
    "create_service_app",
    "load_settings",
    "on",
    "problem",
    "service_config",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'chassis' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from chassis.app import DomainError, InvalidInput, NotFound, create_service_app, problem
    from chassis.asyncapi import asyncapi_document, contracts_in
    from chassis.clock import Clock, utcnow
    from chassis.consumer import ConsumerPolicy, Handler, Incoming, Route, Subscription, on
    from chassis.contracts import Contract
    from chassis.db import Database
    from chassis.envelope import Envelope
    from chassis.housekeeping import Housekeeping
    from chassis.messaging import Broker, BrokerUnavailable
    from chassis.numbers import Integer
    from chassis.outbox import Outbox
    from chassis.periodic import Periodic
    from chassis.runtime import ServiceRuntime
    from chassis.settings import ConfigError, ServiceSettings, load_settings, service_config
    from chassis.tables import MessagingTables, add_messaging_tables, table_of
    from chassis.text import NonBlankText, Text
    from chassis.types import UTCDateTime
    from chassis.unit_of_work import Outgoing, OutgoingMessage, UnitOfWork
