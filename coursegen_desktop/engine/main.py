"""Starting an engine: as its own process (`coursegen-desktop --engine`), or on a thread of the
window's process when no process can be started (a broken install) or a test injects generators."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from filelock import FileLock, Timeout

from coursegen_desktop.engine.address import lock_path
from coursegen_desktop.engine.runner import GeneratorFactory

log = logging.getLogger(__name__)

ENGINE_LOG = "engine.log"
WARM_UP_DELAY_S = 1.0  # then import the Claude SDK (~1 s), so the first Claude job starts warm
# The engine's loop answers windows while job threads compute: a short switch interval keeps
# event delivery prompt when the offline generator holds the interpreter.
SWITCH_INTERVAL_S = 0.001


def main() -> int:
    """The engine process: serve this data folder's jobs until idle with no window attached."""
    from coursegen_desktop.core import paths
    from coursegen_desktop.core.applog import setup_logging
    from coursegen_desktop.core.errors import CourseGenError

    try:
        data_dir = paths.ensure_private_dir(paths.data_dir())
    except CourseGenError as exc:
        print(f"coursegen engine: {exc.message}", file=sys.stderr)
        return 2
    setup_logging(filename=ENGINE_LOG)
    lock = FileLock(lock_path(data_dir), is_singleton=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("another engine already serves %s", data_dir)
        return 0
    try:
        return _serve(data_dir)
    finally:
        lock.release(force=True)


def _serve(data_dir: Path) -> int:
    from coursegen_desktop.core.errors import CourseGenError
    from coursegen_desktop.core.generators.factory import make_generator
    from coursegen_desktop.core.store import Store
    from coursegen_desktop.engine.server import EngineServer

    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        store = Store.open(data_dir)
    except CourseGenError as exc:
        log.error("engine cannot open the history: %s", exc.message)
        print(f"coursegen engine: {exc.message}", file=sys.stderr)
        return 2
    for notice in store.notices:
        log.warning("history: %s", notice)
    server = EngineServer(store, data_dir, partial(make_generator, offline_in_child=True))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            try:
                loop.add_signal_handler(getattr(signal, name), server.request_stop)
            except (AttributeError, NotImplementedError, RuntimeError):  # Windows: no such signal or handler
                pass
        loop.call_later(WARM_UP_DELAY_S, lambda: threading.Thread(target=_warm_up, name="warm-up", daemon=True).start())
        await server.serve()

    try:
        asyncio.run(run())
    finally:
        store.close()
    return 0


def _warm_up() -> None:
    try:
        from coursegen_desktop.core.generators import anthropic  # noqa: F401
        from coursegen_desktop.core.generators.claude_sdk import sdk
        from coursegen_desktop.core.generators.tls import tls_context

        sdk()
        tls_context()
    except Exception:  # noqa: BLE001 - a job will report it properly
        log.warning("could not preload the Claude SDK", exc_info=True)


@dataclass
class InProcessEngine:
    """An engine on a thread of this process: the same server and protocol, without the process."""

    thread: threading.Thread
    loop: asyncio.AbstractEventLoop
    server: object

    def stop(self, timeout_s: float = 15.0) -> None:
        self.loop.call_soon_threadsafe(self.server.request_stop)  # type: ignore[attr-defined]
        self.thread.join(timeout_s)


def start_in_thread(data_dir: Path, factory: GeneratorFactory | None = None) -> InProcessEngine:
    """Serve `data_dir` from a thread of this process (fallback and tests that inject generators)."""
    from coursegen_desktop.core.generators.factory import make_generator
    from coursegen_desktop.core.store import Store
    from coursegen_desktop.engine.server import EngineServer

    store = Store.open(data_dir, recover=False)
    server = EngineServer(store, data_dir, factory or make_generator, exit_when_idle=False)
    ready = threading.Event()
    holder: dict[str, asyncio.AbstractEventLoop] = {}

    def body() -> None:
        async def run() -> None:
            holder["loop"] = asyncio.get_running_loop()
            await server.serve(ready)

        try:
            asyncio.run(run())
        finally:
            store.close()
            ready.set()

    thread = threading.Thread(target=body, name="engine", daemon=True)
    thread.start()
    ready.wait(10)
    if "loop" not in holder:
        raise RuntimeError("the in-process engine did not start")
    return InProcessEngine(thread, holder["loop"], server)
