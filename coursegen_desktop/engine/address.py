"""Where a data folder's engine listens, and how to start one.

One engine per data folder: its socket and its single-instance lock are derived from the folder,
so tests (each with its own `COURSEGEN_DATA_DIR`) and a user's real history never meet. The
socket lives in a private runtime folder because a Unix socket path must stay under ~100 bytes.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
import tempfile
from pathlib import Path

ENGINE_FLAG = "--engine"
COMMAND_ENV = "COURSEGEN_ENGINE_CMD"  # override the engine command (tests, development)


def _runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    root = Path(base) if base and Path(base).is_dir() else Path(tempfile.gettempdir())
    folder = root / f"coursegen-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def socket_path(data_dir: Path) -> Path:
    """The engine's socket for this data folder (private folder, short name)."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return _runtime_dir() / f"engine-{digest}.sock"


def lock_path(data_dir: Path) -> Path:
    """Held by the running engine: a second one started at the same moment exits at once."""
    return data_dir / "engine.lock"


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
