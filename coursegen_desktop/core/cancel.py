"""A thread-safe cancel token: set from any thread (GUI button, SIGINT), seen by the pipeline."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """Raised inside a job when its token is cancelled; the pipeline turns it into `JobCancelled`."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self.interrupted = False  # stopped to be resumed later (app or engine shutting down), not cancelled
        self._pause = threading.Event()

    def cancel(self, *, interrupt: bool = False) -> None:
        """Idempotent; runs the registered callbacks once, on the calling thread.

        With `interrupt`, the job ends as *interrupted* (Resume continues it) rather than
        *cancelled*: the user did not ask to stop it, the app or the engine is going away."""
        with self._lock:
            if self._event.is_set():
                return
            self.interrupted = interrupt
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    @property
    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def pause(self) -> None:
        """Ask the job to start nothing new; what is in flight finishes and is saved (it is paid for)."""
        self._pause.set()

    @property
    def pause_requested(self) -> bool:
        return self._pause.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when cancelled (at once if already); returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return lambda: None

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
