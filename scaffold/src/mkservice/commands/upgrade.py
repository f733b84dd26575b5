"""``mkservice upgrade NAME... | --all``: merge the template's improvements into services made
from an older version of it, keeping their own changes (ADR 0028).

Exit status: 0 upgraded (or nothing to do), 1 conflicts were left marked (or, with ``--check``,
a service is behind; with ``--dry-run``, conflicts would be left), 2 refused (an unknown
service, uncommitted changes, no git history of that version; nothing written), 130
interrupted (every change undone).
"""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mkservice.commands.stopping import stop
from mkservice.workspace import workspace_root

if TYPE_CHECKING:
    from mkservice.generator.upgrade import Behind, UpgradePlan


def register(app: typer.Typer) -> None:
    """Add the ``upgrade`` command to ``app``."""
    app.command("upgrade")(upgrade)


def upgrade(
    names: Annotated[
        list[str] | None, typer.Argument(help="The services to upgrade: shipping ...")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every service made from the template.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only list the services behind the template; exit 1 if any."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff it would apply; write nothing.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON object.")
    ] = False,
) -> None:
    """Render the template at the version each service was made with and at the current
    version, with the service's recorded inputs, and three-way merge the difference into the
    service. Clean hunks apply; conflicting ones are marked (`mkservice check` fails until
    they are resolved) and listed, and the command exits 1. The old template comes from git
    history. Atomic: a failed or interrupted run leaves the repo as it was."""
    from mkservice.generator.errors import GenerationFailed, Refused
    from mkservice.generator.template_history import unreleased_change
    from mkservice.generator.upgrade import apply_upgrade, behind, plan_upgrade

    root = workspace_root()
    chosen = list(names or [])
    if check:
        try:
            late = behind(root)
        except Refused as refusal:
            stop(str(refusal), 2, json_output)
        unreleased = unreleased_change(root)
        _report_behind(late, unreleased, json_output)
        raise typer.Exit(1 if late or unreleased else 0)
    if bool(chosen) == every:
        stop("Name the services to upgrade, or give --all (not both).", 2, json_output)
    try:
        plan = plan_upgrade(root, chosen, every=every)
    except Refused as refusal:
        stop(str(refusal), 2, json_output)
    except (GenerationFailed, OSError) as failure:
        stop(f"Nothing was written: {failure}", 1, json_output)
    if not dry_run:
        try:
            apply_upgrade(plan)
        except (GenerationFailed, OSError) as failure:
            stop(f"Nothing was written: {failure}", 1, json_output)
        except KeyboardInterrupt:
            stop("Interrupted: nothing was written, every change was undone.", 130, json_output)
    _report(plan, dry_run, json_output)
    if any(upgrade.conflicted for upgrade in plan.upgrades):
        raise typer.Exit(1)


def _report_behind(late: list[Behind], unreleased: str | None, json_output: bool) -> None:
    if json_output:
        rows = [
            {"service": item.service.slug, "recorded": item.recorded, "current": item.current}
            for item in late
        ]
        summary = {"ok": not late and not unreleased, "behind": rows, "unreleased": unreleased}
        typer.echo(json.dumps(summary, indent=2))
        return
    if unreleased:
        typer.echo(unreleased)
    if not late:
        typer.echo("Every service is at the template's version.")
        return
    for item in late:
        typer.echo(
            f"{item.service.slug}: template v{item.recorded}, the template is v{item.current}"
        )
    typer.echo("Run `mkservice upgrade --all` to merge the template's changes into them.")


def _summary(plan: UpgradePlan, dry_run: bool) -> dict[str, Any]:
    return {
        "ok": not any(upgrade.conflicted for upgrade in plan.upgrades),
        "dry_run": dry_run,
        "current": plan.current,
        "upgraded": [
            {
                "service": upgrade.service.slug,
                "from": upgrade.from_version,
                "to": upgrade.to_version,
                "changes": [
                    {"path": c.path, "kind": c.kind, "renamed_from": c.renamed_from}
                    for c in upgrade.changes
                ],
                "conflicts": [c.path for c in upgrade.conflicted],
                "notes": upgrade.notes,
            }
            for upgrade in plan.upgrades
        ],
    }


def _report(plan: UpgradePlan, dry_run: bool, json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(_summary(plan, dry_run), indent=2))
        return
    for slug in plan.current:
        typer.echo(f"{slug}: already at the template's version.")
    for upgrade in plan.upgrades:
        verb = "Would upgrade" if dry_run else "Upgraded"
        typer.echo(
            f"{verb} {upgrade.service.slug} from template v{upgrade.from_version} "
            f"to v{upgrade.to_version}:"
        )
        for change in upgrade.changes:
            moved = f" (from {change.renamed_from})" if change.renamed_from else ""
            typer.echo(f"  {change.kind:<9}{change.path}{moved}")
            if dry_run:
                _print_diff(
                    upgrade.service.path / change.path,
                    change.content,
                    f"services/{upgrade.service.slug}/{change.path}",
                )
        for note in upgrade.notes:
            typer.echo(f"note: {note}")
        if upgrade.conflicted:
            listed = ", ".join(c.path for c in upgrade.conflicted)
            typer.echo(
                f"Conflicts left marked in services/{upgrade.service.slug}: {listed}. Resolve "
                "them, then run `mkservice check`."
            )
    if plan.lock_needed and not dry_run:
        typer.echo("uv.lock was resolved again: run `make bootstrap` to install the change.")


def _print_diff(path: Any, content: bytes | None, shown: str) -> None:
    before = path.read_bytes() if path.is_file() else b""
    after = content or b""
    try:
        old, new = before.decode("utf-8"), after.decode("utf-8")
    except UnicodeDecodeError:
        typer.echo(f"    (binary: {shown})")
        return
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        f"a/{shown}",
        f"b/{shown}" if content is not None else "/dev/null",
    )
    typer.echo("".join(lines), nl=False)
