"""Reading each service's own database from outside, read-only, as an auditor would.

SQLite files are opened with ``mode=ro`` (WAL lets us read while the service writes); a
PostgreSQL database is read with the service's own role in a read-only session. Nothing here
writes, so the checker cannot repair what it is meant to find.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy.engine import make_url

Row = dict[str, Any]


class DatabaseReader:
    """Runs read-only queries against one service's database URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def query(self, sql: str) -> list[Row]:
        if self.is_sqlite:
            return await asyncio.to_thread(self._sqlite_query, sql)
        return await self._postgres_query(sql)

    async def scalar(self, sql: str) -> Any:
        rows = await self.query(sql)
        return next(iter(rows[0].values())) if rows else None

    def _sqlite_query(self, sql: str) -> list[Row]:
        connection = sqlite3.connect(f"file:{self.url.database}?mode=ro", uri=True, timeout=30)
        try:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql).fetchall()]
        finally:
            connection.close()

    async def _postgres_query(self, sql: str) -> list[Row]:
        import asyncpg

        connection = await asyncpg.connect(
            user=self.url.username, password=self.url.password, host=self.url.host or "127.0.0.1",
            port=self.url.port or 5432, database=self.url.database, timeout=10,
        )  # fmt: skip
        try:
            await connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            return [dict(record) for record in await connection.fetch(sql)]
        finally:
            await connection.close()


class Databases:
    """The readers of every service, by service name."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.readers = {service: DatabaseReader(url) for service, url in urls.items()}

    def __getitem__(self, service: str) -> DatabaseReader:
        return self.readers[service]

    async def unfinished_orders(self) -> int:
        sql = (
            "SELECT count(*) AS n FROM customer_order WHERE status NOT IN ('CONFIRMED','REJECTED')"
        )
        return int(await self["orders"].scalar(sql) or 0)

    async def undelivered(self) -> dict[str, int]:
        """Outbox rows not yet published, per service."""
        sql = "SELECT count(*) AS n FROM outbox_message WHERE delivered_at IS NULL"
        counts = await asyncio.gather(*(reader.scalar(sql) for reader in self.readers.values()))
        return {service: int(n or 0) for service, n in zip(self.readers, counts, strict=True)}

    async def pending_payments(self) -> int:
        sql = "SELECT count(*) AS n FROM payment WHERE status = 'PENDING'"
        return int(await self["payments"].scalar(sql) or 0)

    async def try_count(self, what: str) -> int | None:
        """A count, or None while the database cannot be read (PostgreSQL restarting)."""
        try:
            if what == "unfinished":
                return await self.unfinished_orders()
            if what == "payments":
                return await self.pending_payments()
            return sum((await self.undelivered()).values())
        except Exception:
            return None


async def snapshot(databases: Databases) -> dict[str, dict[str, list[Row]]]:
    """Every table the invariants read, from every service."""
    tables = {
        "orders": {
            "orders": "SELECT id, status, reason, total_cents, idempotency_key FROM customer_order",
            "lines": "SELECT order_id, sku, quantity FROM order_line",
            "sagas": "SELECT order_id, state, deadline_at FROM checkout_saga",
            "steps": "SELECT order_id, step, outcome FROM saga_step",
        },
        "inventory": {
            "products": "SELECT sku, available, reserved, sold FROM product",
            "reservations": "SELECT order_id, status FROM reservation",
            "lines": "SELECT order_id, sku, quantity, unit_price_cents FROM reservation_line",
        },
        "payments": {
            "payments": "SELECT order_id, status, amount_cents, refunded_cents FROM payment",
        },
    }
    result: dict[str, dict[str, list[Row]]] = {}
    for service, queries in tables.items():
        reader = databases[service]
        result[service] = {name: await reader.query(sql) for name, sql in queries.items()}
        outbox = "SELECT message_type, count(*) AS n FROM outbox_message "
        outbox += "WHERE delivered_at IS NULL GROUP BY message_type"
        result[service]["undelivered"] = await reader.query(outbox)
    return result
