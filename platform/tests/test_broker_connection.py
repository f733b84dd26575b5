"""The broker connection survives a server that dies in the middle of the handshake.

A service that starts while nats-server is being killed must still end up connected, on its
own, once a server answers: a service left without its broker keeps serving while its outbox
fills up and its consumers wait, and nothing says so. (A PostgreSQL fault run once wedged a
service this way after a broker kill; this test covers the cut handshake, one way in.) And a
stream asked to keep more replicas than a single server can is said to be the setting's fault,
by name, instead of being retried in silence.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from chassis.embedded_nats import NatsServer, free_port
from chassis.messaging import Broker


async def test_a_handshake_cut_short_is_retried_until_the_server_answers(tmp_path: Path) -> None:
    port = free_port()
    attempts = asyncio.Queue[int]()

    async def greet_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A server that dies after its INFO, before answering the client's CONNECT and PING.
        info = {"server_id": "dying", "version": "2.15.0", "proto": 1, "max_payload": 1048576}
        writer.write(b"INFO " + json.dumps(info).encode() + b"\r\n")
        await writer.drain()
        await reader.readline()  # CONNECT {...}
        writer.close()
        attempts.put_nowait(1)

    dying = await asyncio.start_server(greet_then_drop, "127.0.0.1", port)
    broker = Broker(f"nats://127.0.0.1:{port}", name="t", stream="T", subjects=["t.>"])
    broker.start()
    try:
        for _ in range(2):  # the first attempt failed, and it tried again
            await asyncio.wait_for(attempts.get(), timeout=20)
        dying.close()
        await dying.wait_closed()
        server = NatsServer(tmp_path / "nats", port=port).start()
        try:
            await broker.wait_connected(timeout=20)
            assert broker.connected
            await broker.publish("t.x", b"{}", {"Nats-Msg-Id": "m-1"}, timeout=5)
        finally:
            await broker.close()
            server.stop()
    finally:
        await broker.close()


async def test_three_replicas_on_a_single_server_are_named_as_the_setting_to_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = NatsServer(tmp_path / "nats").start()
    broker = Broker(
        server.url, name="t", stream="T", subjects=["t.>"], replicas=3,
        setting="T_NATS_URL", replicas_setting="T_STREAM_REPLICAS",
    )  # fmt: skip
    caplog.set_level(logging.ERROR, logger="chassis.messaging")
    broker.start()
    try:
        for _ in range(100):
            if caplog.records:
                break
            await asyncio.sleep(0.1)
        [said] = [record.getMessage() for record in caplog.records]
        assert said.startswith("T_STREAM_REPLICAS=3 asks for a stream kept on 3 NATS nodes")
        assert "set it to 1 or point T_NATS_URL at a cluster" in said
        assert not broker.connected  # nothing is published to a stream that does not exist
    finally:
        await broker.close()
        server.stop()
