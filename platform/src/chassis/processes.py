"""Child processes that never outlive the process that started them.

The local stack, the test fixtures and the benchmarks start nats-server and services as child
processes. If the parent dies without cleaning up (SIGKILL, a test runner's timeout), orphans keep
their ports and the next run silently moves to other ones. On Linux the kernel can send the child
a signal when its parent dies (``prctl(PR_SET_PDEATHSIG)``); :func:`dies_with_parent` returns the
``preexec_fn`` that asks for it, and ``None`` elsewhere (where the parent's own cleanup is all
there is).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def dies_with_parent(sig: signal.Signals = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``subprocess.Popen(preexec_fn=...)`` that makes the child get ``sig`` when the parent
    dies; None where the kernel offers no such thing."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def arm() -> None:
        # Runs in the child between fork and exec.
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm
