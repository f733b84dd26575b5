"""``create_app(settings)``: the FastAPI application of inventory."""

from chassis import create_service_app
from fastapi import FastAPI

from inventory.api import routes
from inventory.bootstrap import bootstrap
from inventory.config import InventorySettings, load


def create_app(settings: InventorySettings | None = None) -> FastAPI:
    """The app: products and reservations API, health endpoints, and (in its lifespan) the
    outbox relay and the stock-command consumer."""
    service = bootstrap(settings or load())
    app = create_service_app(service.runtime, title="inventory", routers=routes.routers)
    app.state.service = service
    return app
