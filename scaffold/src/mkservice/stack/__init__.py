"""The local stack: a nats-server and every service as real processes, under a supervisor.

``mkservice up``, ``mkservice demo`` and the end-to-end tests (tests/e2e) all run it.
"""

from mkservice.stack.discovery import DiscoveryError, ServiceSpec, discover_services
from mkservice.stack.ports import PortAllocator, port_is_free
from mkservice.stack.process import ServiceProcess, StackError, log_tail
from mkservice.stack.signals import stop_signals_interrupt
from mkservice.stack.supervisor import PortInUse, Supervisor

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
