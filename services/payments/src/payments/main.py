"""``create_app(settings)``: the FastAPI application of payments."""

from chassis import create_service_app
from fastapi import FastAPI

from payments.api import routes
from payments.bootstrap import bootstrap
from payments.config import PaymentsSettings, load


def create_app(settings: PaymentsSettings | None = None) -> FastAPI:
    """The app; its lifespan starts the relay, the commands consumer and the settler."""
    service = bootstrap(settings or load())
    app = create_service_app(
        service.runtime,
        title="payments",
        routers=[routes.router],
        on_startup=[service.start_settler],
    )
    app.state.service = service
    return app
