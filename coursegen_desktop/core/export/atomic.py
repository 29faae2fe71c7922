"""Write an export so that the target is either the old version or the complete new one.

Writers fill a hidden sibling (same folder, so `os.replace` is a rename and never a copy), and
only a finished file is moved into place. A crash, a full disk or a bug in a writer leaves the
previous export untouched and no half-written file behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path


def _sibling(target: Path, tag: str) -> Path:
    return target.with_name(f".{target.name[:40]}.{secrets.token_hex(4)}.{tag}")


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # best effort: a leftover hidden temp file must not hide the real error


def write_file_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temp_path)`, flush it to disk, then rename it over `target`."""
    temp = _sibling(target, "part")
    # O_EXCL: never follow or reuse something already there; 0o666 lets the umask decide the mode.
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        _remove(temp)
        raise
    return target


def write_folder_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temp_folder)`, then swap it in for `target` (renaming the old one out first).

    Folders cannot be replaced in one rename on every system, so the old folder is moved aside
    and deleted only after the new one is in place; if the swap fails, it is moved back.
    """
    temp = _sibling(target, "part")
    temp.mkdir()
    try:
        write(temp)
        if target.exists():
            old = _sibling(target, "old")
            os.replace(target, old)
            try:
                os.replace(temp, target)
            except OSError:
                os.replace(old, target)
                raise
            _remove(old)
        else:
            os.replace(temp, target)
    except BaseException:
        _remove(temp)
        raise
    return target
