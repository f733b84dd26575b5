"""Who a verified token speaks for, and the scopes the checkout's routes ask for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Catalogue and stock changes, payments' API, orders' operations API and the saga console.
ADMIN_SCOPE = "admin"
# Scraping /metrics (Prometheus's own client).
METRICS_SCOPE = "metrics"


@dataclass(frozen=True)
class Principal:
    """The caller of a request: the token's subject (a customer id for a customer) and scopes."""

    subject: str
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def may(self, scope: str) -> bool:
        return scope in self.scopes
