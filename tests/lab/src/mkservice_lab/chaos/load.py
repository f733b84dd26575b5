"""The load driver: places the planned orders through the public API, whatever is failing.

Each order is sent with its own ``Idempotency-Key``; a request that fails (refused connection
while orders restarts, a timeout, a 5xx) is sent again with the same key until it is accepted,
so an order is placed exactly once even when its first answer was lost. Placing pauses while
too many sagas are unfinished (back-pressure) and while the faults lag behind (see ``Pacer``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from mkservice_lab.chaos.dbread import Databases
from mkservice_lab.chaos.pacing import Pacer, until
from mkservice_lab.chaos.scenario import PlannedOrder

log = logging.getLogger(__name__)

_RETRY_PAUSE_S = (0.2, 0.5, 1.0, 2.0)
# What a load balancer retries on the next replica (see ``LoadDriver._post``).
_DROPPED_CONNECTION = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
                       httpx.WriteError)  # fmt: skip


@dataclass
class LoadResult:
    accepted: dict[int, str] = field(default_factory=dict)  # plan index -> order id
    retries: int = 0
    refused: list[str] = field(default_factory=list)  # 4xx answers: a bug in plan or service
    statuses: dict[str, int] = field(default_factory=dict)  # PENDING etc. at acceptance
    # Every POST the clients sent: (sent, answered) in seconds of the run, and whether it
    # was accepted (2xx), for the share accepted while faults were on.
    posts: list[tuple[float, float, bool]] = field(default_factory=list)
    # Why POSTs were not accepted, by reason ("ReadTimeout", "503", ...) and when (run seconds).
    failures: dict[str, list[float]] = field(default_factory=dict)
    # Requests the load balancer sent to the next replica (refused or dropped connections).
    upstream_retries: int = 0


class LoadDriver:
    """Places ``orders`` with ``clients`` concurrent clients against the orders replicas."""

    def __init__(
        self,
        orders: list[PlannedOrder],
        orders_urls: Callable[[], list[str]],
        databases: Databases,
        pacer: Pacer,
        *,
        seed: int,
        clients: int,
        max_pending: int,
        give_up_s: float,
        authorization: Mapping[str, str],
    ) -> None:
        self.orders = orders
        # Asked for each request: every replica, the one whose turn it is first (a restart may
        # move one to another port).
        self.orders_urls = orders_urls
        self.databases = databases
        self.pacer = pacer
        self.seed = seed
        # The customer's bearer token header, sent with every order.
        self.authorization = dict(authorization)
        self.clients = clients
        self.max_pending = max_pending
        # Longer than any planned outage: an order still not accepted after this is a finding.
        self.give_up_s = give_up_s
        self.result = LoadResult()
        self._next = 0

    async def run(self) -> LoadResult:
        monitor = asyncio.create_task(self._monitor())
        try:
            async with httpx.AsyncClient(timeout=10.0) as http:
                await asyncio.gather(*(self._client(http) for _ in range(self.clients)))
        finally:
            monitor.cancel()
        return self.result

    async def _monitor(self) -> None:
        while True:
            count = await self.databases.try_count("unfinished")
            if count is not None:
                self.pacer.unfinished = count
            await asyncio.sleep(1.0)

    async def _client(self, http: httpx.AsyncClient) -> None:
        while self._next < len(self.orders) and not self.pacer.abandoned:
            order = self.orders[self._next]
            self._next += 1
            await self.pacer.wait_may_place(order.index)
            if not await until(
                lambda: self.pacer.abandoned or self.pacer.unfinished < self.max_pending,
                0.2, self.give_up_s,
            ):  # fmt: skip
                self._stall(f"order {order.index}: {self.pacer.unfinished} sagas unfinished "
                            f"for {self.give_up_s:.0f}s, none placed")  # fmt: skip
            if self.pacer.abandoned:
                return
            await self._place(http, order)
            self.pacer.placed += 1
            # Keep the back-pressure view current between two monitor rounds.
            self.pacer.unfinished += 1

    def _stall(self, reason: str) -> None:
        """Stop placing orders (every client) and the faults, and say why: the service is
        wedged, and waiting out the same limit for every order behind this one would only hide
        the finding behind hours of retries."""
        self.result.refused.append(reason)
        self.pacer.abandoned = True

    async def _place(self, http: httpx.AsyncClient, order: PlannedOrder) -> None:
        headers = {**self.authorization, "Idempotency-Key": f"chaos-{self.seed}-{order.index}"}
        attempt = 0
        give_up = time.monotonic() + self.give_up_s
        last_answer = "no answer yet"
        while True:
            if self.pacer.abandoned:
                return
            if time.monotonic() > give_up:
                self._stall(
                    f"order {order.index}: not accepted in {self.give_up_s:.0f}s "
                    f"(last answer: {last_answer})"
                )
                return
            sent = self.pacer.elapsed()
            response, last_answer = await self._post(http, order, headers, last_answer)
            accepted = response is not None and response.status_code in (200, 201, 202)
            self.result.posts.append((sent, self.pacer.elapsed(), accepted))
            if not accepted:
                reason = (
                    last_answer.split(" ")[0] if response is None else str(response.status_code)
                )
                self.result.failures.setdefault(reason, []).append(round(sent, 1))
            if response is not None and response.status_code in (200, 201, 202):
                body = response.json()
                self.result.accepted[order.index] = body["id"]
                status = str(body.get("status"))
                self.result.statuses[status] = self.result.statuses.get(status, 0) + 1
                return
            if response is not None and 400 <= response.status_code < 500:
                self.result.refused.append(
                    f"order {order.index}: {response.status_code} {response.text[:200]}"
                )
                return
            if response is not None:
                last_answer = f"{response.status_code} {response.text[:300]}"
            self.result.retries += 1
            await asyncio.sleep(_RETRY_PAUSE_S[min(attempt, len(_RETRY_PAUSE_S) - 1)])
            attempt += 1

    async def _post(
        self, http: httpx.AsyncClient, order: PlannedOrder, headers: dict[str, str], last: str
    ) -> tuple[httpx.Response | None, str]:
        """One POST as a load balancer in front of the replicas serves it, configured as
        Envoy's ``retry_on: connect-failure,reset``: a replica that refuses the connection
        (killed, or still starting) or drops it mid-request (killed while serving it) is
        followed by the next one. Resending a POST is safe only because it carries an
        ``Idempotency-Key``: a replica that committed the order before dying has stored its
        answer, and the next one gives it back. A timeout is not retried here."""
        for upstream in self.orders_urls():
            url = upstream.rstrip("/") + "/orders"
            try:
                return await http.post(url, json=order.body(self.seed), headers=headers), last
            except _DROPPED_CONNECTION as error:
                last = f"{type(error).__name__} from {url}"
                self.result.upstream_retries += 1
            except httpx.HTTPError as error:
                return None, f"{type(error).__name__} from {url}"
        return None, last
