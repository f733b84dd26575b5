"""The connection to NATS JetStream: connects in the background, reconnects for ever.

A service must start, serve and accept writes while the broker is down (the outbox buffers), so
``Broker.start`` never waits for the broker; publishers and consumers wait for ``connected``.

Against a cluster, the URL setting lists every node (comma-separated); the client connects to
any one of them and fails over to another when its node dies, and the stream is kept on
``replicas`` nodes so that it outlives one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from chassis.tasks import cancel_and_wait
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

log = logging.getLogger(__name__)

# Creating or checking the stream is one or two requests; past this, the connection is broken.
_STREAM_SETUP_TIMEOUT_S = 10.0
# What a single nats-server answers a stream of more than one replica (JetStream's err_code
# 10074), and how often a service so misconfigured tries again (the operator may fix the server).
_NOT_CLUSTERED = "replicas > 1 not supported in non-clustered mode"
_MISCONFIGURED_RETRY_S = 5.0


class BrokerUnavailable(Exception):
    """The broker cannot be reached right now; try again later."""


class Broker:
    """One service's NATS connection and JetStream context, and the stream it owns."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        stream: str,
        subjects: list[str],
        user: str | None = None,
        password: str | None = None,
        duplicate_window_s: float = 120.0,
        replicas: int = 1,
        setting: str = "the NATS URL",
        replicas_setting: str = "the stream's replicas",
    ) -> None:
        self.url = url
        self.servers = [server.strip() for server in url.split(",") if server.strip()]
        self.replicas = replicas
        self.name = name
        self.stream = stream
        self.subjects = subjects
        self._user = user or None
        self._password = password if user else None
        self._duplicate_window_s = duplicate_window_s
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._ready = asyncio.Event()
        self._connector: asyncio.Task[None] | None = None
        self._closing = False
        self._warned = False
        self.setting = setting
        self.replicas_setting = replicas_setting

    @property
    def connected(self) -> bool:
        return self._ready.is_set() and self._nc is not None and self._nc.is_connected

    @property
    def js(self) -> JetStreamContext:
        if self._js is None or not self.connected:
            raise BrokerUnavailable(f"not connected to NATS at {self.url}")
        return self._js

    @property
    def server_url(self) -> str | None:
        """The URL of the server this connection is on right now (one node of a cluster)."""
        if not self.connected or self._nc is None or self._nc.connected_url is None:
            return None
        return self._nc.connected_url.geturl()

    def start(self) -> None:
        """Begin connecting in the background."""
        if self._connector is None:
            self._connector = asyncio.create_task(self._connect(), name=f"{self.name}-nats")

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until connected (and the stream exists); raises TimeoutError after ``timeout``.

        Always waits for a live connection, not only for the ready flag: between a dropped
        connection and nats-py's disconnect callback the flag is still set, and a caller that
        loops on ``connected`` would spin here without yielding, starving the very reconnect it
        waits for (a relay froze its process this way when a cluster node was killed).
        """
        async with asyncio.timeout(timeout):
            while not self.connected:
                if self._ready.is_set():
                    await asyncio.sleep(0.05)  # the disconnect callback has not run yet
                else:
                    await self._ready.wait()

    async def _connect(self) -> None:
        async def on_reconnect() -> None:
            server = self._nc.connected_url if self._nc is not None else None
            log.info("reconnected to NATS at %s", server.geturl() if server else "?")
            await self._ensure_stream_quietly()
            self._ready.set()

        async def on_disconnect() -> None:
            self._ready.clear()
            if not self._closing:
                log.warning("disconnected from NATS; reconnecting")

        async def on_error(error: Exception) -> None:
            if not self._ready.is_set() and not self._warned:
                # Say once, in words an operator can act on, which setting points where.
                log.warning(
                    "cannot reach NATS at %s (%s): %s; serving anyway, events wait in the "
                    "outbox until it is reachable",
                    self.url, self.setting, error,
                )  # fmt: skip
                self._warned = True
            log.debug("NATS: %s", error)

        while True:
            client = Client()
            try:
                # Every server of a cluster: nats-py tries them in random order (spreading
                # clients over the nodes), and on a disconnect moves to the next one.
                await client.connect(
                    servers=self.servers,
                    name=self.name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,  # type: ignore[arg-type]  # typed int, any float works
                    connect_timeout=2,
                    allow_reconnect=True,
                    reconnected_cb=on_reconnect,
                    disconnected_cb=on_disconnect,
                    error_cb=on_error,
                    user=self._user,
                    password=self._password,
                )
                if not client.is_connected:
                    raise ConnectionError("the server went away during the handshake")
            except Exception as error:
                # nats-py retries refused connections and cut handshakes for ever by itself. An
                # error outside its retry loop, or a client handed back unconnected, would
                # otherwise leave this service without a broker for good, with nothing logged
                # (the suspected cause of one stalled fault run): start over instead.
                log.warning("connecting to NATS at %s failed (%r); trying again", self.url, error)
                with contextlib.suppress(Exception):
                    await client.close()
                await asyncio.sleep(0.5)
                continue
            self._nc = client
            break
        self._js = self._nc.jetstream()
        while True:
            try:
                async with asyncio.timeout(_STREAM_SETUP_TIMEOUT_S):
                    await self.ensure_stream()
                break
            except Exception as error:  # the server may still be starting JetStream
                if _NOT_CLUSTERED in str(error):
                    # Configuration, not a server still starting: say which setting, and why.
                    log.error(
                        "%s=%d asks for a stream kept on %d NATS nodes, but the server at %s "
                        "(%s) is not part of a cluster: set it to 1 or point %s at a cluster; "
                        "until then events wait in the outbox",
                        self.replicas_setting, self.replicas, self.replicas, self.url,
                        self.setting, self.setting,
                    )  # fmt: skip
                    await asyncio.sleep(_MISCONFIGURED_RETRY_S)
                    continue
                log.warning("cannot create stream %s yet: %r", self.stream, error)
                await asyncio.sleep(0.5)
        self._ready.set()

    async def ensure_stream(self) -> None:
        """Create this service's stream, or update it to the configured subjects and number of
        replicas (JetStream moves an existing stream from 1 to 3 replicas in place)."""
        assert self._js is not None
        config = StreamConfig(
            name=self.stream,
            subjects=self.subjects,
            duplicate_window=self._duplicate_window_s,
            num_replicas=self.replicas,
        )
        try:
            await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(config)
        else:
            await self._js.update_stream(config)

    async def _ensure_stream_quietly(self) -> None:
        # After a broker restart with a wiped store, the stream must be recreated.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_STREAM_SETUP_TIMEOUT_S):
                await self.ensure_stream()

    async def publish(
        self, subject: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Any:
        """Publish to JetStream and wait for the stream's acknowledgement, ``timeout`` at most.

        The deadline covers the whole call, not only the wait for the acknowledgement: around a
        reconnect nats-py can block while handing the message to its flusher, and the relay
        calls this inside a transaction (on SQLite, holding the service's only write lock).
        """
        try:
            async with asyncio.timeout(timeout):
                return await self.js.publish(subject, body, timeout=timeout, headers=headers)
        except BrokerUnavailable:
            raise
        except Exception as error:
            raise BrokerUnavailable(f"publish to {subject} failed: {error!r}") from error

    async def close(self) -> None:
        """Drain the connection (flushing what was sent) and stop reconnecting."""
        self._closing = True
        await cancel_and_wait(self._connector)
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                if self._nc.is_connected:
                    async with asyncio.timeout(5):
                        await self._nc.drain()
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._ready.clear()
