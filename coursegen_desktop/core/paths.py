"""Where CourseGen keeps its data: one private folder per user."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from coursegen_desktop.core.errors import StorageError

APP_DIR_NAME = "CourseGen Desktop"
DB_FILENAME = "history.sqlite3"


def data_dir() -> Path:
    """The data folder: `COURSEGEN_DATA_DIR` if set, else the platform's user data folder."""
    override = os.environ.get("COURSEGEN_DATA_DIR", "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP_DIR_NAME, appauthor=False)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (mode 0700) or explain in one sentence why it cannot be used."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
    except OSError as exc:
        raise StorageError(
            f"The data folder {path} cannot be created or used ({exc.strerror or exc}); "
            "set COURSEGEN_DATA_DIR to a folder you can write to."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StorageError(f"The data folder {path} is read-only; set COURSEGEN_DATA_DIR to a folder you can write to.")
    return path


def log_dir() -> Path:
    return data_dir() / "logs"


def resource_dir() -> Path:
    """The shipped `resources/` folder: next to the package in a checkout, inside a bundle when frozen."""
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def sample_material() -> list[Path]:
    return sorted(path for path in (resource_dir() / "samples").glob("*") if path.suffix in (".md", ".txt", ".pdf", ".docx"))
