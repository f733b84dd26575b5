"""Dependencies the routes ask for, as ``Annotated`` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from payments.bootstrap import PaymentsService


def get_service(request: Request) -> PaymentsService:
    service: PaymentsService = request.app.state.service
    return service


ServiceDep = Annotated[PaymentsService, Depends(get_service)]
