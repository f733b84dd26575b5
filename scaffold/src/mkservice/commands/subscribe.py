"""``mkservice subscribe CONSUMER MESSAGE_TYPE``: make a service consume another one's message.

Exit status: 0 done, 1 a step failed (and every change was undone), 2 refused (an unknown
service or message type, already subscribed, code of a shape it cannot edit; nothing written),
130 interrupted (every change undone).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from mkservice.generator.subscription import SubscriptionPlan


def register(app: typer.Typer) -> None:
    """Add the ``subscribe`` command to ``app``."""
    app.command("subscribe")(subscribe)


def subscribe(
    consumer: Annotated[str, typer.Argument(help="The service that reads it: shipping.")],
    message_type: Annotated[
        str, typer.Argument(help="A contract's type, <owner>.<name>: orders.order-confirmed.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the files it would write; write nothing.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON object.")
    ] = False,
) -> None:
    """Make CONSUMER read MESSAGE_TYPE: the owner's contract copied into its contracts.py, a
    durable consumer routing it to a handler stub, a test over a real nats-server, the subject
    in its `nats` grant and the NATS users rendered again. Atomic: a failed or interrupted run
    leaves the repo as it was."""
    from mkservice.generator.errors import GenerationFailed, Refused
    from mkservice.generator.subscription import apply_subscription, plan_subscription

    root = workspace_root()
    try:
        plan = plan_subscription(root, consumer, message_type)
    except Refused as refusal:
        stop(str(refusal), 2, json_output)
    except GenerationFailed as failure:
        stop(f"Nothing was written: {failure}", 1, json_output)
    if not dry_run:
        try:
            apply_subscription(plan)
        except OSError as error:
            stop(f"Nothing was written: {error}", 1, json_output)
        except KeyboardInterrupt:
            stop("Interrupted: nothing was written, every change was undone.", 130, json_output)
    _report(plan, dry_run, json_output)


def _report(plan: SubscriptionPlan, dry_run: bool, json_output: bool) -> None:
    files = sorted(plan.relative(path) for path in plan.files)
    if json_output:
        summary = {
            "ok": True,
            "dry_run": dry_run,
            "consumer": plan.consumer,
            "message_type": plan.message_type,
            "subject": plan.subject,
            "files": files,
            "created": sorted(plan.relative(path) for path in plan.created),
            "notes": plan.notes,
        }
        typer.echo(json.dumps(summary, indent=2))
        return
    verb = "Would subscribe" if dry_run else "Subscribed"
    typer.echo(f"{verb} {plan.consumer} to {plan.message_type} ({plan.subject}):")
    for path in files:
        typer.echo(f"  {path}")
    for note in plan.notes:
        typer.echo(f"note: {note}")
    if not dry_run:
        typer.echo("Next: fill in its handler stub, then run its tests (`make test`).")
