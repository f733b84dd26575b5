"""Dependencies the routes ask for, as ``Annotated`` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from inventory.bootstrap import InventoryService


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
async def get_service(request: Request) -> InventoryService:
    service: InventoryService = request.app.state.service
    return service


ServiceDep = Annotated[InventoryService, Depends(get_service)]
