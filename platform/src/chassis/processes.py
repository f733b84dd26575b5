"""Child processes that never outlive the process that started them.

The local stack, the test fixtures and the benchmarks start nats-server and services as child
processes. If the parent dies without cleaning up (SIGKILL, a test runner's timeout), orphans keep
their ports and the next run silently moves to other ones. On Linux the kernel can send the child
a signal when its parent dies (``prctl(PR_SET_PDEATHSIG)``); :func:`dies_with_parent` returns the
``preexec_fn`` that asks for it, and ``None`` elsewhere (where the parent's own cleanup is all
there is).

The kernel means the parent *thread*: a child started from a worker thread (the fault suite
restarts services and nats-server through ``asyncio.to_thread``) would be killed when that thread
is retired, not when the process dies. :func:`spawn` therefore starts every long-running child
from one daemon thread that lives exactly as long as the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

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


_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]


class _Forker:
    """One daemon thread that runs ``Popen`` calls handed to it, one at a time."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="chassis-forker", daemon=True).start()

    def _serve(self) -> None:
        while True:
            job, result = self._jobs.get()
            if not result.set_running_or_notify_cancel():
                continue
            try:
                result.set_result(job())
            except BaseException as error:  # handed to the caller, which re-raises it
                result.set_exception(error)

    def run(self, job: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        result: Future[subprocess.Popen[bytes]] = Future()
        self._jobs.put((job, result))
        try:
            return result.result()
        except BaseException:
            # Interrupted (Ctrl-C) while the child was being started: leave nothing unowned.
            if not result.cancel():
                with contextlib.suppress(BaseException):
                    orphan = result.result()
                    orphan.kill()
                    orphan.wait()
            raise


@functools.cache
def _forker_of(pid: int) -> _Forker:
    """The forker of process ``pid``: after a fork, the child has the parent's object but not its
    thread, so it gets one of its own."""
    return _Forker()


def spawn(args: Sequence[str], **options: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(args, **options)``, the child killed (SIGKILL) when this process dies,
    from whichever thread this is called."""
    command = list(args)
    return _forker_of(os.getpid()).run(
        lambda: subprocess.Popen(command, preexec_fn=dies_with_parent(), **options)
    )
