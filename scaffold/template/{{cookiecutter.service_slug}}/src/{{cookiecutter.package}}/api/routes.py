"""Routes of {{ cookiecutter.service_slug }}.

Each docstring becomes the endpoint's OpenAPI text.

Who may call what (chassis.auth, ADR 0026): every route needs a valid bearer token (``Caller``,
401 without one); one that changes something needs its scope too (``require_scope``, 403
without it). Each states those answers in the OpenAPI (``auth_responses``).
"""

from dataclasses import asdict

from chassis import InvalidInput, NotFound
from chassis.auth import ADMIN_SCOPE
from chassis.auth.http import Caller, auth_responses, require_scope
from fastapi import APIRouter, Depends, Query, status

from {{ cookiecutter.package }}.api.deps import ClockDep, UnitOfWorkDep
from {{ cookiecutter.package }}.api.schemas import ItemCreate, ItemPublic
from {{ cookiecutter.package }}.domain import CreateItem, InvalidItem
from {{ cookiecutter.package }}.service_layer import handlers

router = APIRouter(prefix="/items", tags=["items"], responses=auth_responses())
# Beyond this a page is meaningless, and a database integer would overflow.
MAX_OFFSET = 1_000_000_000


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemPublic,
    dependencies=[Depends(require_scope(ADMIN_SCOPE))],
    responses=auth_responses(scoped=True),
)
async def create_item(
    body: ItemCreate, unit_of_work: UnitOfWorkDep, clock: ClockDep
) -> ItemPublic:
    """Create an item (needs the ``admin`` scope). Its ``item-created`` event is published
    through the outbox."""
    try:
        async with unit_of_work() as uow:
            item = await handlers.create_item(CreateItem(name=body.name), uow, now=clock())
    except InvalidItem as error:
        raise InvalidInput(str(error)) from error
    return ItemPublic(**asdict(item))


@router.get("/{item_id}", response_model=ItemPublic)
async def get_item(item_id: str, caller: Caller, unit_of_work: UnitOfWorkDep) -> ItemPublic:
    """One item by id."""
    async with unit_of_work() as uow:
        item = await uow.items.get(item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    return ItemPublic(**asdict(item))


@router.get("", response_model=list[ItemPublic])
async def list_items(
    caller: Caller,
    unit_of_work: UnitOfWorkDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[ItemPublic]:
    """Items, oldest first."""
    async with unit_of_work() as uow:
        items = await uow.items.list(limit=limit, offset=offset)
    return [ItemPublic(**asdict(item)) for item in items]
