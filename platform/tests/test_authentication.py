"""Bearer tokens on a chassis app (chassis.auth): who may call what, and what a refused caller
is told. The app is the chassis's own, called in-process; its issuer's keys are fetched over real
HTTP from a local JWKS server (or read from a file), as a service fetches Keycloak's."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
import widget
from chassis import ConfigError, ServiceRuntime, ServiceSettings, create_service_app, load_settings
from chassis.auth import ADMIN_SCOPE, METRICS_SCOPE, Principal
from chassis.auth.dev_issuer import DevIssuer
from chassis.auth.http import Caller, auth_responses, require_scope
from chassis.auth.keys import IssuerKeys, KeysUnavailable
from chassis.auth.verifier import InvalidToken, TokenVerifier
from fastapi import APIRouter, Depends
from widget_harness import MIGRATIONS

PROBLEM = "application/problem+json"


class WidgetSettings(ServiceSettings):
    service_name: ClassVar[str] = "widgets"


router = APIRouter(prefix="/widgets", responses=auth_responses())


@router.get("/mine")
async def mine(caller: Caller) -> dict[str, Any]:
    """Who calls."""
    return {"subject": caller.subject, "scopes": sorted(caller.scopes)}


@router.post("", dependencies=[Depends(require_scope(ADMIN_SCOPE))],
             responses=auth_responses(scoped=True))  # fmt: skip
async def create_widget() -> dict[str, str]:
    """Admins only."""
    return {"created": "yes"}


class JwksServer:
    """Serves a JWKS document over HTTP on a free port, counting the fetches; ``down`` makes it
    answer 500, as an issuer in trouble would."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        self.down = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                owner.fetches += 1
                body = json.dumps(owner.document).encode()
                self.send_response(500 if owner.down else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def issuer() -> DevIssuer:
    return DevIssuer.generate()


@pytest.fixture
def jwks(issuer: DevIssuer) -> Iterator[JwksServer]:
    with JwksServer(issuer.jwks()) as server:
        yield server


@pytest.fixture
def make_client(
    database_url_for: Callable[[str], str], issuer: DevIssuer, jwks: JwksServer
) -> Callable[..., httpx.AsyncClient]:
    def make(**overrides: Any) -> httpx.AsyncClient:
        settings = load_settings(
            WidgetSettings, database_url=database_url_for("widgets"),
            **{"auth_issuer": issuer.issuer, "auth_jwks_url": jwks.url, **overrides},
        )  # fmt: skip
        app = create_service_app(
            ServiceRuntime(settings, widget.tables, MIGRATIONS), title="widgets", routers=[router]
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w")

    return make


@pytest.fixture
async def client(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_names_its_caller_and_scopes(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    response = await client.get("/widgets/mine", headers=bearer(issuer.token("c-7", ["a", "b"])))

    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "c-7", "scopes": ["a", "b"]}


async def test_no_token_is_a_401_problem_with_a_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/widgets/mine")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == 'Bearer realm="widgets"'
    assert response.json()["title"] == "Unauthorized"


def _forged(issuer: DevIssuer, **changes: Any) -> str:
    """A token of ``issuer`` with claims changed (``None`` removes one), signed properly."""
    claims = jwt.decode(issuer.token("c-1"), options={"verify_signature": False})
    for name, value in changes.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    return jwt.encode(claims, issuer.private_key, algorithm="ES256",
                      headers={"kid": issuer.key_id})  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda i: i.token("c-1", expires_in_s=-120), "expired"),
        (lambda i: i.token("c-1", audience="someone-else"), "audience"),
        (lambda i: _forged(i, iss="https://evil.example"), "issued by"),
        (lambda i: _forged(i, sub=None), "sub"),
        (lambda i: _forged(i, exp=None), "exp"),
        (lambda i: _forged(i, sub="  "), "subject"),
        (lambda _i: DevIssuer.generate().token("c-1"), "key the issuer does not publish"),
        (lambda i: i.token("c-1")[:-4] + "AAAA", "invalid"),
        (lambda _i: "not-a-token", "not a JWT"),
        # The public key as an HMAC secret: what an unchecked algorithm would accept.
        (lambda i: jwt.encode({"sub": "c-1", "iss": i.issuer, "aud": "mkservice",
                               "exp": time.time() + 60}, "x" * 32, algorithm="HS256",
                              headers={"kid": i.key_id}), "algorithm"),
        (lambda i: jwt.encode({"sub": "c-1", "iss": i.issuer, "aud": "mkservice",
                               "exp": time.time() + 60}, None, algorithm="none"), "algorithm"),
    ],
    ids=["expired", "audience", "issuer", "no-subject", "no-expiry", "blank-subject",
         "other-key", "bad-signature", "garbage", "hs256", "alg-none"],
)  # fmt: skip
async def test_a_token_that_does_not_verify_is_a_401_saying_why(
    client: httpx.AsyncClient,
    issuer: DevIssuer,
    tamper: Callable[[DevIssuer], str],
    reason: str,
) -> None:
    response = await client.get("/widgets/mine", headers=bearer(tamper(issuer)))

    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="widgets", error="invalid_token"'), challenge


async def test_a_scoped_route_is_a_403_without_the_scope_and_open_with_it(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    refused = await client.post("/widgets", headers=bearer(issuer.token("c-1", ["other"])))
    allowed = await client.post("/widgets", headers=bearer(issuer.token("ops", [ADMIN_SCOPE])))
    anonymous = await client.post("/widgets")

    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="widgets", error="insufficient_scope", scope="admin"'
    )
    assert allowed.status_code == 200, allowed.text
    assert anonymous.status_code == 401


async def test_metrics_need_the_metrics_scope_and_health_stays_open(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    admin = await client.get("/metrics", headers=bearer(issuer.token("ops", [ADMIN_SCOPE])))
    assert admin.status_code == 403
    scraped = await client.get("/metrics", headers=bearer(issuer.token("prom", [METRICS_SCOPE])))
    assert scraped.status_code == 200
    assert "http_requests" in scraped.text or "# HELP" in scraped.text
    assert (await client.get("/health/live")).status_code == 200


async def test_the_openapi_document_states_the_scheme_and_the_401_and_403(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }  # fmt: skip
    mine = document["paths"]["/widgets/mine"]["get"]
    create = document["paths"]["/widgets"]["post"]
    assert mine["security"] == [{"bearer": []}]
    assert {"401", "503"} <= set(mine["responses"]) and "403" not in mine["responses"]
    assert {"401", "403"} <= set(create["responses"])
    assert PROBLEM in create["responses"]["403"]["content"]


async def test_keys_are_fetched_once_and_kept(
    client: httpx.AsyncClient, issuer: DevIssuer, jwks: JwksServer
) -> None:
    for _ in range(5):
        response = await client.get("/widgets/mine", headers=bearer(issuer.token("c-1")))
        assert response.status_code == 200

    assert jwks.fetches == 1


async def test_a_rotated_key_is_fetched_when_a_token_names_it(jwks: JwksServer) -> None:
    old, new = DevIssuer.generate(), DevIssuer.generate()
    jwks.document = old.jwks()
    verifier = TokenVerifier(issuer=old.issuer, audience="mkservice",
                             keys=IssuerKeys(jwks.url, refresh_s=3600))  # fmt: skip
    await verifier.verify(old.token("c-1"))
    # The issuer rotates: its document now lists the new key beside the old one.
    jwks.document = {"keys": old.jwks()["keys"] + new.jwks()["keys"]}
    verifier.keys._fetched_at = time.monotonic() - 11  # past the unknown-key pause (10 s)

    assert (await verifier.verify(new.token("c-2"))).subject == "c-2"
    assert jwks.fetches == 2


async def test_an_issuer_outage_keeps_the_keys_fetched_before(
    jwks: JwksServer, issuer: DevIssuer
) -> None:
    keys = IssuerKeys(jwks.url, refresh_s=1)
    verifier = TokenVerifier(issuer=issuer.issuer, audience="mkservice", keys=keys)
    await verifier.verify(issuer.token("c-1"))
    jwks.down = True
    keys._fetched_at = time.monotonic() - 2  # stale: the next call fetches, and fails

    assert (await verifier.verify(issuer.token("c-1"))).subject == "c-1"


async def test_without_keys_a_request_is_a_503_with_retry_after(
    make_client: Callable[..., httpx.AsyncClient], issuer: DevIssuer, jwks: JwksServer
) -> None:
    jwks.down = True
    async with make_client() as client:
        response = await client.get("/widgets/mine", headers=bearer(issuer.token("c-1")))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == PROBLEM


async def test_keys_read_from_a_file_url(issuer: DevIssuer, tmp_path: Path) -> None:
    path = issuer.write_jwks(tmp_path / "jwks.json")
    verifier = TokenVerifier(issuer=issuer.issuer, audience="mkservice",
                             keys=IssuerKeys(path.as_uri(), refresh_s=60))  # fmt: skip

    principal = await verifier.verify(issuer.token("c-9", ["metrics"]))

    assert principal == Principal(subject="c-9", scopes=frozenset({"metrics"}))


async def test_an_unreachable_issuer_with_no_keys_says_so() -> None:
    keys = IssuerKeys("http://127.0.0.1:9/jwks.json", refresh_s=60)

    with pytest.raises(KeysUnavailable, match="cannot fetch the issuer's keys"):
        await keys.key("any")


async def test_an_issuer_that_serves_no_signing_key_is_unavailable(jwks: JwksServer) -> None:
    jwks.document = {"keys": [{"kty": "oct", "k": "c2VjcmV0", "use": "enc"}]}

    with pytest.raises(KeysUnavailable, match="no signing key"):
        await IssuerKeys(jwks.url, refresh_s=60).key(None)


async def test_unknown_key_ids_do_not_fetch_the_document_each_time(
    jwks: JwksServer, issuer: DevIssuer
) -> None:
    verifier = TokenVerifier(issuer=issuer.issuer, audience="mkservice",
                             keys=IssuerKeys(jwks.url, refresh_s=3600))  # fmt: skip
    stranger = DevIssuer.generate()
    for _ in range(5):
        with pytest.raises(InvalidToken):
            await verifier.verify(stranger.token("c-1"))

    assert jwks.fetches == 1


@pytest.mark.parametrize(
    ("missing", "variable"),
    [("auth_issuer", "WIDGETS_AUTH_ISSUER"), ("auth_jwks_url", "WIDGETS_AUTH_JWKS_URL")],
)
def test_an_app_without_an_issuer_refuses_to_start_naming_the_variable(
    make_client: Callable[..., httpx.AsyncClient], missing: str, variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        make_client(**{missing: ""})


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WIDGETS_AUTH_ALGORITHMS", '["HS256"]'), ("WIDGETS_AUTH_ALGORITHMS", '["none"]'),
     ("WIDGETS_AUTH_ALGORITHMS", "[]"), ("WIDGETS_AUTH_JWKS_URL", "ftp://keys.example/jwks")],
)  # fmt: skip
def test_unsafe_auth_settings_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError, match=variable):
        load_settings(WidgetSettings)


def test_two_processes_creating_the_dev_key_get_the_same_one(tmp_path: Path) -> None:
    path = tmp_path / "issuer" / "key.pem"
    first = DevIssuer.load_or_create(path)
    second = DevIssuer.load_or_create(path)

    assert first.key_id == second.key_id
    assert path.stat().st_mode & 0o777 == 0o600


async def test_many_requests_at_once_fetch_the_keys_once(
    client: httpx.AsyncClient, issuer: DevIssuer, jwks: JwksServer
) -> None:
    token = issuer.token("c-1")
    answers = await asyncio.gather(
        *(client.get("/widgets/mine", headers=bearer(token)) for _ in range(20))
    )

    assert {answer.status_code for answer in answers} == {200}
    assert jwks.fetches == 1
