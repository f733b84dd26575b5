"""Choosing ports: each service's registered port, or a free one when asked for free ports.

What happens when a registered port is taken is the caller's choice (see ``Supervisor``):
``mkservice up`` waits a little (a stack that was just stopped may still be letting go) and then
refuses, naming the port and the service, because a service that silently moves to a random port
is one nobody can find; the demo and the tests take free ports.
"""

from __future__ import annotations

import socket
import time

LOCALHOST = "127.0.0.1"


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """Whether a server could bind ``host:port`` right now.

    The probe binds as the services' uvicorn and nats-server do, with ``SO_REUSEADDR``: a port
    another program listens on (also on 0.0.0.0) is taken, while one whose last connections
    linger in TIME_WAIT (for a minute after a stack stops) is free, since a server binds it at once.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_free(port: int, deadline: float, host: str = LOCALHOST) -> bool:
    """Whether ``port`` is free, or becomes free before ``deadline`` (a ``time.monotonic()``)."""
    while not port_is_free(port, host):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def any_free_port(host: str = LOCALHOST) -> int:
    """A port the kernel picks among the free ephemeral ones."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class PortAllocator:
    """Hands out ports, never the same one twice within one stack.

    Why remember them: the kernel may offer service B the port that service A was just given but
    has not bound yet.
    """

    def __init__(self, *, prefer_registered: bool = True) -> None:
        self.prefer_registered = prefer_registered
        self._given: set[int] = set()

    def allocate(self, registered: int | None = None) -> int:
        """``registered`` when preferred and free, else a fresh free port."""
        if (
            self.prefer_registered
            and registered is not None
            and registered not in self._given
            and port_is_free(registered)
        ):
            return self._give(registered)
        return self.free()

    def free(self) -> int:
        """A fresh free port, whatever is preferred."""
        while True:
            port = any_free_port()
            if port not in self._given:
                return self._give(port)

    def give(self, port: int) -> int:
        """Hand out ``port`` itself (a registered port the caller waited for)."""
        return self._give(port)

    def replace(self, taken: int) -> int:
        """A new port for one that turned out to be taken by the time the service bound it."""
        self._given.add(taken)
        return self.free()

    def _give(self, port: int) -> int:
        self._given.add(port)
        return port
