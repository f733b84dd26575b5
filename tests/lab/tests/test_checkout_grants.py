"""The reference checkout's services declare exactly what they talk to over NATS (the grants
mkservice renders into their NATS users; docs/adr/0009-nats-users-per-service.md)."""

from __future__ import annotations

from pathlib import Path

from chassis.workspace import find_workspace_root

from mkservice.stack import discover_services
from mkservice.stack.nats_auth import ServiceGrant, grants_for

ROOT = find_workspace_root(Path(__file__).resolve().parent)
assert ROOT is not None, "the lab lives inside the workspace"


def test_the_checkout_services_declare_what_they_talk_to() -> None:
    declared = {grant.name: grant for grant in grants_for(discover_services(ROOT))}

    assert declared["orders"] == ServiceGrant(
        "orders", calls=("inventory", "payments"), consumes=("inventory.evt.>", "payments.evt.>")
    )
    assert declared["inventory"] == ServiceGrant("inventory", consumes=("inventory.cmd.>",))
    assert declared["payments"] == ServiceGrant("payments", consumes=("payments.cmd.>",))
