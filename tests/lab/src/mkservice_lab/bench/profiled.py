"""Runs a service under cProfile:
``python -m mkservice_lab.bench.profiled OUT_DIR -m PACKAGE ARGS``.

Profiling starts on SIGUSR1 (sent once the service is warm, so imports and start-up stay out
of the profile) and the profile is written to ``OUT_DIR/PACKAGE.prof`` when the process ends.
``python -m cProfile`` cannot do this for a uvicorn service: after its graceful shutdown uvicorn
re-raises the SIGTERM it caught, and the default handler ends the process before the profile is
written. Here SIGTERM raises ``SystemExit`` instead.
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
from pathlib import Path
from types import FrameType

START_SIGNAL = signal.SIGUSR1


def main() -> None:
    out_dir, flag, package, *args = sys.argv[1:]
    if flag != "-m":
        raise SystemExit("usage: python -m mkservice_lab.bench.profiled OUT_DIR -m PACKAGE [ARGS]")
    profiler = cProfile.Profile()
    started = False

    def start(signum: int, frame: FrameType | None) -> None:
        nonlocal started
        if not started:
            started = True
            profiler.enable()  # signal handlers run in the main thread: the event loop's

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(START_SIGNAL, start)
    signal.signal(signal.SIGTERM, stop)
    sys.argv = [package, *args]
    try:
        runpy.run_module(package, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        if started:
            profiler.disable()
            profiler.dump_stats(str(Path(out_dir) / f"{package}.prof"))


if __name__ == "__main__":
    main()
