"""Text that every database can store: no NUL character, no unpaired surrogate.

SQLite stores both; PostgreSQL refuses NUL and the UTF-8 encoder refuses lone surrogates, so
without this check the same input is accepted in one mode and a 500 in the other. Use ``Text``
for free-text fields of request bodies.
"""

from typing import Annotated

from pydantic import AfterValidator


def storable(value: str) -> str:
    """``value`` unchanged, or ValueError when a database could not store it."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds an unpaired surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(storable)]
