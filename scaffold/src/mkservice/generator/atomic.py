"""The pieces of an all-or-nothing change to the workspace, shared by ``mkservice new`` and
``mkservice remove``: backups put back exactly, files replaced at once, and SIGTERM or a second
Ctrl-C handled so an undo is never left half done."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

# Everything the generator writes beside its target first starts so; discovery skips it.
TEMP_PREFIX = ".mkservice-tmp-"


@dataclass(frozen=True)
class Backup:
    """A file's bytes and times (or its absence), to put back exactly."""

    path: Path
    content: bytes | None
    times: tuple[int, int] | None

    @classmethod
    def of(cls, path: Path) -> Backup:
        if not path.is_file():
            return cls(path, None, None)
        stat = path.stat()
        return cls(path, path.read_bytes(), (stat.st_atime_ns, stat.st_mtime_ns))

    def restore(self) -> None:
        if self.content is None:
            self.path.unlink(missing_ok=True)
            return
        if not self.path.is_file() or self.path.read_bytes() != self.content:
            write_atomically(self.path, self.content)
        if self.times is not None:
            os.utime(self.path, ns=self.times)


def write_atomically(path: Path, content: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``content`` all at once: a reader sees the old file or the new.

    ``mode`` (0o600 for a file of passwords) is the file's from its first byte: the temporary
    file is created with it, so the content is never readable by others, even for a moment."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = path.with_name(f"{TEMP_PREFIX}{path.name}")
    try:
        if mode is None:
            temporary.write_bytes(data)
        else:
            temporary.unlink(missing_ok=True)  # a leftover would keep its own mode
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.chmod(temporary, mode)  # the umask may have taken bits off
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI timeout, `kill`) undoes the changes the way Ctrl-C does."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def interrupts_ignored() -> Iterator[None]:
    """While undoing, a second Ctrl-C must not leave the undo half done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
