"""``create_app(settings)``: the FastAPI application of {{ cookiecutter.service_slug }}."""

from chassis import create_service_app
from fastapi import FastAPI

from {{ cookiecutter.package }}.api import routes
from {{ cookiecutter.package }}.bootstrap import bootstrap
from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings, load


def create_app(settings: {{ cookiecutter.class_prefix }}Settings | None = None) -> FastAPI:
    service = bootstrap(settings or load())
    app = create_service_app(service.runtime, title="{{ cookiecutter.service_slug }}", routers=[routes.router])
    app.state.service = service
    return app
