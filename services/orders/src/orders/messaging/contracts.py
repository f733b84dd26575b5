"""Message contracts orders uses (see docs/checkout-contracts.md).

orders OWNS only its events (``orders.evt.*``). The commands it sends and the replies it reads
belong to inventory and payments; they are COPIED here on purpose, never imported from those
services: each service can then change its code freely, and a contract changes only by a new
version that both sides adopt.
"""

from chassis import Contract
from pydantic import BaseModel


# --- owned by orders -------------------------------------------------------------------------
class OrderConfirmedV1(BaseModel):
    order_id: str
    total_cents: int


class OrderRejectedV1(BaseModel):
    order_id: str
    reason: str


ORDER_CONFIRMED = Contract("orders.evt.order-confirmed", "orders.order-confirmed", OrderConfirmedV1)
ORDER_REJECTED = Contract("orders.evt.order-rejected", "orders.order-rejected", OrderRejectedV1)


# --- copied from inventory -------------------------------------------------------------------
class StockLine(BaseModel):
    sku: str
    quantity: int


class ReserveStockV1(BaseModel):
    order_id: str
    lines: list[StockLine]


class ReleaseStockV1(BaseModel):
    order_id: str
    reason: str


class CommitStockV1(BaseModel):
    order_id: str


class StockReservedV1(BaseModel):
    order_id: str
    total_cents: int


class StockRejectedV1(BaseModel):
    order_id: str
    reason: str


class StockReleasedV1(BaseModel):
    order_id: str


class StockCommittedV1(BaseModel):
    order_id: str


RESERVE_STOCK = Contract("inventory.cmd.reserve-stock", "inventory.reserve-stock", ReserveStockV1)
RELEASE_STOCK = Contract("inventory.cmd.release-stock", "inventory.release-stock", ReleaseStockV1)
COMMIT_STOCK = Contract("inventory.cmd.commit-stock", "inventory.commit-stock", CommitStockV1)
STOCK_RESERVED = Contract(
    "inventory.evt.stock-reserved", "inventory.stock-reserved", StockReservedV1
)
STOCK_REJECTED = Contract(
    "inventory.evt.stock-rejected", "inventory.stock-rejected", StockRejectedV1
)
STOCK_RELEASED = Contract(
    "inventory.evt.stock-released", "inventory.stock-released", StockReleasedV1
)
STOCK_COMMITTED = Contract(
    "inventory.evt.stock-committed", "inventory.stock-committed", StockCommittedV1
)


# --- copied from payments --------------------------------------------------------------------
class ChargeV1(BaseModel):
    order_id: str
    amount_cents: int
    payment_token: str


class RefundV1(BaseModel):
    order_id: str
    reason: str


class ChargedV1(BaseModel):
    order_id: str
    amount_cents: int


class DeclinedV1(BaseModel):
    order_id: str
    reason: str


class RefundedV1(BaseModel):
    order_id: str
    amount_cents: int


CHARGE = Contract("payments.cmd.charge", "payments.charge", ChargeV1)
REFUND = Contract("payments.cmd.refund", "payments.refund", RefundV1)
CHARGED = Contract("payments.evt.charged", "payments.charged", ChargedV1)
DECLINED = Contract("payments.evt.declined", "payments.declined", DeclinedV1)
REFUNDED = Contract("payments.evt.refunded", "payments.refunded", RefundedV1)
