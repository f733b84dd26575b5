"""The console's web app: ``create_app(settings)`` is its composition root.

Pages are rendered on the server (Jinja2); one small script of our own (``static/console.js``)
refreshes the saga list in place. Every asset is served from ``static/``: the machines it runs
on may be offline. Routes are in :mod:`mkservice.console.pages`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from mkservice.console.clients import ServiceApis
from mkservice.console.desk import DeadLetterDesk
from mkservice.console.pages import router
from mkservice.console.settings import ConsoleSettings
from mkservice.console.views import register_filters

HERE = Path(__file__).parent


def create_app(settings: ConsoleSettings) -> FastAPI:
    """The console app for ``settings``; it connects to NATS and the services when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        desk = DeadLetterDesk(settings)
        async with httpx.AsyncClient() as client:
            app.state.apis = ServiceApis(settings, client)
            app.state.desk = desk
            try:
                yield
            finally:
                await desk.close()

    app = FastAPI(title="mkservice console", lifespan=lifespan, docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    register_filters(templates.env, settings)
    app.state.settings = settings
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)
    return app
