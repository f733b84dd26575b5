"""Who may call the service (chassis.auth): any valid bearer token reads, the ``admin`` scope
writes, and a refused caller gets a problem document saying what to send."""

from __future__ import annotations

import httpx
import pytest
from chassis import ConfigError
from chassis.auth import ADMIN_SCOPE
from chassis.testing.issuer import TestIssuer

from {{ cookiecutter.package }}.config import {{ cookiecutter.class_prefix }}Settings
from {{ cookiecutter.package }}.main import create_app

PROBLEM = "application/problem+json"
REALM = 'Bearer realm="{{ cookiecutter.service_slug }}"'


async def test_reading_needs_a_token(anonymous: httpx.AsyncClient) -> None:
    for path in ("/items", "/items/some-id"):
        refused = await anonymous.get(path)

        assert refused.status_code == 401, path
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.headers["www-authenticate"] == REALM
        assert refused.json()["status"] == 401


async def test_any_valid_token_reads(anonymous: httpx.AsyncClient, test_issuer: TestIssuer) -> None:
    listed = await anonymous.get("/items", headers=test_issuer.headers("c-1"))

    assert listed.status_code == 200, listed.text
    assert listed.json() == []


async def test_a_token_from_another_issuer_is_refused(
    anonymous: httpx.AsyncClient, test_issuer: TestIssuer
) -> None:
    forged = test_issuer.headers("c-1", [ADMIN_SCOPE], iss="https://elsewhere.example")

    refused = await anonymous.post("/items", json={"name": "forged"}, headers=forged)

    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_creating_needs_the_admin_scope(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient, test_issuer: TestIssuer
) -> None:
    customer = test_issuer.headers("c-1")  # a valid token without scopes

    refused = await anonymous.post("/items", json={"name": "not mine"}, headers=customer)

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith(PROBLEM)
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith(REALM)
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{ADMIN_SCOPE}"' in challenge
    assert (await client.get("/items")).json() == [], "nothing created"

    created = await client.post("/items", json={"name": "mine"})  # an admin's token
    assert created.status_code == 201, created.text


async def test_health_needs_no_token(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/health/live")).status_code == 200


async def test_the_openapi_states_who_may_call_what(anonymous: httpx.AsyncClient) -> None:
    paths = (await anonymous.get("/openapi.json")).json()["paths"]

    for method in ("get", "post"):
        assert "401" in paths["/items"][method]["responses"], method
    assert "401" in paths["/items/{item_id}"]["get"]["responses"]
    assert "403" in paths["/items"]["post"]["responses"]
    assert "403" not in paths["/items"]["get"]["responses"]  # any valid token reads


def test_refuses_to_start_without_its_token_issuer(settings: {{ cookiecutter.class_prefix }}Settings) -> None:
    without_issuer = settings.model_copy(update={"auth_issuer": ""})

    with pytest.raises(ConfigError, match="{{ cookiecutter.package.upper() }}_AUTH_ISSUER"):
        create_app(without_issuer)
