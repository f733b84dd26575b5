"""The checkout client spreads requests over every replica of a service, over real sockets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mkservice_lab.client import CheckoutClient, replica_urls


class Replica:
    """A tiny HTTP server on a free local port that answers ``POST /orders`` and counts it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[str] = []
        replica = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                replica.received.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.dumps({"id": f"order-from-{replica.name}", "status": "PENDING"})
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads ``received``, not the log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Replica:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def two_replicas() -> Iterator[tuple[Replica, Replica]]:
    with Replica("first") as first, Replica("second") as second:
        yield first, second


async def place(client: CheckoutClient) -> str:
    order = await client.place_order([{"sku": "sku-1", "quantity": 1}], "tok_ok")
    return str(order["id"])


async def test_orders_go_to_each_replica_in_turn(two_replicas: tuple[Replica, Replica]) -> None:
    first, second = two_replicas

    async with CheckoutClient({"orders": [first.url, second.url]}) as client:
        answered_by = [await place(client) for _ in range(4)]

    assert answered_by == ["order-from-first", "order-from-second"] * 2
    assert first.received == ["/orders", "/orders"]
    assert second.received == ["/orders", "/orders"]


async def test_one_url_sends_every_request_to_that_service(
    two_replicas: tuple[Replica, Replica],
) -> None:
    first, second = two_replicas

    async with CheckoutClient({"orders": first.url}) as client:
        answered_by = [await place(client) for _ in range(3)]
        assert client.urls == {"orders": first.url}

    assert answered_by == ["order-from-first"] * 3
    assert second.received == []


def test_a_stack_gives_the_client_every_replica_of_every_service() -> None:
    class Stack:
        urls = {"orders": "http://a:1", "payments": "http://p:1"}

        def urls_of(self, service: str) -> list[str]:
            return {"orders": ["http://a:1", "http://a:2"], "payments": ["http://p:1"]}[service]

    assert replica_urls(Stack()) == {
        "orders": ["http://a:1", "http://a:2"],
        "payments": ["http://p:1"],
    }


def test_a_service_without_a_url_is_refused() -> None:
    with pytest.raises(ValueError, match="no URL for orders"):
        CheckoutClient({"orders": []})
