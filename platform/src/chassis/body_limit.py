"""A bound on request bodies: above ``max_bytes`` a request is answered 413, never read whole.

A declared ``Content-Length`` over the bound is refused before a byte of the body is read; a
body sent without one (chunked) is counted as it arrives and refused when it crosses the bound,
so a client cannot make a service buffer gigabytes by leaving the length out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[int, str], ASGIApp]
"""``refusal(status, detail)``: the response that refuses a request (the app's problem)."""


def too_large_detail(max_bytes: int) -> str:
    return f"the request body exceeds the limit of {max_bytes} bytes"


class BodyLimitMiddleware:
    """ASGI middleware that refuses bodies above ``max_bytes`` with ``refusal(413, ...)``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, refusal: Refusal) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.refusal(413, too_large_detail(self.max_bytes))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read: FastAPI passes HTTPExceptions on,
                    # and the app's handler renders it as a problem.
                    raise HTTPException(413, too_large_detail(self.max_bytes))
            return message

        await self.app(scope, counted, send)


def state_body_limit(app: FastAPI, max_bytes: int, content: dict[str, Any]) -> None:
    """Add the 413 answer (its body described by ``content``), and the 400 of an unreadable
    body, to the OpenAPI of every operation that takes a body: FastAPI states neither."""
    generate = app.openapi
    answers = {
        # FastAPI's own answer to a body it cannot decode (not UTF-8, say).
        "400": {"description": "Request body that cannot be read", "content": content},
        "413": {"description": f"Request body larger than {max_bytes} bytes", "content": content},
    }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        responses = operation.setdefault("responses", {})
                        for code, answer in answers.items():
                            responses.setdefault(code, answer)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
