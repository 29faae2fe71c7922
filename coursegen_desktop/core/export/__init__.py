"""Export a course to files other programs open: markdown, HTML, PDF, Anki, Moodle, SCORM, EPUB.

`FORMATS` is what the GUI's export menu and the CLI's `--format` list; `export_course` is the
one entry point. Each format's writer lives in its own module and is imported only when used,
so listing the formats costs nothing at start-up.

Core never depends on the GUI: a writer that needs Qt (the PDF writer) lives outside core, and
the program that can run it (the desktop app, the `coursegen` CLI) adds it with
`register_format` at start-up.
"""

from __future__ import annotations

import errno
import importlib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coursegen_desktop.core.errors import BadInput, CourseGenError, ErrorKind, StorageError
from coursegen_desktop.core.export.atomic import write_file_atomically, write_folder_atomically
from coursegen_desktop.core.models import Course, clean_text_line

__all__ = ["FORMATS", "ExportFormat", "default_export_name", "export_course", "register_format", "safe_filename"]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str  # what a file dialog or menu shows
    suffix: str  # "" for folder formats
    is_folder: bool
    writer: str | Callable[[Course, Path], object]  # "module:function" (imported when used) or the function

    @property
    def file_filter(self) -> str:
        """A Qt file-dialog filter such as `Web page (*.html)`; a folder is named like any file."""
        return f"{self.label} (*{self.suffix})"


def _fmt(name: str, label: str, suffix: str, writer: str, *, is_folder: bool = False) -> tuple[str, ExportFormat]:
    return name, ExportFormat(name, label, suffix, is_folder, writer)


_CORE = "coursegen_desktop.core.export"
FORMATS: dict[str, ExportFormat] = dict(
    [
        _fmt("markdown", "Markdown document", ".md", f"{_CORE}.markdown:write_markdown"),
        _fmt("markdown-folder", "Markdown folder", "", f"{_CORE}.markdown:write_markdown_folder", is_folder=True),
        _fmt("html", "Web page", ".html", f"{_CORE}.html_page:write_html"),
        _fmt("anki", "Anki deck", ".apkg", f"{_CORE}.anki:write_apkg"),
        _fmt("moodle", "Moodle XML questions", ".xml", f"{_CORE}.moodle:write_moodle_xml"),
        _fmt("gift", "GIFT questions", ".txt", f"{_CORE}.gift:write_gift"),
        _fmt("scorm", "SCORM 1.2 package", ".zip", f"{_CORE}.scorm:write_scorm"),
        _fmt("epub", "EPUB e-book", ".epub", f"{_CORE}.epub:write_epub"),
    ]
)



def register_format(spec: ExportFormat, *, after: str | None = None) -> None:
    """Add (or replace) a format whose writer lives outside core, listed right after `after`."""
    items = [(name, fmt) for name, fmt in FORMATS.items() if name != spec.name]
    position = next((i + 1 for i, (name, _) in enumerate(items) if name == after), len(items))
    items.insert(position, (spec.name, spec))
    FORMATS.clear()
    FORMATS.update(items)


# ---------------------------------------------------------------------------------------------
# File names

_FORBIDDEN = re.compile(r'[<>"/\\|?*\x00-\x1f\x7f]+')
_WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?", re.IGNORECASE)
_MAX_NAME_BYTES = 120  # well under the 255-byte limit, leaving room for suffixes and temp names


def safe_filename(title: str) -> str:
    """A single, portable file name (no suffix) for a course title: never a path, never hidden.

    Separators and characters Windows forbids become `-`, leading dots go (no `..`, no hidden
    files), reserved device names such as `CON` or `nul.txt` get a prefix, and the length is
    capped in UTF-8 bytes. Letters of any script are kept.
    """
    name = clean_text_line(title).replace(":", " ")
    name = _FORBIDDEN.sub("-", name)
    name = re.sub(r"-{2,}", "-", " ".join(name.split())).strip(" .-_")
    name = name.encode()[:_MAX_NAME_BYTES].decode(errors="ignore").rstrip(" .-_") or "course"
    return f"course-{name}" if _WINDOWS_RESERVED.fullmatch(name) else name


def _format(fmt: str) -> ExportFormat:
    spec = FORMATS.get(fmt)
    if spec is None:
        raise BadInput(f"'{fmt[:40]}' is not an export format; choose one of: {', '.join(FORMATS)}.")
    return spec


def default_export_name(course: Course, fmt: str) -> str:
    """The file (or folder) name an export gets when the user has not chosen one."""
    return safe_filename(course.title) + _format(fmt).suffix


# ---------------------------------------------------------------------------------------------
# Writing


def _is_previous_markdown_folder(folder: Path) -> bool:
    """Empty, or only the `.md` files a folder export writes: safe to replace as a whole."""
    entries = list(folder.iterdir())
    names = {entry.name for entry in entries}
    return not entries or ("index.md" in names and all(entry.is_file() and entry.suffix == ".md" for entry in entries))


def _resolve_target(course: Course, spec: ExportFormat, out: Path) -> Path:
    """Where to write: `out` itself, or the default name inside `out` when it is a folder.

    A folder export replaces only an empty folder or an earlier folder export, never a folder
    of other files that a user happened to pick.
    """
    if spec.is_folder and out.is_file():
        raise StorageError(f"{out} is a file, and this export makes a folder; choose a new folder name.")
    if not out.is_dir() or (spec.is_folder and _is_previous_markdown_folder(out)):
        return out
    inner = out / default_export_name(course, spec.name)
    if inner.is_dir() and not (spec.is_folder and _is_previous_markdown_folder(inner)):
        raise StorageError(f"{inner} is a folder that holds other files; choose another name.")
    return inner


def _storage_error(exc: OSError | sqlite3.Error, target: Path) -> StorageError:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or "full" in str(exc).lower():
        return StorageError(
            f"The disk is full, so {target.name} could not be written; free some space and export again.", kind=ErrorKind.DISK_FULL
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(f"CourseGen may not write to {target.parent}; choose another folder.")
    if code in (errno.ENOENT, errno.ENOTDIR):
        return StorageError(f"The folder {target.parent} does not exist; choose an existing folder.")
    if code == errno.ENAMETOOLONG:
        return StorageError(f"The name {target.name[:60]}… is too long for this disk; choose a shorter name.")
    reason = getattr(exc, "strerror", None) or str(exc)
    return StorageError(f"{target.name} could not be written ({reason}); choose another folder and try again.")


def _load_writer(spec: ExportFormat) -> Callable[[Course, Path], object]:
    if callable(spec.writer):
        return spec.writer
    module_name, _, function = spec.writer.partition(":")
    try:
        return getattr(importlib.import_module(module_name), function)
    except ImportError as exc:
        raise CourseGenError(
            ErrorKind.INTERNAL,
            f"{spec.label} export needs a library that is not installed ({exc.name}); reinstall CourseGen or choose another format.",
            resumable=False,
        ) from None


def export_course(course: Course, fmt: str, out: Path) -> Path:
    """Write `course` as `fmt` to `out` (a file path, or a folder to put the default name in).

    Returns the path written. The write is atomic: on any failure the previous file is left as
    it was. Disk problems become a `StorageError` with one sentence saying what to do.
    """
    spec = _format(fmt)
    writer = _load_writer(spec)
    target = Path(out).expanduser()
    try:
        target = _resolve_target(course, spec, target)
        atomic = write_folder_atomically if spec.is_folder else write_file_atomically
        return atomic(target, lambda temp: writer(course, temp))
    except (OSError, sqlite3.Error) as exc:
        raise _storage_error(exc, target) from None
