"""Dependencies the routes ask for, as ``Annotated`` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from payments.bootstrap import PaymentsService


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
async def get_service(request: Request) -> PaymentsService:
    service: PaymentsService = request.app.state.service
    return service


ServiceDep = Annotated[PaymentsService, Depends(get_service)]
