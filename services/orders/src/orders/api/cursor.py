"""The ``cursor`` of a page of sagas: where the previous page ended, as url-safe text.

Clients hand back what they were given and should not build one. Its form is nonetheless
stated in the OpenAPI (``PATTERN``: the placing time in microseconds since the epoch, then the
order id), and every string of that form is a place in the newest-first order, so the schema
says exactly which cursors are accepted: the rest are refused by validation with a 422 before
the route runs, and none is ever a server error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orders.domain.saga.overview import PageKey

# 16 digits of microseconds reach the year 2286; order ids are uuid4 text.
PATTERN = r"^[0-9]{1,16}_[0-9a-f-]{36}$"
MAX_LENGTH = 16 + 1 + 36
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode(key: PageKey) -> str:
    return f"{(key.placed_at - _EPOCH) // _MICROSECOND}_{key.order_id}"


def decode(cursor: str) -> PageKey:
    """The key ``cursor`` names; ``cursor`` must match ``PATTERN`` (the route checks it)."""
    if not re.fullmatch(PATTERN, cursor):
        raise ValueError(f"not a cursor: {cursor!r}")
    micros, _, order_id = cursor.partition("_")
    return PageKey(_EPOCH + int(micros) * _MICROSECOND, order_id)
