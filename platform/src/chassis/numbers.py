"""Whole numbers as JSON Schema counts them: ``180`` and ``180.0`` alike, nothing else.

JSON Schema's ``integer`` is any number whose fractional part is zero, so a schema that says
``integer`` promises to take ``180.0``. Pydantic's strict ``int`` refuses it; its lax ``int``
takes it but also the strings ``"180"`` and booleans, which the schema calls no integers. Use
``Integer`` for the integer fields of request bodies, so that what the OpenAPI says is what the
service does.
"""

from typing import Annotated, Any

from pydantic import BeforeValidator, Strict


def whole(value: Any) -> Any:
    """An integral float as its int; anything else unchanged, for the strict int to judge."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(whole), Strict()]
