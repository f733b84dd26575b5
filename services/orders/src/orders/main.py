"""``create_app(settings, *, clock)``: the FastAPI application of orders."""

from chassis import Clock, contracts_in, create_service_app, utcnow
from fastapi import FastAPI

from orders.api import operations, routes
from orders.bootstrap import bootstrap
from orders.config import OrdersSettings, load
from orders.messaging import contracts


def create_app(settings: OrdersSettings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    service = bootstrap(settings or load(), clock=clock)
    app = create_service_app(
        service.runtime,
        title="orders",
        routers=[routes.router, operations.router],
        contracts=contracts_in(contracts),
    )
    app.state.service = service
    app.state.unit_of_work = service.unit_of_work
    app.state.clock = service.runtime.clock
    app.state.saga_types = service.saga_types
    return app
