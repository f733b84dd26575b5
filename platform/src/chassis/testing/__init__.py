"""Test helpers: a real nats-server, throwaway databases, a probe that sends a service messages
and reads its answers, and the pytest plugin using them."""

from chassis.embedded_nats import NatsCluster, NatsServer, free_port, nats_server_binary
from chassis.testing.clock import ManualClock
from chassis.testing.databases import (
    MODE_ENV,
    PostgresSandbox,
    SandboxDatabase,
    selected_db_mode,
    sqlite_url,
)
from chassis.testing.issuer import TestIssuer
from chassis.testing.messaging import MessageProbe, Received
from chassis.testing.waiting import eventually

__all__ = [
    "MODE_ENV",
    "ManualClock",
    "MessageProbe",
    "NatsCluster",
    "NatsServer",
    "PostgresSandbox",
    "Received",
    "SandboxDatabase",
    "TestIssuer",
    "eventually",
    "free_port",
    "nats_server_binary",
    "sqlite_url",
    "selected_db_mode",
]
