"""Short background work off the GUI thread, results delivered back on the GUI thread.

A small dedicated `QThreadPool` runs plain functions (store queries, material checks, exports,
markdown rendering); the outcome comes back through a queued signal, like Picard's `run_task`
and Anki's `QueryOp`. Jobs do not use this pool: they run on their own QThreads (`jobs.py`).
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThread, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

Callback = Callable[[Any, Exception | None], None]

_pool: QThreadPool | None = None
_relay: _Relay | None = None


def pool() -> QThreadPool:
    """The pool for short background work (at most 4 threads)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(4)
        _pool.setExpiryTimeout(-1)  # its threads stay: each keeps one history connection open, no more
    return _pool


def wait_for_background(timeout_ms: int = 5000) -> bool:
    """Wait for every background task to finish (shutdown and tests); True when idle."""
    return pool().waitForDone(timeout_ms)


def assert_gui_thread() -> None:
    """Guard for code that touches widgets or models: it must run on the GUI thread."""
    app = QCoreApplication.instance()
    assert app is None or QThread.currentThread() is app.thread(), "called off the GUI thread"


class _Relay(QObject):
    """One object on the GUI thread that receives every result, queued.

    The callbacks stay in `_callbacks` on the GUI thread; a pool thread only ever holds a task
    number, the function and its arguments. So the last reference to a callback (and to the
    widget it closes over) is always dropped on the GUI thread: a Python-owned widget deleted
    from a pool thread would crash Qt.

    Signals:
        done(int, object, object): task number, the function's result and the exception it
            raised (one of the two is None).
    """

    done = Signal(int, object, object)

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: dict[int, Callback] = {}
        self._numbers = itertools.count(1)
        self.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def register(self, callback: Callback) -> int:
        number = next(self._numbers)
        self._callbacks[number] = callback
        return number

    @Slot(int, object, object)
    def _deliver(self, number: int, result: Any, error: Exception | None) -> None:
        self._callbacks.pop(number)(result, error)


class _Runnable(QRunnable):
    def __init__(self, relay: _Relay, number: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        super().__init__()
        self._relay, self._number, self._fn, self._args = relay, number, fn, args

    def run(self) -> None:
        try:
            result, error = self._fn(*self._args), None
        except Exception as exc:  # noqa: BLE001 - handed to the caller's on_error
            result, error = None, exc
        self._relay.done.emit(self._number, result, error)


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None],
    on_error: Callable[[Exception], None] | None = None,
    owner: QObject | None = None,
) -> None:
    """Run `fn(*args)` on the pool; call `on_done(result)` or `on_error(exc)` on the GUI thread.

    Call it from the GUI thread. With `owner`, the callbacks are skipped once that widget or
    object has been deleted. Without `on_error`, a failure is logged (it is a bug).
    """
    global _relay
    assert_gui_thread()
    if _relay is None:
        _relay = _Relay()

    def deliver(result: Any, error: Exception | None) -> None:
        if owner is not None and not shiboken6.isValid(owner):
            return
        if error is None:
            on_done(result)
        elif on_error is not None:
            on_error(error)
        else:
            log.error("background task %s failed", getattr(fn, "__qualname__", fn), exc_info=error)

    pool().start(_Runnable(_relay, _relay.register(deliver), fn, args))


class MainThreadGC(QObject):
    """Runs Python's cyclic garbage collector on the GUI thread only (as Anki and pyqtgraph do).

    With automatic collection, a cycle holding a Python-owned QObject can be collected on
    whichever thread happens to allocate (a job worker, a pool thread), deleting the QObject
    there: its timers then fire into freed memory and Qt crashes. So automatic collection is
    turned off and the same generational thresholds are checked here, every `interval_ms`.
    """

    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    @Slot()
    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
