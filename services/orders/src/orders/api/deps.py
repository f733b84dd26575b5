"""Dependencies the routes ask for, as ``Annotated`` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from orders.bootstrap import OrdersService


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
async def get_service(request: Request) -> OrdersService:
    service: OrdersService = request.app.state.service
    return service


ServiceDep = Annotated[OrdersService, Depends(get_service)]
