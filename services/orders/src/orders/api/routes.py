"""Routes of orders. Each docstring becomes the endpoint's OpenAPI text.

Every route needs a bearer token (ADR 0026): its subject is the customer. A customer places
orders as themself and sees only their own; a token with the ``admin`` scope sees every order.
"""

from typing import Annotated

from chassis import DomainError, InvalidInput, NotFound
from chassis.auth import ADMIN_SCOPE, Principal
from chassis.auth.http import Caller, auth_responses
from chassis.tracing import current_trace_id
from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy.exc import IntegrityError

from orders.api.deps import ClockDep, UnitOfWorkDep
from orders.api.schemas import OrderCreate, OrderOut
from orders.domain import InvalidOrder, OrderLine, OrderStatus, PlaceOrder
from orders.service_layer.handlers import IdempotencyKeyReused, place_order

router = APIRouter(prefix="/orders", tags=["orders"], responses=auth_responses())
# Beyond this a page is meaningless, and a database integer would overflow.
MAX_OFFSET = 1_000_000_000


def owner_seen_by(caller: Principal) -> str | None:
    """The customer whose orders ``caller`` may read: themself, or None (every customer) for an
    admin."""
    return None if caller.may(ADMIN_SCOPE) else caller.subject


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=OrderOut)
async def create_order(
    body: OrderCreate,
    caller: Caller,
    unit_of_work: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> OrderOut:
    """Place an order for the caller (the token's subject is its customer). It is accepted as
    ``PENDING`` and checked out asynchronously by the saga (reserve stock, charge payment,
    commit stock); follow it with ``GET /orders/{id}``.

    Send an ``Idempotency-Key`` header to make retries safe: the same key returns the same order
    (a different request under a used key, another customer's included, is refused with 409).
    """
    command = PlaceOrder(
        customer_id=caller.subject,
        lines=[OrderLine(sku=line.sku, quantity=line.quantity) for line in body.lines],
        payment_token=body.payment_token,
        idempotency_key=idempotency_key,
        trace_id=current_trace_id(),
    )
    now = clock()
    try:
        try:
            async with unit_of_work() as uow:
                order, _created = await place_order(command, uow, now=now)
        except IntegrityError:
            # Two requests raced with the same key: the other one won; answer with its order.
            async with unit_of_work() as uow:
                order, _created = await place_order(command, uow, now=now)
    except InvalidOrder as error:
        raise InvalidInput(str(error)) from error
    except IdempotencyKeyReused as error:
        # The fingerprint covers the customer, so another customer's key lands here: the 409
        # names neither that order nor its customer.
        raise DomainError(
            "this Idempotency-Key was already used for a different order request",
            idempotency_key=str(error),
        ) from error
    response.headers["Location"] = f"/orders/{order.id}"
    return OrderOut.of(order)


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(order_id: str, caller: Caller, unit_of_work: UnitOfWorkDep) -> OrderOut:
    """An order with its status and the saga's timeline (step, outcome, time). A customer reads
    only their own orders: another's is a 404, as a missing one is."""
    async with unit_of_work() as uow:
        order = await uow.orders.get(order_id)
    owner = owner_seen_by(caller)
    # The same answer for "not yours" as for "no such order": an id reveals nothing.
    if order is None or (owner is not None and order.customer_id != owner):
        raise NotFound(f"no order {order_id}")
    return OrderOut.of(order)


@router.get("", response_model=list[OrderOut])
async def list_orders(
    caller: Caller,
    unit_of_work: UnitOfWorkDep,
    status_filter: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[OrderOut]:
    """The caller's orders (an admin's: everyone's), oldest first, optionally only those with a
    given status (timelines omitted)."""
    async with unit_of_work() as uow:
        orders = await uow.orders.page(
            status=status_filter, limit=limit, offset=offset, customer_id=owner_seen_by(caller)
        )
    return [OrderOut.of(order) for order in orders]
