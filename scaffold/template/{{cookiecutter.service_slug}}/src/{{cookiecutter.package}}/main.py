"""The FastAPI application of {{ cookiecutter.service_slug }}.

``create_app(settings, *, clock)``, built through the composition root.
"""

from chassis import Clock, contracts_in, create_service_app, utcnow
from fastapi import FastAPI

from {{ cookiecutter.package }}.api import routes
from {{ cookiecutter.package }}.bootstrap import bootstrap
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings, load
from {{ cookiecutter.package }}.messaging import contracts


def create_app(settings: {{ cookiecutter.class_prefix }}Settings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The app: the items API, health endpoints and, in its lifespan, the outbox relay and the
    consumers. ``clock`` is where every entrypoint reads the time (tests pass a fixed one)."""
    service = bootstrap(settings or load(), clock=clock)
    app = create_service_app(
        service.runtime,
        title=service.settings.service_name,
        routers=[routes.router],
        contracts=contracts_in(contracts),  # served at /asyncapi.json
    )
    # What the routes' dependencies (api/deps.py) read, so that they never import bootstrap.
    app.state.service = service
    app.state.unit_of_work = service.unit_of_work
    app.state.clock = service.clock
    return app
