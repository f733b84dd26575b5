"""A development token issuer: one EC key (ES256), its JWKS, and tokens signed with it.

``mkservice up`` keeps one in the workspace's data folder and serves its JWKS to the services it
starts; ``mkservice token`` prints tokens signed with the same key; tests make their own. It is
what an OpenID Connect provider (Keycloak in compose) is in production, minus the logging in.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

DEV_ISSUER = "mkservice-dev"
DEFAULT_AUDIENCE = "mkservice"
ALGORITHM = "ES256"


class DevIssuer:
    """Signs tokens with ``private_key`` as ``issuer``."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, issuer: str = DEV_ISSUER) -> None:
        self.private_key = private_key
        self.issuer = issuer
        public = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # A stable id derived from the key: tokens name it, the JWKS lists it.
        self.key_id = uuid.uuid5(uuid.NAMESPACE_OID, public.hex()).hex[:16]

    @classmethod
    def generate(cls, issuer: str = DEV_ISSUER) -> DevIssuer:
        return cls(ec.generate_private_key(ec.SECP256R1()), issuer)

    @classmethod
    def load_or_create(cls, path: Path, issuer: str = DEV_ISSUER) -> DevIssuer:
        """The issuer whose key is at ``path``; a new key is written there (0600) first if none
        is. Two processes racing to create it end up with the same key (the first rename wins
        and the other reads it)."""
        if not path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
            try:
                os.link(partial, path)  # fails when another process wrote it first
            except FileExistsError:
                pass
            finally:
                partial.unlink()
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return cls(loaded, issuer)

    def jwks(self) -> dict[str, Any]:
        """The JWKS document a service fetches to check these tokens."""
        public = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        public.update({"kid": self.key_id, "use": "sig", "alg": ALGORITHM})
        return {"keys": [public]}

    def write_jwks(self, path: Path) -> Path:
        """Write the JWKS to ``path`` (for a ``file://`` JWKS URL) and return it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def token(
        self,
        subject: str,
        scopes: Iterable[str] = (),
        *,
        audience: str | Sequence[str] = DEFAULT_AUDIENCE,
        expires_in_s: float = 3600.0,
        **claims: Any,
    ) -> str:
        """A signed access token for ``subject`` with ``scopes``."""
        now = int(time.time())
        payload = {
            "iss": self.issuer, "sub": subject,
            "aud": audience if isinstance(audience, str) else list(audience),
            "iat": now, "exp": now + int(expires_in_s), "jti": uuid.uuid4().hex,
            "scope": " ".join(sorted(set(scopes))), **claims,
        }  # fmt: skip
        return jwt.encode(payload, self.private_key, algorithm=ALGORITHM,
                          headers={"kid": self.key_id})  # fmt: skip
