"""The OpenID Connect provider of both compose files: a Keycloak block and the realm ``checkout`` it
imports at each start, inline as the ``content`` of ``configs: keycloak-realm`` (issue 16).

The services verify bearer JWTs of this issuer (``chassis.auth``): every service block sets
``<PREFIX>AUTH_ISSUER`` (:data:`ISSUER`) and ``<PREFIX>AUTH_JWKS_URL`` (:data:`JWKS_URL`) and waits
for Keycloak to be healthy. The realm grants two scopes, ``admin`` (catalogue and stock writes,
payments, orders' operations API, the saga console) and ``metrics`` (``/metrics``), and puts
``mkservice`` (the services' default ``AUTH_AUDIENCE``) in every access token's ``aud``:

- ``checkout-shop``: public, the password grant only, for customers; the demo user ``customer-1``.
  A customer's id is the token's ``sub``, the Keycloak user id, fixed in the realm
  (:data:`CUSTOMER_ID`) so that it is the same after every import.
- ``checkout-operator``: confidential, client credentials (a service account), scope ``admin``.
- ``prometheus``: confidential, client credentials, scope ``metrics``: Prometheus's scrape jobs.

No secret is written here: the realm holds ``${<VARIABLE>}`` references, which compose
interpolates in an inline ``content`` like any value (as the NATS passwords), from the
git-ignored .env that ``mkservice secrets`` writes (:data:`VARIABLES`, ADR 0025).
"""

from __future__ import annotations

import json
from typing import Any

KEYCLOAK = "keycloak"
IMAGE = "quay.io/keycloak/keycloak:26.0"
REALM = "checkout"
# Where every token says it comes from: Keycloak's URL inside compose's network, pinned with
# KC_HOSTNAME so that a token fetched from the host (http://localhost:8080) says the same.
KEYCLOAK_URL = "http://keycloak:8080"
ISSUER = f"{KEYCLOAK_URL}/realms/{REALM}"
JWKS_URL = f"{ISSUER}/protocol/openid-connect/certs"
TOKEN_URL = f"{ISSUER}/protocol/openid-connect/token"
AUDIENCE = "mkservice"
ADMIN_SCOPE, METRICS_SCOPE = "admin", "metrics"
AUDIENCE_SCOPE = "mkservice-audience"
# Keycloak (25 and later) puts `sub` in a token through this client scope; a realm imported with
# its own client scopes has only those, so it is listed too.
BASIC_SCOPE = "basic"
SHOP_CLIENT, OPERATOR_CLIENT, PROMETHEUS_CLIENT = "checkout-shop", "checkout-operator", "prometheus"
CUSTOMER = "customer-1"
CUSTOMER_ID = "00000000-0000-4000-8000-000000000001"

# The top-level config holding the realm, and where Keycloak's --import-realm reads it.
REALM_CONFIG = "keycloak-realm"
REALM_TARGET = "/opt/keycloak/data/import/checkout-realm.json"
# Prometheus's client secret, handed to it as a file by the compose secret of this name.
PROMETHEUS_CREDENTIALS = "prometheus-client-secret"
PROMETHEUS_CREDENTIALS_FILE = f"/run/secrets/{PROMETHEUS_CREDENTIALS}"

# The .env variables: the admin console's, the two confidential clients', the demo customer's.
ADMIN_VARIABLE = "KEYCLOAK_ADMIN_PASSWORD"
OPERATOR_VARIABLE = "KEYCLOAK_OPERATOR_CLIENT_SECRET"
PROMETHEUS_VARIABLE = "KEYCLOAK_PROMETHEUS_CLIENT_SECRET"
CUSTOMER_VARIABLE = "KEYCLOAK_CUSTOMER_PASSWORD"
VARIABLES = (ADMIN_VARIABLE, OPERATOR_VARIABLE, PROMETHEUS_VARIABLE, CUSTOMER_VARIABLE)


def _reference(variable: str) -> str:
    return f"${{{variable}}}"


def _scope(name: str, *, in_token: bool, mappers: list[dict[str, Any]] | None = None) -> dict:
    scope: dict[str, Any] = {
        "name": name,
        "protocol": "openid-connect",
        "attributes": {
            "include.in.token.scope": "true" if in_token else "false",
            "display.on.consent.screen": "false",
        },
    }
    if mappers:
        scope["protocolMappers"] = mappers
    return scope


def _mapper(name: str, kind: str, config: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "protocol": "openid-connect",
        "protocolMapper": kind,
        "consentRequired": False,
        "config": config,
    }


# Every client's scopes, before its own: `sub`, and the services' audience.
_COMMON_SCOPES = [BASIC_SCOPE, AUDIENCE_SCOPE]


def _client(client_id: str, description: str, **flags: Any) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "description": description,
        "enabled": True,
        "protocol": "openid-connect",
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "publicClient": False,
        "defaultClientScopes": list(_COMMON_SCOPES),
        "optionalClientScopes": [],
        **flags,
    }


def _service_account(client_id: str, description: str, variable: str, scope: str) -> dict:
    return _client(
        client_id,
        description,
        serviceAccountsEnabled=True,
        clientAuthenticatorType="client-secret",
        secret=_reference(variable),
        defaultClientScopes=[*_COMMON_SCOPES, scope],
    )


def realm() -> dict[str, Any]:
    """The realm ``checkout`` as Keycloak's import reads it."""
    return {
        "realm": REALM,
        "enabled": True,
        "sslRequired": "external",
        "accessTokenLifespan": 300,
        "clientScopes": [
            _scope(
                BASIC_SCOPE,
                in_token=False,
                mappers=[
                    _mapper(
                        "sub",
                        "oidc-sub-mapper",
                        {"access.token.claim": "true", "introspection.token.claim": "true"},
                    )
                ],
            ),
            _scope(
                AUDIENCE_SCOPE,
                in_token=False,
                mappers=[
                    _mapper(
                        f"{AUDIENCE} audience",
                        "oidc-audience-mapper",
                        {
                            "included.custom.audience": AUDIENCE,
                            "access.token.claim": "true",
                            "id.token.claim": "false",
                            "introspection.token.claim": "true",
                        },
                    )
                ],
            ),
            _scope(ADMIN_SCOPE, in_token=True),
            _scope(METRICS_SCOPE, in_token=True),
        ],
        # What a client made later (in the admin console) gets.
        "defaultDefaultClientScopes": list(_COMMON_SCOPES),
        "defaultOptionalClientScopes": [],
        "clients": [
            _client(
                SHOP_CLIENT,
                "Customers: the password grant, no scope beyond their own orders.",
                publicClient=True,
                directAccessGrantsEnabled=True,
            ),
            _service_account(
                OPERATOR_CLIENT,
                "Operators and the saga console: client credentials, scope admin.",
                OPERATOR_VARIABLE,
                ADMIN_SCOPE,
            ),
            _service_account(
                PROMETHEUS_CLIENT,
                "Prometheus scraping /metrics: client credentials, scope metrics.",
                PROMETHEUS_VARIABLE,
                METRICS_SCOPE,
            ),
        ],
        "users": [
            {
                # The token's `sub`, the customer id the services record: fixed, so a customer's
                # orders stay theirs when Keycloak imports the realm again.
                "id": CUSTOMER_ID,
                "username": CUSTOMER,
                "enabled": True,
                # Keycloak refuses a password grant to an account missing these ("not fully
                # set up").
                "email": f"{CUSTOMER}@example.com",
                "emailVerified": True,
                "firstName": "Demo",
                "lastName": "Customer",
                "credentials": [
                    {"type": "password", "value": _reference(CUSTOMER_VARIABLE), "temporary": False}
                ],
                "requiredActions": [],
            }
        ],
    }


def _indented(text: str, spaces: int) -> str:
    return "".join(f"{' ' * spaces}{line}\n" for line in text.splitlines())


# The service block, the same in both compose files.
KEYCLOAK_BLOCK = f"""\
  # The OpenID Connect provider the services take bearer tokens from (chassis.auth): at each
  # start it imports the realm `{REALM}` of `configs: {REALM_CONFIG}` (its clients, scopes and
  # demo user; mkservice/generator/keycloak_realm.py). Development mode, data in the container:
  # recreating it imports the realm again, with the secrets .env holds then. The admin console
  # is http://localhost:8080 (user admin, password KEYCLOAK_ADMIN_PASSWORD in .env). A token:
  #   curl -d grant_type=client_credentials -d client_id={OPERATOR_CLIENT} \\
  #     -d client_secret=... http://localhost:8080/realms/{REALM}/protocol/openid-connect/token
  {KEYCLOAK}:
    image: {IMAGE}
    command: ["start-dev", "--import-realm"]
    environment:
      KC_BOOTSTRAP_ADMIN_USERNAME: admin
      KC_BOOTSTRAP_ADMIN_PASSWORD: ${{{ADMIN_VARIABLE}:?run mkservice secrets}}
      # Keycloak writes the URL a token was requested at into its `iss`, which the services
      # compare with their AUTH_ISSUER: pinned to the name inside compose's network, so that a
      # token fetched from the host (http://localhost:8080) carries the same issuer,
      # {ISSUER}.
      KC_HOSTNAME: {KEYCLOAK_URL}
      # /health/ready on the management port, 9000, for the healthcheck.
      KC_HEALTH_ENABLED: "true"
    configs:
      - source: {REALM_CONFIG}
        target: {REALM_TARGET}
    ports:
      - "8080:8080"
    healthcheck:
      # The image has neither curl nor wget: bash's /dev/tcp asks for the readiness status.
      test:
        - CMD
        - bash
        - -c
        - >-
          exec 3<>/dev/tcp/127.0.0.1/9000 &&
          printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 &&
          read -r status <&3 && [[ $$status == *' 200 '* ]]
      interval: 5s
      timeout: 3s
      retries: 60
      start_period: 20s

"""

# The top-level config with the realm (JSON); `${{...}}` are compose's, from .env.
KEYCLOAK_CONFIG = f"""\
  # The realm Keycloak imports (mkservice/generator/keycloak_realm.py): clients checkout-shop
  # (customers, public), checkout-operator (scope admin) and prometheus (scope metrics), and
  # the demo customer {CUSTOMER}. Compose interpolates the content: each `${{KEYCLOAK_...}}` is
  # the value in .env (`mkservice secrets`), so no secret is in this file.
  {REALM_CONFIG}:
    content: |
{_indented(json.dumps(realm(), indent=2), 6)}"""

# The top-level secret Prometheus reads its client secret from.
CREDENTIALS_SECTION = f"""\
# Prometheus's client secret for Keycloak, from .env: compose hands it over as the file
# {PROMETHEUS_CREDENTIALS_FILE}, which each scrape job's `oauth2` reads
# (`client_secret_file`), so neither this file nor the scrape config holds it.
secrets:
  {PROMETHEUS_CREDENTIALS}:
    environment: {PROMETHEUS_VARIABLE}
"""
