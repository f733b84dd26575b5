"""The FastAPI application of a service: lifespan, health endpoints and problem-style errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from chassis.asyncapi import asyncapi_document
from chassis.auth.http import auth_responses, require_scope
from chassis.auth.principal import METRICS_SCOPE
from chassis.auth.verifier import TokenVerifier
from chassis.body_limit import BodyLimitMiddleware, state_body_limit
from chassis.contracts import Contract
from chassis.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from chassis.metrics import MetricsMiddleware
from chassis.problems import (
    PROBLEM_JSON,
    DomainError,
    InvalidInput,
    NotFound,
    Problem,
    problem,
    problem_content,
    problem_responses,
)
from chassis.runtime import ServiceRuntime
from chassis.tracing import shutdown_tracing, trace_app
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

# Still importable from here, where they were first defined.
__all__ = ["PROBLEM_JSON", "DomainError", "InvalidInput", "NotFound", "Problem", "problem",
           "create_service_app"]  # fmt: skip

Hook = Callable[[], Awaitable[None]]
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


# The problems every route can answer with.
_DESCRIBED = {404: "Not found", 409: "Conflict with the current state", 422: "Invalid input"}


def _validation_detail(error: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = [
        {"loc": ".".join(str(part) for part in item["loc"]), "msg": item["msg"]}
        for item in error.errors()
    ]
    summary = "; ".join(f"{item['loc']}: {item['msg']}" for item in errors)
    return summary, errors


def _allowed_methods(request: Request) -> str:
    """Every method of the requested path, for a 405's ``Allow`` (RFC 9110 requires it).

    Starlette's own ``Allow`` names only the methods of the first route whose path matched,
    while a path often has several routes (``GET /orders`` and ``POST /orders``); so each
    method is tried against the routes, through their public ``matches``.
    """
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
               for route in routes)
    ]  # fmt: skip
    return ", ".join(allowed)


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Iterable[APIRouter],
    on_startup: Iterable[Hook] = (),
    version: str = "0.1.0",
    contracts: Iterable[Contract[Any]] = (),
) -> FastAPI:
    """Build a service's app; its lifespan starts the runtime (relay, consumers) and stops it.

    ``contracts`` are the service's message contracts (``contracts_in(messaging.contracts)``),
    served as an AsyncAPI document at ``/asyncapi.json``.
    """
    startup_hooks = list(on_startup)
    # Before anything else: a service without an issuer to check tokens against does not serve.
    verifier = TokenVerifier.from_settings(runtime.settings)

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
    app.state.token_verifier = verifier
    app.state.auth_realm = runtime.service
    max_body_bytes = runtime.settings.max_body_bytes
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, refusal=problem)
    app.add_middleware(MetricsMiddleware, metrics=runtime.metrics)  # outside: counts the 413s
    trace_app(app)

    @app.get(
        "/metrics", tags=["operations"], response_class=Response,
        dependencies=[Depends(require_scope(METRICS_SCOPE))],
        responses={200: {"content": {METRICS_CONTENT_TYPE: {"schema": {"type": "string"}}},
                         "description": "Prometheus text exposition"},
                   **auth_responses(scoped=True)},
    )  # fmt: skip
    async def metrics() -> Response:
        """Prometheus's scrape: this service's metrics (``chassis.metrics``). Not public: it
        needs a token with the ``metrics`` scope."""
        return Response(await runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    # Built once: the contracts are code, they do not change while the process runs.
    asyncapi = asyncapi_document(runtime.service, contracts)

    @app.get("/asyncapi.json", tags=["contracts"])
    async def asyncapi_json() -> dict[str, Any]:
        """The messages this service sends and receives, as an AsyncAPI 3.0 document (the same
        as its committed ``contracts/asyncapi.yaml``). Open, like the OpenAPI document."""
        return asyncapi

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
        return problem(error.status, error.detail, headers=error.headers, **error.extra)

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
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem(error.status_code, error.detail, headers=headers)

    for router in routers:
        app.include_router(router, responses=problem_responses(_DESCRIBED))
    state_body_limit(app, max_body_bytes, problem_content())
    return app
