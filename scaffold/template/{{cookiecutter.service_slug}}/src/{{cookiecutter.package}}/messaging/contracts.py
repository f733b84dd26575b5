"""Message contracts of {{ cookiecutter.service_slug }}.

Those it publishes it owns (subjects under ``{{ cookiecutter.service_slug }}.``).
A contract it consumes from another service is copied here, never imported from that
service's package.
"""

from chassis import Contract
from pydantic import BaseModel


class ItemCreatedV1(BaseModel):
    item_id: str
    name: str


ITEM_CREATED = Contract(
    subject="{{ cookiecutter.service_slug }}.evt.item-created",
    type="{{ cookiecutter.service_slug }}.item-created",
    model=ItemCreatedV1,
    version=1,
)
