"""Dependencies the routes ask for, as ``Annotated`` aliases, read from ``app.state`` (set by
``main.create_app``): the routes never see the composition root."""

from typing import Annotated

from chassis import Clock
from fastapi import Depends, Request

from orders.domain.saga.progress import MessageTypes
from orders.service_layer.unit_of_work import UnitOfWorkFactory


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
async def get_unit_of_work(request: Request) -> UnitOfWorkFactory:
    unit_of_work: UnitOfWorkFactory = request.app.state.unit_of_work
    return unit_of_work


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_saga_types(request: Request) -> MessageTypes:
    saga_types: MessageTypes = request.app.state.saga_types
    return saga_types


UnitOfWorkDep = Annotated[UnitOfWorkFactory, Depends(get_unit_of_work)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SagaTypesDep = Annotated[MessageTypes, Depends(get_saga_types)]
