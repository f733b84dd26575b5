"""Routes of inventory. Each docstring becomes the endpoint's OpenAPI text.

Errors are problem documents (RFC 9457) rendered by the chassis: 404 for an unknown sku or
order, 409 for a sku that exists, 422 for a body that breaks a rule.

Who may call (ADR 0026): the catalogue's reads are public (a shop shows it to anyone); changing
it or its stock needs a token with the ``admin`` scope, and so does reading a reservation, which
shows what an order holds. Refused requests are 401 (no valid token) or 403 (no scope).
"""

from __future__ import annotations

from chassis import DomainError, InvalidInput, NotFound
from chassis.auth import ADMIN_SCOPE
from chassis.auth.http import auth_responses, require_scope
from fastapi import APIRouter, Depends, Query, status

from inventory.api.deps import UnitOfWorkDep
from inventory.api.schemas import ProductCreate, ProductPublic, ReservationPublic
from inventory.domain import CreateProduct, InvalidProduct, ProductExists
from inventory.service_layer import handlers

products = APIRouter(prefix="/products", tags=["products"])
reservations = APIRouter(
    prefix="/reservations",
    tags=["reservations"],
    dependencies=[Depends(require_scope(ADMIN_SCOPE))],
    responses=auth_responses(scoped=True),
)
# Beyond this a page is meaningless, and a database integer would overflow.
MAX_OFFSET = 1_000_000_000


@products.get("", response_model=list[ProductPublic])
async def list_products(
    unit_of_work: UnitOfWorkDep,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[ProductPublic]:
    """The catalogue with each product's stock (available, reserved, sold), by sku."""
    async with unit_of_work() as uow:
        found = await uow.products.list(limit=limit, offset=offset)
    return [ProductPublic.of(product) for product in found]


@products.get("/{sku}", response_model=ProductPublic)
async def get_product(sku: str, unit_of_work: UnitOfWorkDep) -> ProductPublic:
    """One product and its stock."""
    async with unit_of_work() as uow:
        product = await uow.products.get(sku)
    if product is None:
        raise NotFound(f"no product with sku {sku!r}")
    return ProductPublic.of(product)


@products.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductPublic,
    dependencies=[Depends(require_scope(ADMIN_SCOPE))],
    responses=auth_responses(scoped=True),
)
async def create_product(body: ProductCreate, unit_of_work: UnitOfWorkDep) -> ProductPublic:
    """Add a product with its price (cents, > 0) and initial stock (>= 0).

    Needs the ``admin`` scope. 409 if a product with this sku exists; 422 for a bad or unknown
    field.
    """
    command = CreateProduct(
        sku=body.sku, name=body.name, price_cents=body.price_cents, stock=body.stock
    )
    try:
        async with unit_of_work() as uow:
            product = await handlers.create_product(command, uow)
    except ProductExists as error:
        raise DomainError(str(error), sku=error.sku) from error
    except InvalidProduct as error:
        raise InvalidInput(str(error)) from error
    return ProductPublic.of(product)


@reservations.get("/{order_id}", response_model=ReservationPublic)
async def get_reservation(order_id: str, unit_of_work: UnitOfWorkDep) -> ReservationPublic:
    """The stock reservation of an order: its status (RESERVED, RELEASED or COMMITTED), its
    lines at the prices they were reserved at, and the release reason if any. Needs the ``admin``
    scope: it shows what the order holds."""
    async with unit_of_work() as uow:
        reservation = await uow.reservations.get(order_id)
    if reservation is None:
        raise NotFound(f"no reservation for order {order_id!r}")
    return ReservationPublic.of(reservation)


routers = [products, reservations]
