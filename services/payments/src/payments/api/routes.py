"""Routes of payments (read only: payments change through commands). Each docstring becomes the
endpoint's OpenAPI text.

Not for customers (ADR 0026): every route needs a token with the ``admin`` scope, since a payment
shows any customer's order and amounts; 401 without a valid token, 403 without the scope.
"""

from chassis import NotFound
from chassis.auth import ADMIN_SCOPE
from chassis.auth.http import auth_responses, require_scope
from fastapi import APIRouter, Depends, Query

from payments.api.deps import UnitOfWorkDep
from payments.api.schemas import PaymentPublic
from payments.domain import PaymentStatus

router = APIRouter(
    prefix="/payments",
    tags=["payments"],
    dependencies=[Depends(require_scope(ADMIN_SCOPE))],
    responses=auth_responses(scoped=True),
)
# Beyond this a page is meaningless, and a database integer would overflow.
MAX_OFFSET = 1_000_000_000


@router.get("/{order_id}", response_model=PaymentPublic)
async def get_payment(order_id: str, unit_of_work: UnitOfWorkDep) -> PaymentPublic:
    """The payment of an order: its status, the amount charged, the amount refunded and, when
    declined, refunded or cancelled, the reason. 404 when the order has no payment."""
    async with unit_of_work() as uow:
        payment = await uow.payments.get(order_id)
    if payment is None:
        raise NotFound(f"no payment for order {order_id!r}", order_id=order_id)
    return PaymentPublic.of(payment)


@router.get("", response_model=list[PaymentPublic])
async def list_payments(
    unit_of_work: UnitOfWorkDep,
    status: PaymentStatus | None = Query(None, description="only payments in this status"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[PaymentPublic]:
    """Payments, oldest first; ``status`` keeps one status (PENDING, CHARGED, DECLINED,
    REFUNDED or CANCELLED)."""
    async with unit_of_work() as uow:
        payments = await uow.payments.list(status=status, limit=limit, offset=offset)
    return [PaymentPublic.of(payment) for payment in payments]
