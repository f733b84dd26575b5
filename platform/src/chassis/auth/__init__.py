"""End-user authentication and authorisation (ADR 0026).

A request carries an OAuth2 bearer token, a JWT signed by the issuer; the service checks it
against the issuer's published keys (its JWKS) and learns who calls (the token's subject) and
what they may do (its scopes). Nothing here talks to the issuer but to fetch its keys.

- :mod:`chassis.auth.principal`: ``Principal``, who a verified token speaks for.
- :mod:`chassis.auth.keys`: ``IssuerKeys``, the JWKS, cached and refreshed.
- :mod:`chassis.auth.verifier`: ``TokenVerifier``, a token in, a principal or a reason out.
- :mod:`chassis.auth.http`: the FastAPI side: ``Caller``, ``require_scope``, 401 and 403.
- :mod:`chassis.auth.dev_issuer`: ``DevIssuer``, the local issuer of ``mkservice up`` and tests.
"""

from chassis.auth.principal import ADMIN_SCOPE, METRICS_SCOPE, Principal

__all__ = ["ADMIN_SCOPE", "METRICS_SCOPE", "Principal"]
