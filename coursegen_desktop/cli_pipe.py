"""What `coursegen` does when the reader of its output goes away (`coursegen jobs | head -1`).

Unix tools are stopped by SIGPIPE there: no message, and the shell reports exit status 141
(128 + SIGPIPE). Python ignores SIGPIPE and raises `BrokenPipeError` instead, which would reach
the user as "Something went wrong" and, inside a job, as a *failed* job. So every write to the
user goes through an `OutputGuard`: the first broken pipe silences the streams, calls `on_gone`
(the CLI cancels a running job there, so it ends *cancelled* and resumable), and the command
exits quietly with `EXIT_BROKEN_PIPE`.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Callable
from typing import TextIO

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away

log = logging.getLogger(__name__)


def is_broken_pipe(exc: BaseException) -> bool:
    """True for a write to a pipe (or socket) whose reading end is closed."""
    return isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.ECONNRESET))


def silence_stdio() -> None:
    """Point stdout and stderr at /dev/null, so Python's flush at exit cannot fail again and print
    "Exception ignored … BrokenPipeError" (the recipe of Python's `signal` documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (AttributeError, OSError, ValueError):  # a captured stream (tests) has no file descriptor
                pass
    finally:
        os.close(devnull)


class OutputGuard:
    """Writes to the user's streams; after the first broken pipe, writes nothing more."""

    def __init__(self, on_gone: Callable[[], None] | None = None) -> None:
        self.gone = False
        self._on_gone = on_gone

    def write(self, stream: TextIO, text: str) -> None:
        if self.gone:
            return
        try:
            stream.write(text)
            stream.flush()
        except OSError as exc:
            if not is_broken_pipe(exc):
                raise
            self.reader_gone()

    def reader_gone(self) -> None:
        if self.gone:
            return
        self.gone = True
        log.info("the reader of coursegen's output went away; stopping quietly")
        silence_stdio()
        if self._on_gone is not None:
            self._on_gone()
