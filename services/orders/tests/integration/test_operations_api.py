"""The operations API the saga console reads: pages of sagas with their totals, one saga in full
with the messages it exchanged, and the definition, on the real database and nats-server."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from chassis.auth import ADMIN_SCOPE
from chassis.testing import ManualClock, MessageProbe, NatsServer, eventually
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from orders.config import OrdersSettings
from orders.domain import CHECKOUT, SagaState
from orders.main import create_app

if TYPE_CHECKING:
    from tests.conftest import Headers, ScriptedParticipants, Serve

ORDER = {
    "lines": [{"sku": "sku-lamp", "quantity": 1}],
    "payment_token": "tok_ok",
}
PROBLEM = "application/problem+json"


async def place(
    client: httpx.AsyncClient, *, customer: dict[str, str] | None = None, **changes: Any
) -> str:
    """An order placed with ``client``'s token, or with the ``customer`` headers given."""
    accepted = await client.post("/orders", json={**ORDER, **changes}, headers=customer)
    assert accepted.status_code == 202, accepted.text
    return cast(str, accepted.json()["id"])


async def finished(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    """The saga's detail once it has finished (a confirmed one once its stock is committed)."""

    async def done() -> dict[str, Any] | None:
        body = (await client.get(f"/operations/sagas/{order_id}")).json()
        return body if body["state"] in {"CONFIRMED", "REJECTED"} else None

    return cast(dict[str, Any], await eventually(done, timeout=20))


async def sagas(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/operations/sagas", params=params)
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


@pytest.fixture
def operator(as_caller: Headers) -> dict[str, str]:
    """The operations API needs the admin scope (the saga console's token has it)."""
    return as_caller("ops", [ADMIN_SCOPE])


@pytest.fixture
async def client(client: httpx.AsyncClient, operator: dict[str, str]) -> httpx.AsyncClient:
    """The conftest's client, called as an operator: it places orders too (any token may)."""
    client.headers.update(operator)
    return client


@pytest.fixture
async def still(
    migrated: OrdersSettings, serve: Serve, operator: dict[str, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, ManualClock]]:
    """The app on a clock that stands still (so orders share their placing time) and a sweeper
    that does not come round again: sagas stay where they are until the test moves them."""
    clock = ManualClock()
    settings = migrated.model_copy(update={"saga_sweep_interval_s": 3600})
    async with serve(create_app(settings, clock=clock), operator) as client:
        yield client, clock


async def test_a_rejected_sagas_detail_lists_its_compensations_and_the_messages_it_exchanged(
    client: httpx.AsyncClient, participants: ScriptedParticipants, nats_server: NatsServer
) -> None:
    async with MessageProbe(nats_server.url) as outcomes:
        await outcomes.follow("orders.evt.>")
        order_id = await place(client, payment_token="tok_slow")  # payments never answers
        saga = await finished(client, order_id)
        [rejection] = await outcomes.wait_for(order_id)

    assert (saga["state"], saga["outcome"]) == ("REJECTED", "rejected")
    assert saga["reason"] == "timed out waiting for payment"
    assert saga["lines"] == [{"sku": "sku-lamp", "quantity": 1}]
    assert saga["trace_id"] is None  # tracing is off
    assert [(s["step"], s["status"]) for s in saga["steps"]] == [
        ("reserve stock", "succeeded"), ("charge payment", "timed out"),
        ("commit stock", "not started"),
    ]  # fmt: skip
    assert [s["command"] for s in saga["steps"]] == [
        "inventory.reserve-stock", "payments.charge", "inventory.commit-stock",
    ]  # fmt: skip
    # Undone last first: the charge (which may still happen), then the reservation.
    undone = saga["compensations"]
    assert [(c["step"], c["participant"], c["status"]) for c in undone] == [
        ("refund payment", "payments", "succeeded"),
        ("release stock", "inventory", "succeeded"),
    ]
    assert all(c["attempts"] == 1 and c["duration_ms"] >= 0 for c in undone)
    assert undone[0]["started_at"] <= undone[1]["started_at"]

    # What was sent is what went out: the commands the participants got, then the rejection.
    commands = [r.envelope for r in participants.probe.received]
    sent = [m for m in saga["messages"] if m["direction"] == "sent"]
    assert [(m["message_id"], m["message_type"]) for m in sent] == [
        *((c.id, c.type) for c in commands if c.correlation_id == order_id),
        (rejection.id, rejection.type),
    ]
    received = [m for m in saga["messages"] if m["direction"] == "received"]
    assert [(m["message_id"], m["message_type"]) for m in received] == [
        (r.id, r.type) for r in participants.replies if r.correlation_id == order_id
    ]
    assert [m["message_type"] for m in received] == [
        "inventory.stock-reserved", "payments.refunded", "inventory.stock-released",
    ]  # fmt: skip
    # The timeline carries the same messages; the deadline passing has none.
    timed_out = [e for e in saga["timeline"] if e["outcome"] == "timed out"]
    assert timed_out == [{**timed_out[0], "message_id": None, "direction": None}]
    assert [e["message_id"] for e in saga["timeline"] if e["message_id"]] == [
        m["message_id"] for m in saga["messages"]
    ]


async def test_lists_sagas_by_filter_and_search_with_totals_over_all_of_them(
    client: httpx.AsyncClient, participants: ScriptedParticipants, as_caller: Headers
) -> None:
    ok = await place(client, customer=as_caller("c-ok"))
    short_lines = [{"sku": "sku-last", "quantity": 5}]
    short = await place(client, customer=as_caller("c-short"), lines=short_lines)
    declined = await place(client, customer=as_caller("c-declined"), payment_token="tok_decline")
    for order_id in (ok, short, declined):
        await finished(client, order_id)

    everything = await sagas(client)
    assert [item["order_id"] for item in everything["items"]] == [declined, short, ok]
    assert everything["next_cursor"] is None
    assert everything["counts"] == {
        "running": 0, "stuck": 0, "confirmed": 1, "rejected": 2, "total": 3,
    }  # fmt: skip
    assert everything["states"] == {
        **{state.value: 0 for state in SagaState}, "CONFIRMED": 1, "REJECTED": 2,
    }  # fmt: skip
    assert sorted(map(tuple, (r.values() for r in everything["rejection_reasons"]))) == [
        ("out of stock", 1), ("payment declined: card declined", 1),
    ]  # fmt: skip
    [confirmed] = everything["items"][2:]
    assert confirmed["outcome"] == "confirmed" and confirmed["total_cents"] == 1000
    assert confirmed["stuck"] is False and confirmed["deadline_at"] is None

    def ids(page: dict[str, Any]) -> list[str]:
        return [item["order_id"] for item in page["items"]]

    assert ids(await sagas(client, filter="confirmed")) == [ok]
    assert ids(await sagas(client, filter="rejected")) == [declined, short]
    assert ids(await sagas(client, filter="running")) == []
    assert ids(await sagas(client, reason="out of stock")) == [short]
    assert ids(await sagas(client, q=declined)) == [declined]
    assert ids(await sagas(client, q="c-short")) == [short]
    assert ids(await sagas(client, q="c-nobody")) == []
    # The totals are over every saga, whatever the page shows.
    assert (await sagas(client, q="c-short"))["counts"] == everything["counts"]


async def test_a_running_saga_past_its_deadline_is_stuck(
    still: tuple[httpx.AsyncClient, ManualClock],
) -> None:
    client, clock = still
    waiting = await place(client)  # no participant answers: it waits on the reservation
    page = await sagas(client, filter="stuck")
    assert page["items"] == [] and page["counts"]["running"] == 1

    clock.advance(seconds=60)  # past the step's deadline; the sweeper is not due for an hour
    page = await sagas(client, filter="stuck")
    assert [(s["order_id"], s["state"], s["stuck"]) for s in page["items"]] == [
        (waiting, "RESERVING_STOCK", True)
    ]
    assert page["counts"] == {"running": 1, "stuck": 1, "confirmed": 0, "rejected": 0, "total": 1}
    detail = (await client.get(f"/operations/sagas/{waiting}")).json()
    assert detail["stuck"] is True
    assert [(s["step"], s["status"], s["attempts"]) for s in detail["steps"]][:2] == [
        ("reserve stock", "running", 1), ("charge payment", "not started", 0),
    ]  # fmt: skip


async def test_pages_through_every_saga_newest_first_without_repeats_or_gaps(
    still: tuple[httpx.AsyncClient, ManualClock], as_caller: Headers
) -> None:
    client, clock = still
    placed = []
    for n in range(7):
        placed.append((clock.now, await place(client, customer=as_caller(f"c-{n}"))))
        if n % 3 == 2:
            clock.advance(seconds=1)  # some share their placing time: the id breaks the tie
    expected = [order_id for _, order_id in sorted(placed, reverse=True)]

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    pages = 0
    while True:
        page = await sagas(client, **params)
        pages += 1
        seen += [item["order_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == expected
    assert pages == 3

    # A saga placed after the first page neither repeats nor hides one of the next pages.
    first = await sagas(client, limit=3)
    await place(client, customer=as_caller("c-late"))
    rest = await sagas(client, limit=200, cursor=first["next_cursor"])
    assert [item["order_id"] for item in first["items"] + rest["items"]] == expected


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"q": "x" * 101},
        {"reason": "x" * 501},
        {"filter": "lost"},
        {"cursor": "not a cursor!"},
        {"cursor": base64.urlsafe_b64encode(b'{"at": "yesterday", "id": "o"}').decode()},
        {"cursor": base64.urlsafe_b64encode(b'{"id": "o"}').decode()},
        {"cursor": base64.urlsafe_b64encode(b'["a", 1]').decode()},
        {"cursor": base64.urlsafe_b64encode(b'{"at": "2026-01-01T00:00:00", "id": "o"}').decode()},
    ],
)
async def test_refuses_unbounded_or_malformed_queries_with_a_problem_and_changes_nothing(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    order_id = await place(client)
    before = await sagas(client)
    response = await client.get("/operations/sagas", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 422
    after = await sagas(client)
    assert (after["counts"], [i["order_id"] for i in after["items"]]) == (
        before["counts"], [order_id]
    )  # fmt: skip


async def test_an_unknown_saga_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/operations/sagas/no-such-order")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert "no-such-order" in response.json()["detail"]


async def test_keeps_the_trace_id_of_the_request_that_placed_the_order(
    client: httpx.AsyncClient,
) -> None:
    # As the chassis's request span would be: the route reads whatever span is current.
    trace_id = 0x4BF92F3577B34DA6A3CE929D0E0E4736
    context = SpanContext(trace_id, 0x00F067AA0BA902B7, True, TraceFlags(TraceFlags.SAMPLED))
    with trace.use_span(NonRecordingSpan(context)):
        order_id = await place(client)
    detail = (await client.get(f"/operations/sagas/{order_id}")).json()
    assert detail["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_the_openapi_document_lists_the_operations_and_their_problems(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    listing = paths["/operations/sagas"]["get"]
    detail = paths["/operations/sagas/{order_id}"]["get"]
    definition = paths["/operations/saga-definition"]["get"]
    assert listing["tags"] == detail["tags"] == definition["tags"] == ["operations"]
    assert PROBLEM in listing["responses"]["422"]["content"]
    assert PROBLEM in detail["responses"]["404"]["content"]
    assert {"filter", "reason", "q", "limit", "cursor"} <= {
        p["name"] for p in listing["parameters"]
    }


async def test_the_definition_is_the_checkout_saga_as_declared(client: httpx.AsyncClient) -> None:
    body = (await client.get("/operations/saga-definition")).json()
    assert (body["name"], body["confirmed"], body["rejected"]) == (
        "checkout", "CONFIRMED", "REJECTED"
    )  # fmt: skip
    assert [(s["name"], s["participant"], s["state"], s["pivot"]) for s in body["steps"]] == [
        (step.name, step.participant, step.state, step.pivot) for step in CHECKOUT.steps
    ]
    reserve, charge, commit = body["steps"]
    assert reserve == {
        "name": "reserve stock", "participant": "inventory", "state": "RESERVING_STOCK",
        "command": "inventory.reserve-stock", "succeeded_by": "inventory.stock-reserved",
        "failed_by": "inventory.stock-rejected", "on_deadline": "compensate", "pivot": False,
        "compensation": {
            "name": "release stock", "state": "RELEASING_STOCK",
            "command": "inventory.release-stock", "succeeded_by": "inventory.stock-released",
        },
    }  # fmt: skip
    assert (charge["command"], charge["succeeded_by"], charge["failed_by"]) == (
        "payments.charge", "payments.charged", "payments.declined"
    )  # fmt: skip
    assert charge["compensation"]["command"] == "payments.refund"
    assert (commit["command"], commit["on_deadline"], commit["compensation"]) == (
        "inventory.commit-stock", "retry", None
    )  # fmt: skip
