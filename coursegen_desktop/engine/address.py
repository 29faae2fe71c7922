"""Where a data folder's engine listens, how to reach it, and how to start one.

One engine per data folder: its endpoint and its single-instance lock are derived from the
folder, so tests (each with its own `COURSEGEN_DATA_DIR`) and a user's real history never meet.

Two transports, one protocol:
- a Unix socket (Linux, macOS) in a private runtime folder (a socket path must stay under ~100
  bytes), readable by the user alone;
- where there is none (Windows), TCP on 127.0.0.1 with a port chosen by the engine, written with
  a random token to `engine.port` in the private data folder; a connection's first line must
  carry that token. `COURSEGEN_ENGINE_TRANSPORT=tcp` selects it anywhere (the tests do).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # asyncio is the engine's; windows only connect (and it costs them 10 MiB)
    import asyncio

ENGINE_FLAG = "--engine"
COMMAND_ENV = "COURSEGEN_ENGINE_CMD"  # override the engine command (tests, development)
TRANSPORT_ENV = "COURSEGEN_ENGINE_TRANSPORT"
Handler = Callable[["asyncio.StreamReader", "asyncio.StreamWriter"], Awaitable[None]]


def uses_tcp() -> bool:
    return os.environ.get(TRANSPORT_ENV, "").strip().lower() == "tcp" or not hasattr(socket, "AF_UNIX") or sys.platform == "win32"


MAX_SOCKET_PATH = 100  # bytes: a Unix socket's path must fit in sun_path (104-108 bytes)


def _runtime_dir(root: Path | None = None) -> Path:
    if root is None:
        base = os.environ.get("XDG_RUNTIME_DIR", "").strip()
        root = Path(base) if base and Path(base).is_dir() else Path(tempfile.gettempdir())
    folder = root / f"coursegen-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def socket_path(data_dir: Path) -> Path:
    """The engine's Unix socket for this data folder (private folder, short name). Under a long
    TMPDIR or XDG_RUNTIME_DIR the path would not fit a socket address: /tmp then."""
    name = f"engine-{hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]}.sock"
    path = _runtime_dir() / name
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        path = _runtime_dir(Path("/tmp")) / name
    return path


def port_file(data_dir: Path) -> Path:
    return data_dir / "engine.port"


def endpoint_file(data_dir: Path) -> Path:
    """The file that exists while an engine serves this folder (its socket, or its port file)."""
    return port_file(data_dir) if uses_tcp() else socket_path(data_dir)


def lock_path(data_dir: Path) -> Path:
    """Held by the running engine: a second one started at the same moment exits at once."""
    return data_dir / "engine.lock"


async def listen(data_dir: Path, handle: Handler, limit: int) -> tuple[asyncio.AbstractServer, str | None]:
    """Start serving this folder; returns the server and the token clients must send (TCP only)."""
    import asyncio

    endpoint = endpoint_file(data_dir)
    try:
        endpoint.unlink()  # left by an engine that was killed
    except FileNotFoundError:
        pass
    if not uses_tcp():
        server = await asyncio.start_unix_server(handle, path=str(endpoint), limit=limit)
        os.chmod(endpoint, 0o600)
        return server, None
    server = await asyncio.start_server(handle, host="127.0.0.1", port=0, limit=limit)
    token = secrets.token_hex(16)
    port = server.sockets[0].getsockname()[1]
    temporary = endpoint.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"port": port, "token": token}, out)
    os.replace(temporary, endpoint)
    return server, token


def connect(data_dir: Path, timeout_s: float) -> tuple[socket.socket, bytes]:
    """A connected socket to this folder's engine and the first line to send (b"" for none).
    Raises OSError when no engine listens."""
    if not uses_tcp():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(socket_path(data_dir)))
        except OSError:
            sock.close()
            raise
        return sock, b""
    try:
        info = json.loads(port_file(data_dir).read_text(encoding="utf-8"))
        port, token = int(info["port"]), str(info["token"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConnectionRefusedError(f"unreadable {port_file(data_dir).name}: {exc}") from None
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    return sock, json.dumps({"cmd": "hello", "token": token}).encode() + b"\n"


def engine_command() -> list[str]:
    """The command line that starts an engine: the app's own executable with `--engine`.

    In a PyInstaller bundle `sys.executable` is the app itself; from a checkout or a venv it is
    Python, which runs the package's entry module."""
    override = os.environ.get(COMMAND_ENV, "").strip()
    if override:
        return shlex.split(override)
    if getattr(sys, "frozen", False):
        return [sys.executable, ENGINE_FLAG]
    return [sys.executable, "-m", "coursegen_desktop", ENGINE_FLAG]
