"""The floor of request handling: a bare FastAPI endpoint that inserts one row.

It uses the services' own engine setup (``chassis.db.Database``: SQLite in WAL mode with
``BEGIN IMMEDIATE``, or PostgreSQL through asyncpg) and is served by uvicorn the way
``chassis.service_cli`` serves a service, so the gap between this and a checkout is what the
checkout itself costs. Run it as ``python -m mkservice_lab.bench.bare_app DATABASE_URL PORT``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from chassis.db import Database
from chassis.types import UTCDateTime
from fastapi import FastAPI, status
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

metadata = MetaData()
bench_row = Table(
    "bench_row",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


class RowIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class RowOut(BaseModel):
    id: int


def create_app(database_url: str) -> FastAPI:
    """The app: ``POST /rows`` inserts one row in its own transaction; ``GET /health/ready``."""
    database = Database(database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        try:
            yield
        finally:
            await database.dispose()

    app = FastAPI(title="bench-floor", lifespan=lifespan)

    @app.post("/rows", status_code=status.HTTP_201_CREATED, response_model=RowOut)
    async def add_row(body: RowIn) -> RowOut:
        """Insert one row, committed before the answer."""
        async with database.transaction() as session:
            result = await session.execute(
                insert(bench_row).values(name=body.name, created_at=datetime.now(UTC))
            )
            key = result.inserted_primary_key  # type: ignore[attr-defined]
            row_id = key[0] if key else 0
        return RowOut(id=int(row_id))

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        """Serving."""
        return {"status": "ready"}

    return app


def main() -> None:
    import uvicorn

    database_url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        create_app(database_url),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
