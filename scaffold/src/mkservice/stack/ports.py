"""Choosing ports: a service's registered port when it is free, another free one otherwise.

A developer's machine often runs something on 8001-8003 or 4222 already (another checkout, a
system nats-server); the stack must still start, so a taken port is replaced, never fatal.
"""

from __future__ import annotations

import socket

LOCALHOST = "127.0.0.1"


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """Whether a server could bind ``host:port`` right now.

    No ``SO_REUSEADDR``: a port held by a listener (also one on 0.0.0.0) must count as taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
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
        while True:
            port = any_free_port()
            if port not in self._given:
                return self._give(port)

    def replace(self, taken: int) -> int:
        """A new port for one that turned out to be taken by the time the service bound it."""
        self._given.add(taken)
        return self.allocate()

    def _give(self, port: int) -> int:
        self._given.add(port)
        return port
