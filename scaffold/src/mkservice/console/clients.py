"""The services' HTTP APIs, as the console reads them: it never opens a service's database.

Orders' operations API gives the sagas (``/operations/sagas``, one saga, the saga's definition);
inventory's and payments' own APIs give the reservation and the payment of one order. A service
that does not answer is a :class:`ServiceUnavailable` the page shows, not a 500.
"""

from __future__ import annotations

from typing import Any

import httpx

from mkservice.console.settings import ConsoleSettings


class ServiceUnavailable(Exception):
    """A service did not answer, or answered with an error; the message says which."""


class NotFoundThere(Exception):
    """The service answered 404: it has no such thing."""


class RefusedThere(Exception):
    """The service refused the request as malformed (another 4xx): the message is its detail."""


class ServiceApis:
    """One HTTP client for every service the console shows."""

    def __init__(self, settings: ConsoleSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    @property
    def _authorization(self) -> dict[str, str]:
        token = self.settings.service_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    @property
    def has_sagas(self) -> bool:
        return self.settings.sagas_url is not None

    async def sagas(self, **query: str | int | None) -> dict[str, Any]:
        """One page of sagas with the counts (orders' ``GET /operations/sagas``)."""
        params = {key: value for key, value in query.items() if value not in (None, "")}
        return await self._get("orders", "/operations/sagas", params)

    async def saga(self, order_id: str) -> dict[str, Any]:
        return await self._get("orders", f"/operations/sagas/{_segment(order_id)}")

    async def saga_definition(self) -> dict[str, Any]:
        return await self._get("orders", "/operations/saga-definition")

    async def participant_view(self, service: str, path: str) -> dict[str, Any] | None:
        """What a participant holds of an order (None: nothing, or it is not in this stack)."""
        if service not in self.settings.services:
            return None
        try:
            return await self._get(service, path)
        except (NotFoundThere, RefusedThere):
            return None

    async def _get(
        self, service: str, path: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        base = self.settings.services.get(service)
        if base is None:
            raise ServiceUnavailable(f"{service} is not part of this stack")
        try:
            response = await self.client.get(
                base + path, params=params, headers=self._authorization,
                timeout=self.settings.request_timeout_s,
            )  # fmt: skip
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{service} did not answer ({type(error).__name__})") from None
        if response.status_code == 404:
            raise NotFoundThere(_detail(response))
        if 400 <= response.status_code < 500:
            raise RefusedThere(f"{service} refused it: {_detail(response)}")
        if response.status_code >= 500:
            raise ServiceUnavailable(
                f"{service} answered {response.status_code}: {_detail(response)}"
            )
        body: dict[str, Any] = response.json()
        return body


def _segment(value: str) -> str:
    """``value`` as one URL path segment (an id with a slash must not reach another route)."""
    from urllib.parse import quote

    return quote(value, safe="")


def _detail(response: httpx.Response) -> str:
    """The problem+json ``detail`` of an error answer, or its start."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200]
    return detail if isinstance(detail, str) else str(detail)[:200]
