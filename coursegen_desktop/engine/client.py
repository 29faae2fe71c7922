"""Talking to the engine from a window's worker threads (or a script): blocking, no Qt.

`ensure_engine()` connects to the data folder's engine and starts one when there is none: the
app's own executable with `--engine`, detached so it outlives the window. Should that fail (a
broken install), it serves the data folder from a thread of this process instead, so the app
still works, and says so once through `fallback_reason()`.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from coursegen_desktop.engine import protocol
from coursegen_desktop.engine import address
from coursegen_desktop.engine.address import engine_command

log = logging.getLogger(__name__)

START_TIMEOUT_S = 20.0  # a cold start imports pydantic and the core: ~1 s here, far more on a loaded machine
SEND_TIMEOUT_S = 2.0
FALLBACK_SENTENCE = (
    "The job engine could not be started, so jobs run inside this window for now "
    "(the window may pause while they work, and they stop when it closes); details are in the log."
)


class EngineUnavailable(Exception):
    """No engine could be reached or started."""


class EngineConnection:
    """One connection: commands out (thread-safe), lines in (one reader thread)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb", buffering=65536)
        self._write_lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._closed = False

    @classmethod
    def open(cls, data_dir: Path, timeout_s: float = 2.0) -> EngineConnection:
        """Connect to this data folder's engine; OSError when none listens."""
        sock, hello = address.connect(data_dir, timeout_s)
        try:
            if hello:
                sock.sendall(hello)
        except OSError:
            sock.close()
            raise
        sock.settimeout(None)
        return cls(sock)

    def send(self, cmd: str, *, number: int | None = None, **arguments: Any) -> int:
        """Send a command; returns its number (replies carry it). Raises OSError when the engine is gone."""
        number = next(self._numbers) if number is None else number
        data = protocol.encode({"cmd": cmd, "id": number, **arguments})
        with self._write_lock:
            self._sock.sendall(data)
        return number

    def read(self) -> dict[str, Any] | None:
        """The next message, or None once the engine has closed the connection (or died)."""
        try:
            line = self._reader.readline(protocol.MAX_LINE)
        except (OSError, ValueError):
            return None
        if not line:
            return None
        return protocol.decode(line)

    def request(self, cmd: str, **arguments: Any) -> dict[str, Any]:
        """Send a command and wait for its reply (events that come first are dropped: use this on
        connections that follow no job). Raises EngineUnavailable when the engine goes away."""
        try:
            number = self.send(cmd, **arguments)
        except OSError as exc:
            raise EngineUnavailable(str(exc)) from None
        while (message := self.read()) is not None:
            if message.get("reply") == number:
                return message
        raise EngineUnavailable("the engine closed the connection")

    def close(self) -> None:
        """Close from any thread; a `read()` blocked on another thread returns None."""
        if self._closed:
            return
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


class _Starter:
    """Starts at most one engine per data folder from this process, however many threads ask."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_process: dict[Path, object] = {}
        self.fallback_reason: str | None = None

    def connect(self, data_dir: Path, *, start: bool = True, timeout_s: float = START_TIMEOUT_S) -> EngineConnection:
        try:
            return EngineConnection.open(data_dir)
        except OSError:
            if not start:
                raise EngineUnavailable("no engine is running") from None
        with self._lock:  # one thread starts it; the others wait here, then connect
            try:
                return EngineConnection.open(data_dir)
            except OSError:
                pass
            try:
                return self._spawn_and_connect(data_dir, timeout_s)
            except EngineUnavailable as exc:
                log.error("the engine could not be started (%s); running jobs in this process", exc)
                self.fallback_reason = FALLBACK_SENTENCE
                self.start_in_process(data_dir)
                return EngineConnection.open(data_dir)

    def start_in_process(self, data_dir: Path, factory: object = None) -> None:
        from coursegen_desktop.engine.main import start_in_thread

        if data_dir not in self._in_process:
            self._in_process[data_dir] = start_in_thread(data_dir, factory)  # type: ignore[arg-type]

    def stop_in_process(self, data_dir: Path) -> None:
        engine = self._in_process.pop(data_dir, None)
        if engine is not None:
            engine.stop()  # type: ignore[attr-defined]

    def _spawn_and_connect(self, data_dir: Path, timeout_s: float) -> EngineConnection:
        command = engine_command()
        env = {**os.environ, "COURSEGEN_DATA_DIR": str(data_dir)}
        errors = _stderr_file(data_dir)
        # Detached, so closing the window (or its terminal) does not take the engine with it.
        detached = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32" else {"start_new_session": True}
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors or subprocess.DEVNULL,
                env=env, close_fds=True, **detached,
            )
        except OSError as exc:
            raise EngineUnavailable(f"{command[0]}: {exc.strerror or exc}") from None
        finally:
            if errors is not None:
                errors.close()
        threading.Thread(target=process.wait, name="engine-reaper", daemon=True).start()  # no zombie
        log.info("started engine %d: %s", process.pid, " ".join(command))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                return EngineConnection.open(data_dir)
            except OSError:
                pass
            code = process.poll()
            if code not in (None, 0):  # 0: another engine won the race; its socket will appear
                raise EngineUnavailable(f"the engine exited with code {code}")
            time.sleep(0.02)
        raise EngineUnavailable(f"no answer within {timeout_s:.0f} s")


def _stderr_file(data_dir: Path):  # noqa: ANN202 - an open file or None
    """The engine's stderr goes to the log folder: what a broken install prints is kept."""
    try:
        folder = data_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(folder / "engine-stderr.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "ab")
    except OSError:
        return None


starter = _Starter()


def ensure_engine(data_dir: Path, timeout_s: float = START_TIMEOUT_S) -> EngineConnection:
    """A connection to this data folder's engine, starting one if needed (blocks: not on the GUI thread)."""
    return starter.connect(data_dir, timeout_s=timeout_s)


def connect_existing(data_dir: Path) -> EngineConnection:
    """A connection to a running engine; EngineUnavailable when none runs (the CLI never starts one)."""
    return starter.connect(data_dir, start=False)
