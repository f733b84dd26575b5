"""The local stack's token issuer: the workspace's development key (chassis.auth.dev_issuer)
and a small HTTP server that publishes its JWKS to the services ``mkservice up`` starts.

The key stays in the data folder from run to run, so a token printed by ``mkservice token``
works against every later ``mkservice up`` of the same workspace. The server binds to
127.0.0.1, on the same port for the whole life of a supervisor (the services were told its URL).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chassis.auth.dev_issuer import DevIssuer

from mkservice.stack.ports import LOCALHOST

JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"
KEY_FILE = "dev-issuer-key.pem"


def workspace_issuer(data_dir: Path) -> DevIssuer:
    """The workspace's development issuer (its key in ``data_dir``, made on first use)."""
    return DevIssuer.load_or_create(data_dir / KEY_FILE)


class JwksServer:
    """Serves ``issuer``'s JWKS (and a minimal OpenID discovery document) over HTTP."""

    def __init__(self, issuer: DevIssuer) -> None:
        self.issuer = issuer
        self.port: int | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def jwks_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the JWKS server has not started")
        return f"http://{LOCALHOST}:{self.port}{JWKS_PATH}"

    def start(self) -> None:
        """Start serving, on the port it had before when started again."""
        if self._server is not None:
            return
        documents = {
            JWKS_PATH: self.issuer.jwks(),
            DISCOVERY_PATH: {"issuer": self.issuer.issuer, "jwks_uri": None},
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                document: Any = documents.get(self.path.partition("?")[0])
                if document is None:
                    self.send_error(404)
                    return
                if self.path.startswith(DISCOVERY_PATH):
                    document = {**document, "jwks_uri": f"http://{self.headers['Host']}{JWKS_PATH}"}
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass  # the services' own logs say what they fetched

        self._server = ThreadingHTTPServer((LOCALHOST, self.port or 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="dev-issuer-jwks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
