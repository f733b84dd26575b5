"""What every service's app does with hostile requests, whatever its routes: an oversized body
is refused with 413 before it is read whole (stated in the OpenAPI of each route taking a body),
a 405 names the allowed methods, and an integer field takes what JSON Schema calls an integer.

The app is the chassis's own (``create_service_app``), called in-process; no route here needs
the database or the broker, so the lifespan is not started.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import httpx
import pytest
import widget
from chassis import Integer, ServiceRuntime, ServiceSettings, create_service_app, load_settings
from chassis.testing import TestIssuer
from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict
from widget_harness import MIGRATIONS

PROBLEM = "application/problem+json"
LIMIT = 4096


class WidgetSettings(ServiceSettings):
    service_name: ClassVar[str] = "widgets"


class WidgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: Integer
    label: str = ""


router = APIRouter(prefix="/widgets")


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_widget(body: WidgetCreate) -> dict[str, Any]:
    """Echo the widget, to show what the app made of the body."""
    return {"size": body.size, "label_length": len(body.label)}


@router.get("")
async def list_widgets() -> list[str]:
    """No body, so no 413."""
    return []


@pytest.fixture
async def client(
    database_url_for: Callable[[str], str], test_issuer: TestIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        WidgetSettings, database_url=database_url_for("widgets"), max_body_bytes=LIMIT,
        **test_issuer.settings(),
    )  # fmt: skip
    app = create_service_app(
        ServiceRuntime(settings, widget.tables, MIGRATIONS), title="widgets", routers=[router]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://widgets") as client:
        yield client


def assert_problem(response: httpx.Response, status_code: int) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status_code
    return body


async def test_refuses_a_body_over_the_limit_with_413_before_reading_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/widgets", json={"size": 1, "label": "x" * LIMIT})

    problem = assert_problem(response, 413)
    assert f"exceeds the limit of {LIMIT} bytes" in problem["detail"]


async def test_refuses_a_chunked_body_once_it_crosses_the_limit(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the body is counted as it arrives.
        yield b'{"size": 1, "label": "'
        for _ in range(LIMIT // 1000 + 1):
            yield b"x" * 1000
        yield b'"}'

    response = await client.post(
        "/widgets", content=chunks(), headers={"content-type": "application/json"}
    )

    assert_problem(response, 413)


async def test_takes_a_body_just_under_the_limit(client: httpx.AsyncClient) -> None:
    label = "x" * (LIMIT - 100)
    response = await client.post("/widgets", json={"size": 1, "label": label})

    assert response.status_code == 201, response.text
    assert response.json()["label_length"] == len(label)


async def test_states_the_413_on_every_operation_that_takes_a_body(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    too_large = paths["/widgets"]["post"]["responses"]["413"]
    assert str(LIMIT) in too_large["description"]
    assert PROBLEM in too_large["content"]
    assert "400" in paths["/widgets"]["post"]["responses"]  # a body that cannot be decoded
    assert "413" not in paths["/widgets"]["get"]["responses"]


async def test_a_405_names_the_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.request("TRACE", "/widgets")

    assert_problem(response, 405)
    # Every method of the path, not only those of the route Starlette matched first.
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize("size", [180, 180.0, 1e3])
async def test_an_integer_field_takes_integers_written_as_floats(
    size: float, client: httpx.AsyncClient
) -> None:
    response = await client.post("/widgets", json={"size": size})

    assert response.status_code == 201, response.text
    assert response.json()["size"] == int(size)


@pytest.mark.parametrize("size", [180.5, "180", True, None])
async def test_an_integer_field_refuses_what_json_schema_calls_no_integer(
    size: object, client: httpx.AsyncClient
) -> None:
    response = await client.post("/widgets", json={"size": size})

    assert_problem(response, 422)
