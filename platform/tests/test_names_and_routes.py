"""Names derived once (chassis.naming) and consumer routes built from contracts."""

from __future__ import annotations

import pytest
from chassis import Contract, Subscription, naming, on
from pydantic import BaseModel


class ThingV1(BaseModel):
    id: str


RESERVE = Contract("stock-keeper.cmd.reserve", "stock-keeper.reserve", ThingV1)
RELEASE = Contract("stock-keeper.cmd.release", "stock-keeper.release", ThingV1, version=2)
SHIPPED = Contract("shipping.evt.shipped", "shipping.shipped", ThingV1)


async def handler(payload: ThingV1, incoming: object) -> None:
    return None


def test_a_service_name_gives_its_prefix_stream_and_subjects() -> None:
    assert naming.env_prefix("stock-keeper") == "STOCK_KEEPER_"
    assert naming.stream_name("stock-keeper") == "STOCK_KEEPER"
    assert naming.stream_subjects("stock-keeper") == ["stock-keeper.>"]
    assert naming.subject("orders", naming.EVENT, "order-confirmed") == "orders.evt.order-confirmed"
    assert naming.dead_letter_subject("orders", "payments-replies") == "orders.dlq.payments-replies"


def test_a_contract_knows_its_owner_and_stream_from_its_subject() -> None:
    assert (RESERVE.owner, RESERVE.stream) == ("stock-keeper", "STOCK_KEEPER")
    with pytest.raises(ValueError, match="names no owning service"):
        _ = Contract(">", "x", ThingV1).owner


def test_a_subscription_takes_stream_subjects_and_versions_from_its_contracts() -> None:
    subscription = Subscription.of("commands", [on(RESERVE, handler), on(RELEASE, handler)])

    assert subscription.stream == "STOCK_KEEPER"
    assert subscription.subjects == ("stock-keeper.cmd.reserve", "stock-keeper.cmd.release")
    assert subscription.routes["stock-keeper.release"].versions == frozenset({2})


def test_a_subscription_may_widen_its_subjects_to_park_what_nobody_handles() -> None:
    subscription = Subscription.of(
        "commands", [on(RESERVE, handler)], subjects="stock-keeper.cmd.>"
    )
    assert subscription.subjects == ("stock-keeper.cmd.>",)


def test_one_consumer_reads_one_stream() -> None:
    with pytest.raises(ValueError, match="must come from one stream"):
        Subscription.of("mixed", [on(RESERVE, handler), on(SHIPPED, handler)])
