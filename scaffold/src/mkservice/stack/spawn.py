"""Starting the stack's children so that they die with this process, whatever kills it.

:func:`chassis.processes.dies_with_parent` asks the kernel (``PR_SET_PDEATHSIG``) to kill a child
when its parent dies, and the kernel means the parent *thread*: a service started from a worker
thread (the fault suite restarts services through ``asyncio.to_thread``) would be killed when
that thread is retired, not when the stack stops. So every long-running child is forked by one
daemon thread, which lives exactly as long as the process.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from chassis.processes import dies_with_parent

_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]


class _Forker:
    """One daemon thread that runs ``Popen`` calls handed to it, one at a time."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="mkservice-forker", daemon=True).start()

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
