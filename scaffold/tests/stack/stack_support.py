"""Stand-in services for the stack's tests: the stack's own behaviour (ports, logs, children
that die with their supervisor) tested in a second, without the reference services' start-up.

:class:`FakeWorkspace` (the ``fake_workspace`` fixture of conftest.py): ``add("zz-probe-a",
port)`` writes a service whose record registers ``port`` and whose package is a stand-in (on
PYTHONPATH for every process the test starts); ``specs()`` is what discovery finds there.

A stand-in's ``serve`` prints its database URL, then answers ``GET /health/ready`` with 200 on
``<PREFIX>PORT`` (bound as uvicorn binds, with SO_REUSEADDR; a port in use ends it with "Address
already in use"); with ``<PREFIX>FAIL`` set it prints that text and exits 1 instead. ``migrate``
and ``seed`` succeed at once.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from mkservice.stack import ServiceSpec, discover_services

STAND_IN = textwrap.dedent('''
    """A stand-in service for the stack's tests (scaffold/tests/stack/stack_support.py)."""
    import http.server
    import os
    import sys

    prefix = __package__.upper() + "_"
    command = sys.argv[1]
    if command in ("migrate", "seed"):
        print(f"{__package__}: {command} done", flush=True)
        sys.exit(0)
    if os.environ.get(prefix + "FAIL"):
        print(os.environ[prefix + "FAIL"], file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"{__package__}: database {os.environ.get(prefix + 'DATABASE_URL')}", flush=True)


    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health/ready" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass


    server = http.server.HTTPServer(("127.0.0.1", int(os.environ[prefix + "PORT"])), Ready)
    server.serve_forever()
''')


@dataclass
class FakeWorkspace:
    root: Path
    packages: Path

    def add(self, name: str, port: int) -> None:
        package = name.replace("-", "_")
        folder = self.root / "services" / name
        folder.mkdir(parents=True)
        (folder / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\n\n[tool.mkservice]\nservice = "{name}"\n'
            f'package = "{package}"\nport = {port}\ntemplate_version = "1"\n'
        )
        (self.packages / package).mkdir()
        (self.packages / package / "__init__.py").write_text("")
        (self.packages / package / "__main__.py").write_text(STAND_IN)

    def specs(self) -> list[ServiceSpec]:
        return discover_services(self.root)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
