"""The probe every service's tests use to talk to it over a real nats-server."""

from __future__ import annotations

from chassis import Contract
from chassis.testing import MessageProbe, NatsServer
from pydantic import BaseModel


class PingV1(BaseModel):
    n: int


PING = Contract("echo.cmd.ping", "echo.ping", PingV1)
PONG = Contract("echo.evt.pong", "echo.pong", PingV1)


async def test_it_plays_an_owner_a_caller_and_an_answering_service(
    nats_server: NatsServer,
) -> None:
    async with (
        MessageProbe(nats_server.url, source="caller") as caller,
        MessageProbe(nats_server.url, source="echo") as echo,
    ):
        await echo.create_stream_of("echo")
        await caller.follow("echo.evt.>")
        await echo.follow("echo.cmd.>")

        ping = await caller.send(PING, PingV1(n=7), correlation_id="c-1")
        [received] = await echo.wait_for("c-1")
        assert (received.type, received.data, received.source) == ("echo.ping", {"n": 7}, "caller")
        await echo.send(PONG, {"n": 8}, correlation_id="c-1", causation_id=ping.id)

        answer = await caller.answer(ping)
        assert answer.subject == "echo.evt.pong"
        assert answer.envelope.data == {"n": 8}
        assert [e.type for e in caller.of("c-1")] == ["echo.pong"]
