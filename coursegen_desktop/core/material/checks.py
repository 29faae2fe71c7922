"""Cheap checks before a file is accepted, so a bad file fails with one sentence naming it
instead of failing halfway through reading."""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.material.encoding import (
    bom_encoding,
    control_ratio,
    utf16_without_bom,
)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".rst", ".pdf", ".docx")
MAX_BYTES = 50 * 1024 * 1024


_SNIFF_BYTES = 64 * 1024


def check_material_path(path: Path) -> Path:
    """Cheap checks before a file is accepted; raises one `MaterialError` sentence naming it."""
    path = Path(path).expanduser()
    name = path.name or str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise stat_error(name, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise MaterialError(f"{name} is a folder, not a file; choose the files inside it instead.")
    if not stat.S_ISREG(info.st_mode):
        raise MaterialError(f"{name} is not a regular file; choose a {_supported_list()} file.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise MaterialError(f"{name} is not a supported kind of file; add a {_supported_list()} file instead.")
    if info.st_size == 0:
        raise MaterialError(f"{name} is empty (0 bytes); choose a file that contains your study material.")
    if info.st_size > MAX_BYTES:
        raise MaterialError(f"{name} is too large ({info.st_size / 1024 / 1024:.0f} MB); split it into files under {MAX_BYTES // 1024 // 1024} MB.")
    head = _read_head(path, name)
    if path.suffix.lower() in _TEXT_SUFFIXES and not _looks_like_text(head):
        raise MaterialError(f"{name} contains binary data, not text; save it as plain text (UTF-8) or add the original PDF or Word file.")
    return path


_TEXT_SUFFIXES = (".txt", ".md", ".markdown")


def _supported_list() -> str:
    names = [suffix for suffix in SUPPORTED_SUFFIXES if suffix != ".markdown"]
    return ", ".join(names[:-1]) + " or " + names[-1]


def stat_error(name: str, exc: OSError) -> MaterialError:
    if exc.errno == errno.ELOOP:
        return MaterialError(f"{name} is a link that points back to itself; choose the real file instead.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return MaterialError(f"{name} cannot be read because you do not have permission to open it; check its permissions.")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return MaterialError(f"{name} does not exist; check the path or choose the file again.")
    return MaterialError(f"{name} cannot be opened ({exc.strerror or exc}); check the file and try again.")


def _read_head(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise stat_error(name, exc) from None


def _looks_like_text(head: bytes) -> bool:
    if bom_encoding(head) or utf16_without_bom(head):
        return True
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return control_ratio(head.decode("cp1252", errors="replace")) < 0.01
