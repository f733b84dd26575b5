"""``python -m mkservice.console serve``: run the console with its ``CONSOLE_*`` settings.

The local stack starts it this way (``mkservice up``, ``make demo``); a bad setting stops it at
once with exit status 2 and a sentence naming the variable.
"""

from __future__ import annotations

import sys

USAGE = "usage: python -m mkservice.console serve"


def main(argv: list[str]) -> int:
    if argv != ["serve"]:
        print(USAGE, file=sys.stderr)
        return 2
    import uvicorn
    from chassis.settings import ConfigError, load_settings

    from mkservice.console.app import create_app
    from mkservice.console.settings import ConsoleSettings

    try:
        settings = load_settings(ConsoleSettings)
    except ConfigError as error:
        print(f"The console cannot start: {error}.", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
