"""``create_app(settings, *, clock)``: the FastAPI application of orders."""

from chassis import Clock, create_service_app, utcnow
from fastapi import FastAPI

from orders.api import routes
from orders.bootstrap import bootstrap
from orders.config import OrdersSettings, load


def create_app(settings: OrdersSettings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    service = bootstrap(settings or load(), clock=clock)
    app = create_service_app(service.runtime, title="orders", routers=[routes.router])
    app.state.service = service
    app.state.unit_of_work = service.unit_of_work
    app.state.clock = service.runtime.clock
    return app
