"""Dependencies the routes ask for, as ``Annotated`` aliases.

They read what ``main.create_app`` put on ``app.state``: the API never imports the composition
root.
"""

from typing import Annotated

from chassis import Clock
from fastapi import Depends, Request

from {{ cookiecutter.package }}.service_layer.unit_of_work import UnitOfWorkFactory


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
async def get_unit_of_work(request: Request) -> UnitOfWorkFactory:
    unit_of_work: UnitOfWorkFactory = request.app.state.unit_of_work
    return unit_of_work


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


UnitOfWorkDep = Annotated[UnitOfWorkFactory, Depends(get_unit_of_work)]
"""Opens a unit of work: ``async with unit_of_work() as uow: ...``."""
ClockDep = Annotated[Clock, Depends(get_clock)]
"""The service's clock: read it once per request and pass ``now`` down."""
