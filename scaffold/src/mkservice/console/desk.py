"""The console's connection to NATS, as its own user, and the dead letters seen through it.

It connects on first use rather than at start-up, so the console serves its saga pages while
NATS is still coming up (or down for a moment), and says so on the dead-letter page instead of
failing to start.
"""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client

from mkservice.console.dead_letters import DeadLetters
from mkservice.console.settings import ConsoleSettings

log = logging.getLogger("mkservice.console")


class NatsUnavailable(Exception):
    """NATS could not be reached (the page says so, and the next request tries again)."""


class DeadLetterDesk:
    """Hands out :class:`DeadLetters` over one NATS connection, made when first needed."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._letters: DeadLetters | None = None
        self._connecting = asyncio.Lock()

    async def letters(self) -> DeadLetters:
        async with self._connecting:
            if self._letters is None:
                self._client = await self._connect()
                self._letters = DeadLetters(self._client.jetstream(), list(self.settings.services))
        return self._letters

    async def _connect(self) -> Client:
        servers = [url.strip() for url in self.settings.nats_url.split(",") if url.strip()]
        try:
            # nats-py retries a first connection as it would a lost one: bound the wait.
            async with asyncio.timeout(3 * self.settings.request_timeout_s):
                return await nats.connect(
                    servers=servers,
                    user=self.settings.nats_user,
                    password=self.settings.nats_password,
                    name="mkservice-console",
                    connect_timeout=2,
                    # Once connected, ride out an outage instead of giving up on the connection.
                    max_reconnect_attempts=-1,
                )
        except Exception as error:  # refused, timed out, authorization violation, no server
            log.warning("console: cannot reach NATS at %s: %r", self.settings.nats_url, error)
            raise NatsUnavailable(f"NATS at {self.settings.nats_url} did not answer") from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
