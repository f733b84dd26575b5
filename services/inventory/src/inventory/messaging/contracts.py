"""Message contracts of inventory, exactly as docs/checkout-contracts.md lists them (v1).

inventory OWNS all of these: the commands it handles (``inventory.cmd.*``, sent by the checkout
saga into the INVENTORY stream) and its answers (``inventory.evt.*``). A service that sends or
reads them keeps its own copy; it never imports this module. Payload models ignore unknown
fields, so a sender may add one without a new version.
"""

from chassis import Contract, naming
from pydantic import BaseModel, Field


# --- commands (handled here) -----------------------------------------------------------------
class StockLineV1(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0)


class ReserveStockV1(BaseModel):
    order_id: str = Field(min_length=1, max_length=100)
    lines: list[StockLineV1] = Field(min_length=1)


class ReleaseStockV1(BaseModel):
    order_id: str = Field(min_length=1, max_length=100)
    reason: str


class CommitStockV1(BaseModel):
    order_id: str = Field(min_length=1, max_length=100)


RESERVE_STOCK = Contract("inventory.cmd.reserve-stock", "inventory.reserve-stock", ReserveStockV1)
RELEASE_STOCK = Contract("inventory.cmd.release-stock", "inventory.release-stock", ReleaseStockV1)
COMMIT_STOCK = Contract("inventory.cmd.commit-stock", "inventory.commit-stock", CommitStockV1)

# Every command addressed to inventory (``inventory.cmd.>``), the three above and any other.
COMMAND_SUBJECTS = naming.all_of_kind(RESERVE_STOCK.owner, naming.COMMAND)


# --- answers (published here) ----------------------------------------------------------------
class ReservedLineV1(BaseModel):
    sku: str
    quantity: int
    unit_price_cents: int


class StockReservedV1(BaseModel):
    order_id: str
    lines: list[ReservedLineV1]
    total_cents: int


class UnavailableLineV1(BaseModel):
    sku: str
    requested: int
    available: int


class StockRejectedV1(BaseModel):
    order_id: str
    reason: str
    unavailable: list[UnavailableLineV1]


class StockReleasedV1(BaseModel):
    order_id: str


class StockCommittedV1(BaseModel):
    order_id: str


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
