"""Tokens for a service's tests: a development issuer whose JWKS is a file the service reads, and
the settings that point the service at it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chassis.auth.dev_issuer import DEFAULT_AUDIENCE, DevIssuer


class TestIssuer:
    """A :class:`DevIssuer` with its JWKS written to ``jwks_path``."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, issuer: DevIssuer, jwks_path: Path) -> None:
        self.issuer = issuer
        self.jwks_path = issuer.write_jwks(jwks_path)

    @property
    def jwks_url(self) -> str:
        return self.jwks_path.resolve().as_uri()

    def settings(self) -> dict[str, Any]:
        """Keyword arguments of a service's settings class: its issuer and JWKS URL."""
        return {"auth_issuer": self.issuer.issuer, "auth_jwks_url": self.jwks_url}

    def env(self, env_prefix: str) -> dict[str, str]:
        """The same as environment variables under ``env_prefix`` (a service run as a process)."""
        return {f"{env_prefix}AUTH_ISSUER": self.issuer.issuer,
                f"{env_prefix}AUTH_JWKS_URL": self.jwks_url}  # fmt: skip

    def token(self, subject: str, scopes: Iterable[str] = (), **options: Any) -> str:
        options.setdefault("audience", DEFAULT_AUDIENCE)
        return self.issuer.token(subject, scopes, **options)

    def headers(self, subject: str, scopes: Iterable[str] = (), **options: Any) -> dict[str, str]:
        """``Authorization`` for a request as ``subject`` with ``scopes``."""
        return {"Authorization": f"Bearer {self.token(subject, scopes, **options)}"}
