"""The stock commands end to end: envelopes published into INVENTORY on a real nats-server,
applied by the service's consumer to a real database, answered through the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassis import Envelope
from chassis.testing import eventually
from nats.js.errors import NotFoundError

from inventory.messaging import contracts as c

if TYPE_CHECKING:
    from tests.conftest import Catalog, Saga


def reserve(order_id: str, **lines: int) -> dict[str, object]:
    return {
        "order_id": order_id,
        "lines": [{"sku": f"sku-{sku}", "quantity": q} for sku, q in lines.items()],
    }


async def test_reserves_stock_and_answers_with_prices_and_total(
    saga: Saga, catalog: Catalog
) -> None:
    await catalog.add("sku-lamp", stock=5, price_cents=3900)
    await catalog.add("sku-mug", stock=3, price_cents=1200)

    command = await saga.send(c.RESERVE_STOCK, reserve("o-1", lamp=2, mug=1))
    received = await saga.answer(command)
    answer = received.envelope

    assert received.subject == "inventory.evt.stock-reserved"
    assert (answer.type, answer.source, answer.schema_version) == (
        "inventory.stock-reserved",
        "inventory",
        1,
    )
    assert (answer.correlation_id, answer.causation_id) == ("o-1", command.id)
    assert answer.data == {
        "order_id": "o-1",
        "lines": [
            {"sku": "sku-lamp", "quantity": 2, "unit_price_cents": 3900},
            {"sku": "sku-mug", "quantity": 1, "unit_price_cents": 1200},
        ],
        "total_cents": 9000,
    }
    assert await catalog.stock("sku-lamp") == (3, 2, 0)
    reservation = (await catalog.client.get("/reservations/o-1")).json()
    assert reservation["status"] == "RESERVED"
    assert reservation["total_cents"] == 9000


async def test_the_same_order_reserved_twice_holds_stock_once_and_answers_twice_the_same(
    saga: Saga, catalog: Catalog
) -> None:
    """Two different commands (two envelope ids) for one order: one reservation, and two
    answers whose data is identical (each caused by its own command)."""
    await catalog.add("sku-lamp", stock=5)
    first = await saga.send(c.RESERVE_STOCK, reserve("o-1", lamp=2))
    second = await saga.send(c.RESERVE_STOCK, reserve("o-1", lamp=2))

    one, two = (await saga.answer(first)).envelope, (await saga.answer(second)).envelope
    assert one.type == two.type == "inventory.stock-reserved"
    assert one.data == two.data
    assert await catalog.stock("sku-lamp") == (3, 2, 0)


async def test_a_redelivered_command_is_applied_and_answered_once(
    saga: Saga, catalog: Catalog
) -> None:
    """The SAME envelope stored twice in the stream: the inbox drops the second delivery, so
    there is exactly one answer to it."""
    await catalog.add("sku-lamp", stock=5)
    command = await saga.send(c.RESERVE_STOCK, reserve("o-1", lamp=1))
    await saga.send(c.RESERVE_STOCK, {}, envelope=command)
    # A later command of the same order is answered after anything the duplicate caused
    # (one consumer, in stream order; one order's answers are published in order).
    await saga.request(c.RESERVE_STOCK, reserve("o-1", lamp=1))

    assert len(saga.answers_to(command)) == 1
    assert await catalog.stock("sku-lamp") == (4, 1, 0)


async def test_rejects_an_order_out_of_stock_and_changes_nothing(
    saga: Saga, catalog: Catalog
) -> None:
    await catalog.add("sku-lamp", stock=5)
    await catalog.add("sku-last", stock=1)

    rejected = await saga.request(c.RESERVE_STOCK, reserve("o-1", lamp=1, last=2))
    assert rejected.subject == "inventory.evt.stock-rejected"
    assert rejected.envelope.data == {
        "order_id": "o-1",
        "reason": "out of stock",
        "unavailable": [{"sku": "sku-last", "requested": 2, "available": 1}],
    }
    assert await catalog.stock("sku-lamp") == (5, 0, 0)
    assert await catalog.stock("sku-last") == (1, 0, 0)
    assert (await catalog.client.get("/reservations/o-1")).status_code == 404

    unknown = await saga.request(c.RESERVE_STOCK, reserve("o-2", nope=1))
    assert unknown.envelope.data["reason"] == "unknown sku"


async def test_releases_stock_when_the_saga_compensates(saga: Saga, catalog: Catalog) -> None:
    await catalog.add("sku-lamp", stock=5)
    await saga.request(c.RESERVE_STOCK, reserve("o-1", lamp=2))

    release = {"order_id": "o-1", "reason": "card declined"}
    released = await saga.request(c.RELEASE_STOCK, release)
    assert (released.subject, released.envelope.data) == (
        "inventory.evt.stock-released",
        {"order_id": "o-1"},
    )
    assert await catalog.stock("sku-lamp") == (5, 0, 0)
    again = await saga.request(c.RELEASE_STOCK, release)
    assert again.envelope.type == "inventory.stock-released"
    assert await catalog.stock("sku-lamp") == (5, 0, 0)

    reservation = (await catalog.client.get("/reservations/o-1")).json()
    assert (reservation["status"], reservation["reason"]) == ("RELEASED", "card declined")


async def test_a_reserve_after_a_release_of_an_unknown_order_is_rejected_as_released(
    saga: Saga, catalog: Catalog
) -> None:
    await catalog.add("sku-lamp", stock=5)
    released = await saga.request(c.RELEASE_STOCK, {"order_id": "o-1", "reason": "timeout"})
    assert released.envelope.type == "inventory.stock-released"

    late = (await saga.request(c.RESERVE_STOCK, reserve("o-1", lamp=1))).envelope
    assert late.type == "inventory.stock-rejected"
    assert late.data == {"order_id": "o-1", "reason": "released", "unavailable": []}
    assert await catalog.stock("sku-lamp") == (5, 0, 0)
    tombstone = (await catalog.client.get("/reservations/o-1")).json()
    assert (tombstone["status"], tombstone["lines"]) == ("RELEASED", [])


async def test_commit_moves_reserved_stock_to_sold(saga: Saga, catalog: Catalog) -> None:
    await catalog.add("sku-lamp", stock=5)
    await saga.request(c.RESERVE_STOCK, reserve("o-1", lamp=2))

    committed = await saga.request(c.COMMIT_STOCK, {"order_id": "o-1"})
    assert (committed.subject, committed.envelope.data) == (
        "inventory.evt.stock-committed",
        {"order_id": "o-1"},
    )
    assert await catalog.stock("sku-lamp") == (3, 0, 2)
    again = await saga.request(c.COMMIT_STOCK, {"order_id": "o-1"})
    assert again.envelope.type == "inventory.stock-committed"
    assert await catalog.stock("sku-lamp") == (3, 0, 2)
    assert (await catalog.client.get("/reservations/o-1")).json()["status"] == "COMMITTED"


async def test_a_commit_after_release_is_answered_with_nothing(
    saga: Saga, catalog: Catalog
) -> None:
    await catalog.add("sku-lamp", stock=5)
    await saga.request(c.RESERVE_STOCK, reserve("o-1", lamp=2))
    await saga.request(c.RELEASE_STOCK, {"order_id": "o-1", "reason": "declined"})

    commit = await saga.send(c.COMMIT_STOCK, {"order_id": "o-1"})
    await saga.request(c.RELEASE_STOCK, {"order_id": "o-1", "reason": "probe"})
    assert saga.answers_to(commit) == []
    assert await catalog.stock("sku-lamp") == (5, 0, 0)


async def test_a_command_breaking_its_contract_is_parked_and_changes_nothing(
    saga: Saga, catalog: Catalog
) -> None:
    await catalog.add("sku-lamp", stock=5)
    command = await saga.send(c.RESERVE_STOCK, reserve("o-1", lamp=0))

    async def parked() -> Envelope | None:
        try:
            message = await saga.probe.js.get_last_msg("INVENTORY", "inventory.dlq.commands")
        except NotFoundError:
            return None
        return Envelope.parse(message.data or b"")

    assert await eventually(parked) == command
    assert saga.answers_to(command) == []
    assert await catalog.stock("sku-lamp") == (5, 0, 0)
