"""The time payments reads comes from the clock it was created with
(``create_app(settings, clock=...)``): its consumer stamps payments with it and its settler
settles a slow charge when that clock, not the wall clock, reaches the settlement time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from chassis.testing import ManualClock

from payments.config import PaymentsSettings

if TYPE_CHECKING:
    from tests.conftest import Saga

SLOW_DELAY_S = 0.2


@pytest.fixture
def settings(settings: PaymentsSettings) -> PaymentsSettings:
    """A slow charge is due 0.2 s (of the service's clock) after it was made."""
    return settings.model_copy(update={"gateway_slow_delay_s": SLOW_DELAY_S})


@pytest.fixture
def clock(manual_clock: ManualClock) -> ManualClock:
    """This module's service runs on the manual clock."""
    return manual_clock


async def test_a_slow_charge_settles_when_the_services_clock_reaches_its_time(
    saga: Saga, client: httpx.AsyncClient, manual_clock: ManualClock, migrated: PaymentsSettings
) -> None:
    charged_at = manual_clock()
    command = await saga.charge("order-1", 4_200, "tok_slow")
    await saga.barrier()

    # Many settler rounds, well past the delay by the wall clock: the service's clock stands.
    await asyncio.sleep(5 * SLOW_DELAY_S + 5 * migrated.settle_poll_interval_s)
    pending = (await client.get("/payments/order-1")).json()
    assert pending["status"] == "PENDING"
    assert saga.replies("order-1") == []
    assert datetime.fromisoformat(pending["created_at"]) == charged_at
    assert datetime.fromisoformat(pending["settle_after"]) == charged_at + timedelta(
        seconds=SLOW_DELAY_S
    )

    manual_clock.advance(seconds=SLOW_DELAY_S)
    [reply] = await saga.wait_for("order-1")
    assert (reply.type, reply.causation_id) == ("payments.charged", command.id)
    charged = (await client.get("/payments/order-1")).json()
    assert charged["status"] == "CHARGED"
    assert datetime.fromisoformat(charged["updated_at"]) == manual_clock()
