"""The console's dead letters (``mkservice.console.dead_letters``) against a real nats-server:
a message parked by a real chassis consumer is listed, replayed once or discarded for a reason,
and the console's own NATS user (``mkservice.stack.nats_auth``) may do that and nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from chassis import Contract, Envelope, Incoming, Subscription, add_messaging_tables, on
from chassis.consumer import Consumer, ConsumerPolicy
from chassis.db import Database
from chassis.inbox import Inbox
from chassis.messaging import Broker
from chassis.testing import NatsServer, eventually
from nats.js.api import AckPolicy, ConsumerConfig
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from mkservice.console.dead_letters import (
    AlreadyHandled,
    BadKey,
    DeadLetter,
    DeadLetterGone,
    DeadLetters,
    ReasonRequired,
)
from mkservice.stack.nats_auth import (
    CONSOLE_USER,
    OPERATOR_USER,
    NatsCredentials,
    default_grant,
    render_config,
)

SERVICES = ["widgets", "orders"]


class WidgetMadeV1(BaseModel):
    n: int = 0


WIDGET_MADE = Contract("widgets.evt.made", "widgets.made", WidgetMadeV1)
metadata = MetaData()
effects = Table(
    "widget_effect",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=False),
)
tables = add_messaging_tables(metadata)


@dataclass
class Widgets:
    """A minimal service: one consumer of its own events that fails while ``broken``, a
    database with its inbox and a log of the effects it applied."""

    database: Database
    broker: Broker
    broken: bool = True
    consumers: list[Consumer] = field(default_factory=list)

    def start_consumer(self) -> None:
        async def apply(_payload: WidgetMadeV1, incoming: Incoming) -> None:
            if self.broken:
                raise RuntimeError("the widget factory is closed")
            await incoming.session.execute(insert(effects).values(message_id=incoming.envelope.id))

        consumer = Consumer(
            Subscription.of("effects", [on(WIDGET_MADE, apply)], subjects="widgets.evt.>"),
            service="widgets",
            database=self.database,
            inbox=Inbox(tables.inbox, self.database.dialect),
            broker=self.broker,
            policy=ConsumerPolicy(max_deliver=2, backoff_s=(0.05,), idle_pull_s=0.2),
        )
        consumer.start()
        self.consumers.append(consumer)

    async def publish(self, envelope: Envelope) -> None:
        headers = envelope.headers() | {"Mk-Test": "kept"}
        await self.broker.publish(WIDGET_MADE.subject, envelope.body(), headers, timeout=5)

    async def effects(self) -> list[str]:
        async with self.database.sessions() as session:
            return list((await session.execute(select(effects.c.message_id))).scalars())

    async def parked_count(self) -> int:
        info = await self.broker.js.stream_info("WIDGETS", subjects_filter="widgets.dlq.>")
        return sum((info.state.subjects or {}).values())


async def started_widgets(
    url: str, server: NatsServer, user: str | None = None, password: str | None = None
) -> Widgets:
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    broker = Broker(
        server.url, name="widgets", stream="WIDGETS", subjects=["widgets.>"],
        user=user, password=password,
    )  # fmt: skip
    broker.start()
    await broker.wait_connected(15)
    return Widgets(database, broker)


async def stop(widgets: Widgets) -> None:
    for consumer in widgets.consumers:
        await consumer.stop()
    await widgets.broker.close()
    await widgets.database.dispose()


@pytest.fixture
async def widgets(
    database_url_for: Callable[[str], str], nats_server: NatsServer
) -> AsyncIterator[Widgets]:
    service = await started_widgets(database_url_for("widgets"), nats_server)
    yield service
    await stop(service)


@pytest.fixture
async def console(nats_server: NatsServer) -> AsyncIterator[DeadLetters]:
    connection = await nats.connect(nats_server.url)
    yield DeadLetters(connection.jetstream(), SERVICES)
    await connection.close()


async def parked_one(widgets: Widgets, console: DeadLetters) -> tuple[Envelope, DeadLetter]:
    """A widget the consumer fails on until it parks it; the message and its dead letter."""
    made = Envelope(type="widgets.made", source="widgets", correlation_id="w-1", data={"n": 1})
    await widgets.publish(made)
    widgets.start_consumer()
    await eventually(widgets.parked_count)
    [letter] = await console.parked()
    return made, letter


async def test_a_parked_message_is_listed_with_its_reason_subject_headers_and_body(
    widgets: Widgets, console: DeadLetters
) -> None:
    made, letter = await parked_one(widgets, console)

    assert (letter.service, letter.stream) == ("widgets", "WIDGETS")
    assert letter.subject == "widgets.dlq.effects"
    assert letter.key == f"WIDGETS.{letter.sequence}"
    assert letter.consumer == "widgets-effects"
    assert "failed 2 times" in letter.reason and "the widget factory is closed" in letter.reason
    assert letter.original_subject == "widgets.evt.made"
    assert letter.headers["Mk-Test"] == "kept" and letter.headers["Mk-Type"] == "widgets.made"
    assert not {"Mk-Dead-Letter-Reason", "Mk-Original-Subject", "Nats-Msg-Id"} & set(letter.headers)
    assert Envelope.parse(letter.body.encode()) == made
    assert (letter.message_id, letter.message_type) == (made.id, "widgets.made")
    assert letter.parked_at.tzinfo is not None
    assert await console.get(letter.key) == letter
    assert await console.action_for(letter.key) is None


async def test_a_replay_is_applied_once_and_cannot_be_repeated(
    widgets: Widgets, console: DeadLetters
) -> None:
    made, letter = await parked_one(widgets, console)
    widgets.broken = False  # the cause is fixed

    done = await console.replay(letter.key)

    assert (done.action, done.message_id) == ("replayed", made.id)
    assert done.original_subject == "widgets.evt.made"
    assert await eventually(widgets.effects) == [made.id]
    assert await console.parked() == []
    with pytest.raises(DeadLetterGone):
        await console.get(letter.key)
    with pytest.raises(AlreadyHandled, match="was already replayed at") as refused:
        await console.replay(letter.key)
    assert refused.value.action == done
    assert await console.action_for(letter.key) == done
    assert await console.actions() == [done]
    await asyncio.sleep(0.5)
    assert await widgets.effects() == [made.id]


async def test_a_replay_cut_short_is_finished_without_a_second_effect(
    widgets: Widgets, console: DeadLetters, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, letter = await parked_one(widgets, console)
    widgets.broken = False

    # The console dies after publishing, before removing the dead letter.
    async def dies(*_args: Any) -> None:
        raise ConnectionError("the console died")

    monkeypatch.setattr(console.js, "delete_msg", dies)
    with pytest.raises(Exception, match="could not be removed"):
        await console.replay(letter.key)
    monkeypatch.undo()
    assert await eventually(widgets.effects) == [made.id]
    assert [parked.key for parked in await console.parked()] == [letter.key]

    done = await console.replay(letter.key)  # record present, dead letter still there

    assert done == await console.action_for(letter.key)
    assert await console.parked() == []
    await asyncio.sleep(0.5)
    assert await widgets.effects() == [made.id]


async def test_a_replay_claimed_but_never_published_is_finished_once(
    widgets: Widgets, console: DeadLetters, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, letter = await parked_one(widgets, console)
    widgets.broken = False

    # The console is stopped between recording the replay (in its KV bucket) and publishing it.
    publish = console.js.publish

    async def stopped(subject: str, *args: Any, **kwargs: Any) -> Any:
        if not subject.startswith("$KV."):
            raise asyncio.CancelledError
        return await publish(subject, *args, **kwargs)

    monkeypatch.setattr(console.js, "publish", stopped)
    with pytest.raises(asyncio.CancelledError):
        await console.replay(letter.key)
    monkeypatch.undo()
    claimed = await console.action_for(letter.key)
    assert claimed is not None and claimed.action == "replayed"

    assert await console.replay(letter.key) == claimed
    assert await eventually(widgets.effects) == [made.id]
    assert await console.parked() == []


async def test_a_discard_needs_a_reason_and_records_it(
    widgets: Widgets, console: DeadLetters
) -> None:
    _, letter = await parked_one(widgets, console)

    for reason in ["", "   ", "x" * 501]:
        with pytest.raises(ReasonRequired):
            await console.discard(letter.key, reason)
    done = await console.discard(letter.key, "a test widget, never real")

    assert (done.action, done.reason) == ("discarded", "a test widget, never real")
    assert await console.parked() == []
    with pytest.raises(AlreadyHandled, match="was discarded at .* because a test widget"):
        await console.replay(letter.key)
    assert await console.actions() == [done]
    assert await widgets.effects() == []


async def test_a_failed_publish_leaves_the_dead_letter_to_try_again(
    widgets: Widgets, console: DeadLetters
) -> None:
    headers = {"Mk-Dead-Letter-Reason": "test", "Mk-Original-Subject": "orders.cmd.place"}
    await widgets.broker.publish("widgets.dlq.effects", b"{}", headers, timeout=5)
    [letter] = await console.parked()

    with pytest.raises(Exception, match="could not be replayed to orders.cmd.place"):
        await console.replay(letter.key)  # there is no ORDERS stream to take it

    assert await console.action_for(letter.key) is None
    assert [parked.key for parked in await console.parked()] == [letter.key]
    assert (await console.discard(letter.key, "no orders here")).action == "discarded"


async def test_unknown_and_bad_keys_are_refused(widgets: Widgets, console: DeadLetters) -> None:
    await widgets.publish(Envelope(type="widgets.made", source="widgets", correlation_id="w"))

    with pytest.raises(DeadLetterGone):
        await console.get("WIDGETS.999")
    with pytest.raises(DeadLetterGone):
        await console.replay("ORDERS.1")  # no stream yet
    with pytest.raises(DeadLetterGone):
        await console.discard("WIDGETS.1", "an event, not a dead letter")
    for key in ["WIDGETS", "WIDGETS.x", "WIDGETS.0", "PAYMENTS.1", "../WIDGETS.1"]:
        with pytest.raises(BadKey):
            await console.get(key)
    assert await console.parked() == []


# --- the console's own NATS user -----------------------------------------------------------------
def secured_config(tmp_path: Path) -> NatsCredentials:
    users = {"widgets": "widgets-pw", "orders": "orders-pw", OPERATOR_USER: "op-pw"}
    credentials = NatsCredentials({**users, CONSOLE_USER: "console-pw"})
    grants = [default_grant(service) for service in SERVICES]
    (tmp_path / "nats.conf").write_text(render_config(grants, credentials))
    return credentials


async def test_the_console_user_handles_dead_letters_and_nothing_more(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    credentials = secured_config(tmp_path)
    server = NatsServer(tmp_path / "nats", config_file=tmp_path / "nats.conf").start()
    errors: list[str] = []

    async def on_error(error: Exception) -> None:
        errors.append(str(error).lower())

    widgets = await started_widgets(
        database_url_for("widgets"), server, user="widgets", password="widgets-pw"
    )
    connection = await nats.connect(
        server.url, user=CONSOLE_USER, password=credentials.password(CONSOLE_USER),
        error_cb=on_error, allow_reconnect=False,
    )  # fmt: skip
    try:
        console = DeadLetters(connection.jetstream(timeout=2), SERVICES)
        _, first = await parked_one(widgets, console)
        widgets.broken = False
        assert (await console.replay(first.key)).action == "replayed"
        assert await eventually(widgets.effects)
        widgets.broken = True
        await widgets.publish(Envelope(type="widgets.made", source="widgets", correlation_id="2"))
        await eventually(console.parked)
        [second] = await console.parked()
        assert (await console.discard(second.key, "enough widgets")).action == "discarded"
        assert len(await console.actions()) == 2

        with pytest.raises(Exception):  # noqa: B017 - nats-py answers a refused request so
            config = ConsumerConfig(durable_name="sneaky", ack_policy=AckPolicy.EXPLICIT)
            await connection.jetstream(timeout=2).add_consumer("WIDGETS", config)
        await connection.publish("orders.dlq.x", b"{}")
        await connection.flush()
        await eventually(lambda: any('publish to "orders.dlq.x"' in e for e in errors))
        assert any("$js.api.consumer." in e for e in errors), errors
    finally:
        await connection.close()
        await stop(widgets)
        server.kill()


def test_the_rendered_config_grants_the_console_only_its_subjects() -> None:
    grants = [default_grant(service) for service in SERVICES]
    users = {"widgets": "a", "orders": "b"}
    without = render_config(grants, NatsCredentials(users))
    config = render_config(grants, NatsCredentials({**users, CONSOLE_USER: "c"}))

    assert CONSOLE_USER not in without, "callers that name no console get no console user"
    services, console = config.split(f'    {{ user: "{CONSOLE_USER}"')
    assert services == without[: without.rindex("  ]")], "the services' users are unchanged"
    for subject in [
        "$JS.API.STREAM.MSG.GET.WIDGETS", "$JS.API.STREAM.MSG.DELETE.ORDERS",
        "$KV.DEAD_LETTER_ACTIONS.>", "widgets.cmd.>", "orders.evt.>", "_INBOX.>",
    ]:  # fmt: skip
        assert f'"{subject}"' in console
    for subject in ['"widgets.>"', "CONSUMER", "STREAM.CREATE.WIDGETS", "STREAM.DELETE", "dlq"]:
        assert subject not in console
