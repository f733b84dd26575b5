"""``create_app(settings, *, clock)``: the FastAPI application of payments."""

from chassis import Clock, contracts_in, create_service_app, utcnow
from fastapi import FastAPI

from payments.api import routes
from payments.bootstrap import bootstrap
from payments.config import PaymentsSettings, load
from payments.messaging import contracts


def create_app(settings: PaymentsSettings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The app; its lifespan starts the relay, the commands consumer and the settler.
    ``clock`` is the time the service reads."""
    service = bootstrap(settings or load(), clock=clock)
    app = create_service_app(
        service.runtime,
        title="payments",
        routers=[routes.router],
        contracts=contracts_in(contracts),
    )
    app.state.service = service
    app.state.unit_of_work = service.unit_of_work
    app.state.clock = service.runtime.clock
    return app
