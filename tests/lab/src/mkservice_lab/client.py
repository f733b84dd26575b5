"""An HTTP client for the checkout, as a user of the stack sees it: place orders, wait for them.

Shared by ``mkservice demo`` and the end-to-end tests, so both exercise the same public API:
``POST /orders`` (202, the order in ``PENDING``), ``GET /orders/{id}``, ``GET /products`` on
inventory and ``GET /payments`` on payments.

Every call carries a bearer token (chassis.auth), minted by the stack's issuer (``tokens``, the
``Supervisor``): a customer's token for placing and reading that customer's orders, an admin
token for changing the catalogue and reading payments; catalogue reads go without one, as a
shop's would.

A service may run as several replicas (``mkservice up --replicas N``): the client then takes
every replica's URL and sends each request to the next one in turn, as a load balancer in front
of them would. There is no proxy in the stack; a real deployment puts one there.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

import httpx

TERMINAL_STATUSES = frozenset({"CONFIRMED", "REJECTED"})


def checkout_finished(order: Mapping[str, Any]) -> bool:
    """Whether the order's checkout is over: rejected, or confirmed with its stock committed.

    An order is CONFIRMED as soon as it is paid (the saga's pivot); the reservation is committed
    just after, and the timeline says when ("commit stock" "succeeded"). Stock figures read
    before that still show the units as reserved.
    """
    if order.get("status") == "REJECTED":
        return True
    return order.get("status") == "CONFIRMED" and any(
        entry.get("step") == "commit stock" and entry.get("outcome") == "succeeded"
        for entry in order.get("timeline") or ()
    )


Order = dict[str, Any]


class Replicated(Protocol):
    """A running stack (the stack's ``Supervisor``): its services and every replica's URL."""

    @property
    def urls(self) -> dict[str, str]: ...

    def urls_of(self, service: str) -> list[str]: ...


def replica_urls(stack: Replicated) -> dict[str, list[str]]:
    """Every service of ``stack`` with the URLs of all its replicas, for :class:`CheckoutClient`."""
    return {service: stack.urls_of(service) for service in stack.urls}


class TokenSource(Protocol):
    """What mints tokens the stack accepts (the stack's ``Supervisor``, or a ``DevIssuer``)."""

    def token(self, subject: str, scopes: Sequence[str] = ...) -> str: ...


ADMIN = ("ops", ("admin",))  # the subject and scopes of the operator's calls
DEFAULT_CUSTOMER = "c-1"
# A token is minted for an hour; one older than this is minted again before use.
_TOKEN_REUSE_S = 30 * 60


class CheckoutError(Exception):
    """A request was refused or answered unexpectedly; the message holds the response body."""


class CheckoutClient:
    """Talks to the services at ``urls`` (service name -> base URL, or every replica's base
    URL: each request goes to the next replica, round robin). Use ``async with``."""

    def __init__(
        self,
        urls: Mapping[str, str | Sequence[str]],
        *,
        tokens: TokenSource | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.replica_urls = {
            service: [given] if isinstance(given, str) else list(given)
            for service, given in urls.items()
        }
        empty = sorted(service for service, found in self.replica_urls.items() if not found)
        if empty:
            raise ValueError(f"no URL for {', '.join(empty)}")
        # The first replica's URL: what a caller that knows one URL per service reads.
        self.urls = {service: found[0] for service, found in self.replica_urls.items()}
        self._next_url: dict[str, Iterator[str]] = {
            service: itertools.cycle(found) for service, found in self.replica_urls.items()
        }
        # ``transport`` lets a test answer in-process (httpx.MockTransport) instead of over TCP.
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        # Order id -> the trace id of its checkout, when orders traces (its ``traceresponse``).
        self.trace_ids: dict[str, str] = {}
        self.tokens = tokens
        self._minted: dict[tuple[str, tuple[str, ...]], tuple[float, str]] = {}
        # Order id -> the customer who placed it: only they (or an admin) may read it.
        self.customer_of: dict[str, str] = {}

    async def __aenter__(self) -> CheckoutClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def base_url(self, service: str) -> str:
        """The base URL of ``service``'s replica that gets the next request (round robin)."""
        return next(self._next_url[service])

    def authorization(self, subject: str, scopes: Sequence[str] = ()) -> dict[str, str]:
        """The ``Authorization`` header of a call as ``subject`` with ``scopes`` (none without a
        token source)."""
        if self.tokens is None:
            return {}
        key = (subject, tuple(sorted(scopes)))
        minted = self._minted.get(key)
        if minted is None or time.monotonic() - minted[0] > _TOKEN_REUSE_S:
            minted = (time.monotonic(), self.tokens.token(subject, key[1]))
            self._minted[key] = minted
        return {"Authorization": f"Bearer {minted[1]}"}

    def _as_admin(self) -> dict[str, str]:
        return self.authorization(*ADMIN)

    async def _request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        url = self.base_url(service) + path
        response = await self._http.request(method, url, headers=headers, **kwargs)
        if response.is_error:
            raise CheckoutError(
                f"{method} {service} {path} answered {response.status_code}: {response.text}"
            )
        return response

    async def place_order(
        self,
        lines: Sequence[Mapping[str, Any]],
        payment_token: str,
        *,
        customer_id: str = DEFAULT_CUSTOMER,
        idempotency_key: str | None = None,
    ) -> Order:
        """``POST /orders`` as ``customer_id`` (the token's subject; the body has no customer);
        returns the accepted order (status ``PENDING``)."""
        body = {"lines": list(lines), "payment_token": payment_token}
        headers = self.authorization(customer_id)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = await self._request("POST", "orders", "/orders", json=body, headers=headers)
        order: Order = response.json()
        self.customer_of[order["id"]] = customer_id
        traced = response.headers.get("traceresponse", "").split("-")
        if len(traced) == 4:  # version-trace id-span id-flags
            self.trace_ids[order["id"]] = traced[1]
        return order

    async def place_and_wait(
        self,
        lines: Sequence[Mapping[str, Any]],
        payment_token: str,
        *,
        timeout: float = 60.0,
        **options: Any,
    ) -> Order:
        """Place an order and return it once its saga has finished (``CONFIRMED``/``REJECTED``)."""
        placed = await self.place_order(lines, payment_token, **options)
        return (await self.wait_terminal([placed["id"]], timeout=timeout))[placed["id"]]

    async def get_order(self, order_id: str) -> Order:
        """``GET /orders/{id}`` as the customer who placed it (as an admin for an order placed
        elsewhere)."""
        customer = self.customer_of.get(order_id)
        headers = self.authorization(customer) if customer else self._as_admin()
        path = f"/orders/{order_id}"
        order: Order = (await self._request("GET", "orders", path, headers=headers)).json()
        return order

    async def wait_terminal(
        self,
        order_ids: Sequence[str],
        *,
        timeout: float = 60.0,
        interval: float = 0.25,
        on_progress: Callable[[dict[str, Order]], None] | None = None,
    ) -> dict[str, Order]:
        """Poll until every order's checkout is over (:func:`checkout_finished`); return them.

        ``on_progress`` gets the latest view of every order after each round. Raises
        ``TimeoutError`` naming the orders still pending after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        latest: dict[str, Order] = {}
        while True:
            pending = [i for i in order_ids if not checkout_finished(latest.get(i, {}))]
            for order in await asyncio.gather(*(self.get_order(i) for i in pending)):
                latest[order["id"]] = order
            if on_progress is not None:
                on_progress(dict(latest))
            pending = [i for i in order_ids if not checkout_finished(latest[i])]
            if not pending:
                return latest
            if time.monotonic() > deadline:
                states = ", ".join(f"{i} ({latest[i].get('status')})" for i in pending)
                raise TimeoutError(f"orders not finished after {timeout:.0f}s: {states}")
            await asyncio.sleep(interval)

    async def create_product(
        self, sku: str, stock: int, *, price_cents: int = 1_000, name: str | None = None
    ) -> dict[str, Any]:
        """``POST /products`` on inventory; returns the product with its stock."""
        body = {"sku": sku, "name": name or sku, "price_cents": price_cents, "stock": stock}
        product: dict[str, Any] = (
            await self._request("POST", "inventory", "/products", json=body,
                                headers=self._as_admin())
        ).json()  # fmt: skip
        return product

    async def product(self, sku: str) -> dict[str, Any]:
        """``GET /products/{sku}`` on inventory."""
        product: dict[str, Any] = (
            await self._request("GET", "inventory", f"/products/{sku}")
        ).json()
        return product

    async def products(self) -> list[dict[str, Any]]:
        """``GET /products`` on inventory."""
        return _records((await self._request("GET", "inventory", "/products")).json())

    async def payments(self) -> list[dict[str, Any]]:
        """``GET /payments`` on payments."""
        answer = await self._request("GET", "payments", "/payments", headers=self._as_admin())
        return _records(answer.json())

    async def payment(self, order_id: str) -> dict[str, Any] | None:
        """``GET /payments/{order_id}`` on payments; ``None`` when the order has no payment."""
        response = await self._http.get(
            f"{self.base_url('payments')}/payments/{order_id}", headers=self._as_admin()
        )
        if response.status_code == 404:
            return None
        if response.is_error:
            raise CheckoutError(f"GET payments /payments/{order_id}: {response.text}")
        payment: dict[str, Any] = response.json()
        return payment


def _records(body: Any) -> list[dict[str, Any]]:
    """A list of objects, whether the API answers a bare list or a page such as ``{items: []}``."""
    if isinstance(body, dict):
        lists = [value for value in body.values() if isinstance(value, list)]
        body = lists[0] if len(lists) == 1 else [body]
    return [item for item in body if isinstance(item, dict)]
