"""The tables of {{ cookiecutter.service_slug }}, in its OWN registry and metadata.

SQLModel's global ``SQLModel.metadata`` is shared by everything imported in a process; a
registry of our own keeps this service's metadata (and so its migrations) to its own tables.
"""

from datetime import datetime

from chassis import UTCDateTime, add_messaging_tables
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class {{ cookiecutter.class_prefix }}Base(SQLModel, registry=registry()):
    """Base class of every table of this service."""


# outbox_message and processed_message, created by this service's own first migration.
messaging_tables = add_messaging_tables({{ cookiecutter.class_prefix }}Base.metadata)


class ItemRow({{ cookiecutter.class_prefix }}Base, table=True):
    __tablename__ = "{{ cookiecutter.package }}_item"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime())
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
