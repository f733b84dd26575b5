"""The issuer's signing keys (its JWKS document), fetched when first needed, kept for a while and
fetched again when they are old or a token names a key not seen yet (the issuer rotated).

An issuer that cannot be reached does not log anyone out: the keys already fetched are used
until it answers again. Only with no keys at all is a token unverifiable (:class:`KeysUnavailable`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import jwt

log = logging.getLogger("chassis.auth")

# An unknown key id fetches the document again, but at most this often: a stream of tokens with
# made-up key ids must not turn the service into a load generator against its issuer.
_UNKNOWN_KEY_REFETCH_S = 10.0
_FETCH_TIMEOUT_S = 5.0


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched, and none were fetched before."""


class IssuerKeys:
    """The JWKS at ``url`` (https, http, or file for a key set on disk), kept ``refresh_s``."""

    def __init__(self, url: str, *, refresh_s: float) -> None:
        self.url = url
        self.refresh_s = refresh_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, key_id: str | None) -> jwt.PyJWK | None:
        """The key with ``key_id`` (the only key, when the token names none), or None."""
        if self._stale():
            await self._refresh(self._stale)
        found = self._pick(key_id)
        if found is None and self._may_refetch():
            await self._refresh(lambda: self._pick(key_id) is None and self._may_refetch())
            found = self._pick(key_id)
        return found

    def _pick(self, key_id: str | None) -> jwt.PyJWK | None:
        if key_id is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(key_id)

    def _stale(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self.refresh_s

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or (
            time.monotonic() - self._fetched_at >= _UNKNOWN_KEY_REFETCH_S
        )

    async def _refresh(self, still_needed: Callable[[], bool]) -> None:
        async with self._lock:
            # Requests that waited for the lock while another fetched need not fetch again.
            if not still_needed():
                return
            try:
                document = await self._fetch()
                keys = _signing_keys(document)
            except (OSError, httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
                if not self._keys:
                    raise KeysUnavailable(f"cannot fetch the issuer's keys from {self.url}: "
                                          f"{error}") from error  # fmt: skip
                log.warning("keeping the issuer's keys fetched before: %s (%s)", error, self.url)
                # Tried now: the next attempt waits as an unknown key id would.
                self._fetched_at = time.monotonic() - self.refresh_s + _UNKNOWN_KEY_REFETCH_S
                return
            self._keys = keys
            self._fetched_at = time.monotonic()

    async def _fetch(self) -> dict[str, Any]:
        parts = urlsplit(self.url)
        if parts.scheme == "file":
            text = await asyncio.to_thread(Path(unquote(parts.path)).read_text, encoding="utf-8")
            document = json.loads(text)
        else:
            async with httpx.AsyncClient(timeout=_FETCH_TIMEOUT_S) as http:
                response = await http.get(self.url, headers={"Accept": "application/json"})
                response.raise_for_status()
                document = response.json()
        if not isinstance(document, dict):
            raise ValueError("a JWKS document is a JSON object with a list of keys")
        return document


def _signing_keys(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """Keys by id; an encryption key (``use: enc``) or a key PyJWT cannot use is left out."""
    keys: dict[str, jwt.PyJWK] = {}
    for index, entry in enumerate(document.get("keys", [])):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK.from_dict(entry)
        except jwt.PyJWTError:
            continue
        keys[str(entry.get("kid", index))] = key
    if not keys:
        raise ValueError("the JWKS document holds no signing key")
    return keys
