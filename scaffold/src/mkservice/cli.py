"""The mkservice command line: ``mkservice --help`` lists the commands.

Each command lives in its own module under ``mkservice.commands`` and adds itself with
``register(app)``; heavy imports happen inside the commands, so ``--help`` stays instant.
"""

import typer

from mkservice.commands import (
    bench,
    chaos,
    check,
    demo,
    list_services,
    nats_users,
    new,
    test,
    up,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Generate, run and check correctly decomposed services.",
)


@app.callback()
def _root() -> None:
    """mkservice: every service owns its data; services talk through APIs and events."""


# One line per command module (keep this list sorted).
bench.register(app)
chaos.register(app)
check.register(app)
demo.register(app)
list_services.register(app)
nats_users.register(app)
new.register(app)
test.register(app)
up.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
