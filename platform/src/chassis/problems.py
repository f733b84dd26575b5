"""Problem documents (RFC 9457): what every error of every service looks like, and the errors a
route raises to send one."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A request the domain refuses; rendered as a problem response with ``status``."""

    status = 409
    title = "Conflict"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def headers(self) -> Mapping[str, str] | None:
        """Headers the response carries (a 401's ``WWW-Authenticate``, say)."""
        return None


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


def problem_content() -> dict[str, Any]:
    """The OpenAPI ``content`` of a problem response."""
    return {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}


def problem_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for ``described`` (status -> text), each with the problem media type that
    is actually sent."""
    content = problem_content()
    return {code: {"description": text, "content": content} for code, text in described.items()}


def problem(
    status: int, detail: Any, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem response (with ``headers``, such as a 405's ``Allow``)."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
