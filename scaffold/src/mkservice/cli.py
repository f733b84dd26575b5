"""The mkservice command line: ``mkservice --help`` lists the commands.

Each command lives in its own module under ``mkservice.commands`` and adds itself with
``register(app)``; heavy imports happen inside the commands, so ``--help`` stays instant.

Other installed distributions add commands the same way, through the entry points of the group
``mkservice.commands`` (name = ``"package.module:register"``): the reference checkout's lab adds
``demo``, ``bench`` and ``chaos`` so (docs/adr/0016-the-checkout-lab-is-a-plugin-of-mkservice.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points

import typer

from mkservice.commands import (
    check,
    contracts,
    list_services,
    nats_users,
    new,
    remove,
    secrets,
    subscribe,
    test,
    token,
    up,
    upgrade,
)

PLUGIN_GROUP = "mkservice.commands"
Register = Callable[[typer.Typer], None]

# One line per command module (keep this list sorted).
BUILT_IN: dict[str, Register] = {
    "check": check.register,
    "contracts": contracts.register,
    "list": list_services.register,
    "nats-users": nats_users.register,
    "new": new.register,
    "remove": remove.register,
    "secrets": secrets.register,
    "subscribe": subscribe.register,
    "test": test.register,
    "token": token.register,
    "up": up.register,
    "upgrade": upgrade.register,
}

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Generate, run and check correctly decomposed services.",
)


@app.callback()
def _root() -> None:
    """mkservice: every service owns its data; services talk through APIs and events."""


def plugin_commands() -> dict[str, Register]:
    """The commands other distributions add (entry points of ``mkservice.commands``).

    A plugin that cannot be loaded (its folder deleted, the venv not synced since) is skipped
    with one line on stderr: mkservice's own commands must keep working without it.
    """
    found: dict[str, Register] = {}
    for point in entry_points(group=PLUGIN_GROUP):
        if point.name in BUILT_IN:
            continue  # a plugin adds commands; it never replaces one of mkservice's own
        try:
            found[point.name] = point.load()
        except Exception as error:  # whatever breaks in a plugin is the plugin's
            sys.stderr.write(
                f"mkservice: skipped the command {point.name!r} ({point.value}): {error}; "
                "run `make bootstrap` if its distribution was removed.\n"
            )
    return found


# Every command, built-in and plugin, in name order (as `--help` lists them).
for _name, _register in sorted({**plugin_commands(), **BUILT_IN}.items()):
    _register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
