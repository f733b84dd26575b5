"""Routes of orders. Each docstring becomes the endpoint's OpenAPI text."""

from typing import Annotated

from chassis import DomainError, InvalidInput, NotFound
from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy.exc import IntegrityError

from orders.api.deps import ClockDep, UnitOfWorkDep
from orders.api.schemas import OrderCreate, OrderOut
from orders.domain import InvalidOrder, OrderLine, OrderStatus, PlaceOrder
from orders.service_layer.handlers import IdempotencyKeyReused, place_order

router = APIRouter(prefix="/orders", tags=["orders"])
# Beyond this a page is meaningless, and a database integer would overflow.
MAX_OFFSET = 1_000_000_000


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=OrderOut)
async def create_order(
    body: OrderCreate,
    unit_of_work: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> OrderOut:
    """Place an order. It is accepted as ``PENDING`` and checked out asynchronously by the saga
    (reserve stock, charge payment, commit stock); follow it with ``GET /orders/{id}``.

    Send an ``Idempotency-Key`` header to make retries safe: the same key returns the same order
    (a different request under a used key is refused with 409).
    """
    command = PlaceOrder(
        customer_id=body.customer_id,
        lines=[OrderLine(sku=line.sku, quantity=line.quantity) for line in body.lines],
        payment_token=body.payment_token,
        idempotency_key=idempotency_key,
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
        raise DomainError(
            "this Idempotency-Key was already used for a different order request",
            idempotency_key=str(error),
        ) from error
    response.headers["Location"] = f"/orders/{order.id}"
    return OrderOut.of(order)


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(order_id: str, unit_of_work: UnitOfWorkDep) -> OrderOut:
    """An order with its status and the saga's timeline (step, outcome, time)."""
    async with unit_of_work() as uow:
        order = await uow.orders.get(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}")
    return OrderOut.of(order)


@router.get("", response_model=list[OrderOut])
async def list_orders(
    unit_of_work: UnitOfWorkDep,
    status_filter: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[OrderOut]:
    """Orders, oldest first, optionally only those with a given status (timelines omitted)."""
    async with unit_of_work() as uow:
        orders = await uow.orders.page(status=status_filter, limit=limit, offset=offset)
    return [OrderOut.of(order) for order in orders]
