"""``create_app(settings, *, clock)``: the FastAPI application of inventory."""

from chassis import Clock, contracts_in, create_service_app, utcnow
from fastapi import FastAPI

from inventory.api import routes
from inventory.bootstrap import bootstrap
from inventory.config import InventorySettings, load
from inventory.messaging import contracts


def create_app(settings: InventorySettings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The app: products and reservations API, health endpoints, and (in its lifespan) the
    outbox relay and the stock-command consumer. ``clock`` is the time the service reads."""
    service = bootstrap(settings or load(), clock=clock)
    app = create_service_app(
        service.runtime,
        title="inventory",
        routers=routes.routers,
        contracts=contracts_in(contracts),
    )
    app.state.service = service
    app.state.unit_of_work = service.unit_of_work
    app.state.clock = service.runtime.clock
    return app
