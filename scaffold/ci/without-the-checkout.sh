#!/usr/bin/env bash
# mkservice without the reference checkout, as a team starting its own services keeps it. In a
# copy of the workspace: `mkservice remove orders inventory payments`, delete the checkout's lab
# and its cross-service tests (tests/lab, tests/e2e, tests/faults) with the lab's workspace
# member, add a service with `mkservice new`; then `make test`, `mkservice check` and
# `mkservice up` (until the new service is ready, then stopped) must all pass there.
#
#   scaffold/ci/without-the-checkout.sh [NAME]    NAME: the new service (default notifications)
#
# Needs the workspace bootstrapped (`make bootstrap`): the copy is edited with its mkservice, and
# its own venv is synced from uv's cache. The copy is removed afterwards, kept on a failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
NAME="${1:-notifications}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mkservice-without-checkout.XXXXXX")"
COPY="$WORK/repo"
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "left for a look: $WORK" >&2; fi' EXIT

# The copy has no .tools/ of its own: it uses the uv the workspace uses (as the Makefile finds it).
if ! command -v uv >/dev/null && [ -x "$ROOT/.tools/bin/uv" ]; then
    export PATH="$ROOT/.tools/bin:$PATH"
fi
export MKSERVICE_UV="$(command -v uv)"
MKSERVICE="$ROOT/.venv/bin/mkservice"

"$ROOT/.venv/bin/python" - "$ROOT" "$COPY" <<'PY'
import sys
from pathlib import Path

from mkservice.workspace import copy_workspace

copy_workspace(Path(sys.argv[1]), Path(sys.argv[2]))
PY
cd "$COPY"

echo "== mkservice remove orders inventory payments"
"$MKSERVICE" remove orders inventory payments --no-sync
echo "== delete the checkout's lab and tests"
rm -rf tests/lab tests/e2e tests/faults
sed -i 's|"tests/lab", ||' pyproject.toml
grep -q '"tests/lab"' pyproject.toml && { echo "the lab is still a workspace member" >&2; exit 1; }
echo "== mkservice new $NAME"
"$MKSERVICE" new "$NAME" --no-install   # its `uv lock` drops the lab and the checkout

echo "== make test"
make test                               # syncs the copy's own venv first (make bootstrap)
echo "== mkservice check"
.venv/bin/mkservice check

echo "== mkservice up"
LOG="$WORK/up.log"
COLUMNS=200 .venv/bin/mkservice up --run-dir "$WORK/stack" >"$LOG" 2>&1 &
UP=$!
for _ in $(seq 240); do
    grep -q "Press Ctrl-C" "$LOG" && break
    kill -0 "$UP" 2>/dev/null || break
    sleep 0.5
done
if ! grep -q "Press Ctrl-C" "$LOG" || ! grep -Eq "$NAME .*http://127\.0\.0\.1:[0-9]+/docs" "$LOG"; then
    cat "$LOG" >&2
    kill "$UP" 2>/dev/null || true
    exit 1
fi
# SIGTERM, as CI or `docker stop` would send: mkservice up stops the service, then nats-server.
kill -TERM "$UP"
wait "$UP"
grep -q "Stopped cleanly." "$LOG" || { cat "$LOG" >&2; exit 1; }
echo "without the checkout: make test, mkservice check and mkservice up passed"
