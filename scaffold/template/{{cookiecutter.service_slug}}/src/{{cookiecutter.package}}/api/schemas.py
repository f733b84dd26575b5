"""Request and response bodies (the public shape, separate from the tables)."""

from datetime import datetime

from chassis import Text
from pydantic import BaseModel, ConfigDict, Field


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, examples=["first item"])


class ItemPublic(BaseModel):
    id: str
    name: str
    created_at: datetime
    announced_at: datetime | None
