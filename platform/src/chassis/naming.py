"""The names derived from a service's name, in one place.

A service is named once (its ``service_name``, the ``service`` key of its record); its
environment prefix, its JetStream stream and its subjects all follow from that name, here:

- environment variables ``<SERVICE>_<SETTING>`` (``ORDERS_DATABASE_URL``);
- one stream per service, ``<SERVICE>``, holding the subjects ``<service>.>``;
- subjects ``<service>.<kind>.<name>``: kind ``evt`` (events and replies it publishes), ``cmd``
  (commands it accepts) and ``dlq`` (messages its consumers parked).
"""

from __future__ import annotations

EVENT, COMMAND, DEAD_LETTER = "evt", "cmd", "dlq"


def env_prefix(service: str) -> str:
    """``shipping-label`` -> ``SHIPPING_LABEL_``."""
    return service.upper().replace("-", "_") + "_"


def stream_name(service: str) -> str:
    """The JetStream stream ``service`` owns: ``shipping-label`` -> ``SHIPPING_LABEL``."""
    return service.upper().replace("-", "_")


def stream_subjects(service: str) -> list[str]:
    """The subjects of the stream ``service`` owns."""
    return [f"{service}.>"]


def owner_of(subject: str) -> str:
    """The service that owns ``subject`` (its first token): ``inventory.cmd.x`` -> ``inventory``."""
    owner = subject.split(".", 1)[0]
    if not owner or owner in {"*", ">"}:
        raise ValueError(f"the subject {subject!r} names no owning service")
    return owner


def subject(service: str, kind: str, name: str) -> str:
    """``subject("inventory", COMMAND, "reserve-stock")`` -> ``inventory.cmd.reserve-stock``."""
    return f"{service}.{kind}.{name}"


def all_of_kind(service: str, kind: str) -> str:
    """Every subject of one kind: ``inventory.cmd.>``."""
    return f"{service}.{kind}.>"


def dead_letter_subject(service: str, consumer: str) -> str:
    """Where ``service``'s consumer ``consumer`` parks a poison message."""
    return subject(service, DEAD_LETTER, consumer)
