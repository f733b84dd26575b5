"""How ``mkservice new`` stops: refused before writing anything, or failed and undone."""

from __future__ import annotations


class Refused(Exception):
    """The request cannot be honoured as given (a bad name or port); nothing was written.

    The message is one plain sentence a person can act on; the command exits with status 2.
    """


class GenerationFailed(Exception):
    """A step failed while generating; every change was undone. The command exits with 1."""
