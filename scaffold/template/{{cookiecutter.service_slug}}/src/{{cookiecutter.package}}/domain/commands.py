"""What callers ask of {{ cookiecutter.service_slug }} (imperative names)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateItem:
    name: str
