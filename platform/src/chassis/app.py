"""The FastAPI application of a service: lifespan, health endpoints and problem-style errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from chassis.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from chassis.metrics import MetricsMiddleware
from chassis.runtime import ServiceRuntime
from chassis.tracing import shutdown_tracing, trace_app
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

Hook = Callable[[], Awaitable[None]]


class DomainError(Exception):
    """A request the domain refuses; rendered as a problem response with ``status``."""

    status = 409
    title = "Conflict"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class InvalidInput(DomainError):
    """Well-formed input that a domain rule refuses."""

    status = 422
    title = "Unprocessable Content"


class Problem(BaseModel):
    """An RFC 9457 problem: what every error of every service looks like."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: Any = None


def _problem_responses() -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries so the documented error media type is the one actually sent."""
    content = {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}
    described = {
        404: "Not found",
        409: "Conflict with the current state",
        422: "Invalid input",
    }
    return {code: {"description": text, "content": content} for code, text in described.items()}


def problem(status: int, detail: Any, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _validation_detail(error: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = [
        {"loc": ".".join(str(part) for part in item["loc"]), "msg": item["msg"]}
        for item in error.errors()
    ]
    summary = "; ".join(f"{item['loc']}: {item['msg']}" for item in errors)
    return summary, errors


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Iterable[APIRouter],
    on_startup: Iterable[Hook] = (),
    version: str = "0.1.0",
) -> FastAPI:
    """Build a service's app; its lifespan starts the runtime (relay, consumers) and stops it."""
    startup_hooks = list(on_startup)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        for hook in startup_hooks:
            await hook()
        try:
            yield
        finally:
            await runtime.stop()
            shutdown_tracing()  # what is buffered is exported before the process ends

    app = FastAPI(title=title, version=version, lifespan=lifespan)
    app.state.runtime = runtime
    app.add_middleware(MetricsMiddleware, metrics=runtime.metrics)
    trace_app(app)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus's scrape: this service's metrics (``chassis.metrics``)."""
        return Response(await runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        """The process is up and serving requests."""
        return {"status": "alive", "service": runtime.service}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        """Ready when its own database is reachable and migrated; a broker outage only makes it
        ``degraded`` (the outbox keeps events until the broker is back). Never depends on
        another service."""
        readiness = await runtime.readiness()
        body = {
            "status": readiness.status,
            "service": runtime.service,
            "database": readiness.database,
            "migrations": readiness.migrations,
            "broker": readiness.broker,
        }
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        return problem(error.status, error.detail, **error.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        summary, errors = _validation_detail(error)
        return problem(422, summary, errors=errors)

    @app.exception_handler(DataError)
    async def unstorable_input(_request: Request, error: DataError) -> JSONResponse:
        # The database refused a value it cannot hold (a NUL character or an unpaired surrogate
        # in text, a number out of range): the input was bad, not the service.
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return problem(422, f"a value cannot be stored: {reason}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, error.detail)

    for router in routers:
        app.include_router(router, responses=_problem_responses())
    return app
