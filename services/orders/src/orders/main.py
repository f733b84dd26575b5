"""``create_app(settings)``: the FastAPI application of orders."""

from chassis import create_service_app
from fastapi import FastAPI

from orders.api import routes
from orders.bootstrap import bootstrap
from orders.config import OrdersSettings, load


def create_app(settings: OrdersSettings | None = None) -> FastAPI:
    service = bootstrap(settings or load())
    app = create_service_app(
        service.runtime,
        title="orders",
        routers=[routes.router],
        on_startup=[service.start_sweeper],
    )
    app.state.service = service
    return app
