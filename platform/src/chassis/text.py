"""Text that every database can store: no NUL character, no unpaired surrogate.

SQLite stores both; PostgreSQL refuses NUL and the UTF-8 encoder refuses lone surrogates, so
without this check the same input is accepted in one mode and a 500 in the other. Use ``Text``
for free-text fields of request bodies.
"""

from typing import Annotated

from pydantic import AfterValidator, Field

# The rule as the OpenAPI states it, for clients and fuzzers to read: no NUL. Unpaired surrogates
# are refused too but not in the pattern: they are no Unicode scalar values, so a regex engine
# of Unicode text (Rust's, which schemathesis generates with) cannot name them and would drop
# the whole pattern; a JSON string holding one is not text any client means to send.
STORABLE_PATTERN = "^[^\\x00]*$"


def storable(value: str) -> str:
    """``value`` unchanged, or ValueError when a database could not store it."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds an unpaired surrogate)") from None
    return value


Text = Annotated[
    str, AfterValidator(storable), Field(json_schema_extra={"pattern": STORABLE_PATTERN})
]

# JSON's own whitespace: what "blank" means for a name or an id, the same in the schema's pattern
# and in the check (Unicode has several notions of a space; regex engines and str.strip() each
# pick another, and a fuzzer finds every gap between them).
BLANK = " \t\n\r"
NON_BLANK_PATTERN = "^[^\\x00]*[^\\x00 \\t\\n\\r][^\\x00]*$"


def is_blank(value: str) -> bool:
    """Whether ``value`` holds nothing but JSON whitespace."""
    return not value.strip(BLANK)


def non_blank(value: str) -> str:
    if is_blank(value):
        raise ValueError("must not be blank")
    return value


NonBlankText = Annotated[
    str,
    AfterValidator(storable),
    AfterValidator(non_blank),
    Field(json_schema_extra={"pattern": NON_BLANK_PATTERN}),
]
"""``Text`` with at least one character other than whitespace: an id, a name, a token."""
