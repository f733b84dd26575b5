"""The domain of inventory: plain Python, no web framework, no SQL."""

from inventory.domain.commands import CommitStock, CreateProduct, ReleaseStock, ReserveStock
from inventory.domain.events import (
    OUT_OF_STOCK,
    RELEASED,
    UNKNOWN_SKU,
    Event,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
    Unavailable,
)
from inventory.domain.model import (
    InvalidProduct,
    Product,
    ProductExists,
    ReservedLine,
    StockLine,
)
from inventory.domain.reservation import (
    ProtocolViolation,
    Reservation,
    ReservationStatus,
    merge_lines,
    plan_reservation,
)

__all__ = [
    "OUT_OF_STOCK",
    "RELEASED",
    "UNKNOWN_SKU",
    "CommitStock",
    "CreateProduct",
    "Event",
    "InvalidProduct",
    "Product",
    "ProductExists",
    "ProtocolViolation",
    "ReleaseStock",
    "Reservation",
    "ReservationStatus",
    "ReserveStock",
    "ReservedLine",
    "StockCommitted",
    "StockLine",
    "StockRejected",
    "StockReleased",
    "StockReserved",
    "Unavailable",
    "merge_lines",
    "plan_reservation",
]
