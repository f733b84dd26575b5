"""A bearer token in, the :class:`Principal` it speaks for out, or the reason it is refused.

A token is accepted when it is a JWT signed with one of the issuer's keys, by an allowed
(asymmetric) algorithm, issued by the configured issuer for the configured audience, not expired
and naming a subject. Scopes come from the standard ``scope`` claim (space-separated, as
Keycloak and RFC 8693 write it) or ``scp`` (a list, as some issuers write it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt
from chassis.auth.keys import IssuerKeys
from chassis.auth.principal import Principal
from chassis.settings import ConfigError, ServiceSettings

# Only signatures checked with a public key: an HMAC algorithm would accept a token signed with
# the public key itself as its secret, and "none" accepts anything.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


class InvalidToken(Exception):
    """The token is refused; the message says why (it is sent back in the 401)."""


class TokenVerifier:
    """Checks tokens of one issuer for one audience."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: IssuerKeys,
        algorithms: Sequence[str] = ("RS256", "ES256"),
        leeway_s: float = 30.0,
    ) -> None:
        refused = sorted(set(algorithms) - ASYMMETRIC_ALGORITHMS)
        if refused:
            raise ValueError(f"not an asymmetric signature algorithm: {', '.join(refused)}")
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.algorithms = list(algorithms)
        self.leeway_s = leeway_s

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        """The verifier a service is configured with; a service does not serve without one."""
        for name in ("auth_issuer", "auth_jwks_url"):
            if not getattr(settings, name):
                raise ConfigError(
                    f"{settings.env_name(name)} is not set: a service verifies its callers' "
                    "tokens (docs/security.md; `mkservice up` sets it for a local run)"
                )
        keys = IssuerKeys(settings.auth_jwks_url, refresh_s=settings.auth_jwks_refresh_s)
        return cls(
            issuer=settings.auth_issuer, audience=settings.auth_audience, keys=keys,
            algorithms=settings.auth_algorithms, leeway_s=settings.auth_leeway_s,
        )  # fmt: skip

    async def verify(self, token: str) -> Principal:
        """The principal of ``token``; raises :class:`InvalidToken`, or
        :class:`chassis.auth.keys.KeysUnavailable` when the issuer's keys cannot be had."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("the token is not a JWT") from error
        if header.get("alg") not in self.algorithms:
            raise InvalidToken(f"the token's algorithm {header.get('alg')!r} is not accepted")
        key = await self.keys.key(header.get("kid"))
        if key is None:
            raise InvalidToken("the token is signed with a key the issuer does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=self.algorithms, audience=self.audience,
                issuer=self.issuer, leeway=self.leeway_s,
                options={"require": _REQUIRED_CLAIMS},
            )  # fmt: skip
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("the token has expired") from error
        except jwt.InvalidAudienceError as error:
            raise InvalidToken(f"the token is not for audience {self.audience!r}") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidToken(f"the token is not issued by {self.issuer!r}") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the token is invalid: {error}") from error
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidToken("the token names no subject")
        return Principal(subject=subject, scopes=_scopes(claims), claims=claims)


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    scope = claims.get("scope")
    listed = claims.get("scp")
    found: set[str] = set()
    if isinstance(scope, str):
        found.update(scope.split())
    if isinstance(listed, list):
        found.update(item for item in listed if isinstance(item, str))
    return frozenset(found)
