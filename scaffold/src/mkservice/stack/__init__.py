"""The local stack: a nats-server and every service as real processes, under a supervisor.

``mkservice up``, ``mkservice demo`` and the end-to-end tests (tests/e2e) all run it.

The names below are loaded when first used (PEP 562): the generator imports
``mkservice.stack.nats_auth`` on every ``mkservice new``, and loading the supervisor with it
(the token signing it serves pulls in PyJWT and cryptography) cost that command 0.15 s.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkservice.stack.discovery import DiscoveryError, ServiceSpec, discover_services
    from mkservice.stack.ports import PortAllocator, port_is_free
    from mkservice.stack.process import ServiceProcess, StackError, log_tail
    from mkservice.stack.signals import stop_signals_interrupt
    from mkservice.stack.supervisor import PortInUse, Supervisor

_HOMES = {
    "DiscoveryError": "discovery",
    "ServiceSpec": "discovery",
    "discover_services": "discovery",
    "PortAllocator": "ports",
    "port_is_free": "ports",
    "ServiceProcess": "process",
    "StackError": "process",
    "log_tail": "process",
    "stop_signals_interrupt": "signals",
    "PortInUse": "supervisor",
    "Supervisor": "supervisor",
}

__all__ = [
    "DiscoveryError",
    "PortAllocator",
    "PortInUse",
    "ServiceProcess",
    "ServiceSpec",
    "StackError",
    "Supervisor",
    "discover_services",
    "log_tail",
    "port_is_free",
    "stop_signals_interrupt",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
