"""Authentication on a service's routes: who calls (``Caller``), what they need
(``require_scope``), and the 401, 403 and 503 problems a refused request gets (RFC 6750's
``WWW-Authenticate`` included, so a client knows what to send next).

The verifier is the app's (``app.state.token_verifier``, made by ``create_service_app``); these
dependencies only read it::

    @router.get("/orders/{order_id}")
    async def get_order(order_id: str, caller: Caller) -> OrderOut: ...

    @router.post("/products", dependencies=[Depends(require_scope(ADMIN_SCOPE))])
    async def create_product(...) -> ProductPublic: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from chassis.auth.keys import KeysUnavailable
from chassis.auth.principal import Principal
from chassis.auth.verifier import InvalidToken, TokenVerifier
from chassis.problems import DomainError, problem_responses
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# The OpenAPI security scheme; it reads the header and leaves refusing to :func:`caller`, which
# answers with a problem document rather than FastAPI's plain 403.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An OAuth2 access token of the configured issuer (`mkservice token` locally).",
)
# Seconds a client waits before asking again when the issuer's keys cannot be fetched.
RETRY_AFTER_S = 5


def _quoted(text: str) -> str:
    return text.replace("\\", "").replace('"', "'")


class Unauthenticated(DomainError):
    """No token, or one that does not verify."""

    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str, *, realm: str, invalid: bool = False) -> None:
        super().__init__(detail)
        self.challenge = f'Bearer realm="{_quoted(realm)}"'
        if invalid:
            self.challenge += f', error="invalid_token", error_description="{_quoted(detail)}"'

    @property
    def headers(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": self.challenge}


class Forbidden(DomainError):
    """A valid token without the scope the route needs."""

    status = 403
    title = "Forbidden"

    def __init__(self, scope: str, *, realm: str) -> None:
        super().__init__(f"this needs the {scope!r} scope, which the token does not have")
        self.challenge = (
            f'Bearer realm="{_quoted(realm)}", error="insufficient_scope", scope="{scope}"'
        )

    @property
    def headers(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": self.challenge}


class IssuerUnavailable(DomainError):
    """The issuer's keys cannot be fetched, so no token can be checked yet."""

    status = 503
    title = "Service Unavailable"

    @property
    def headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(RETRY_AFTER_S)}


def _realm(request: Request) -> str:
    return str(getattr(request.app.state, "auth_realm", request.app.title))


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The verified caller of this request; 401 without a valid bearer token."""
    realm = _realm(request)
    if credentials is None:
        raise Unauthenticated("this needs a bearer token (Authorization: Bearer ...)", realm=realm)
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return await verifier.verify(credentials.credentials)
    except InvalidToken as error:
        raise Unauthenticated(str(error), realm=realm, invalid=True) from error
    except KeysUnavailable as error:
        raise IssuerUnavailable(str(error)) from error


Caller = Annotated[Principal, Depends(caller)]


def require_scope(scope: str) -> Callable[[Request, Principal], Awaitable[Principal]]:
    """A dependency that lets through callers whose token has ``scope``; 403 for the others."""

    async def scoped(request: Request, principal: Caller) -> Principal:
        if not principal.may(scope):
            raise Forbidden(scope, realm=_realm(request))
        return principal

    scoped.__name__ = f"requires_{scope}_scope"
    return scoped


def auth_responses(*, scoped: bool = False) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of an authenticated route (401, 503) and of a scoped one (403)."""
    described = {401: "No valid bearer token", 503: "The token issuer's keys are unavailable"}
    if scoped:
        described[403] = "The token lacks the scope this needs"
    return problem_responses(described)
