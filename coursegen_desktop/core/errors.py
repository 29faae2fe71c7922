"""Errors a user can cause or meet, each carrying one sentence that says what to do.

Everything that crosses into the CLI or the GUI as a failure is a `CourseGenError`; anything
else is a bug, logged with its traceback and shown as a generic sentence.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    BAD_INPUT = "bad_input"
    MATERIAL = "material"
    AUTH = "auth"
    BAD_REQUEST = "bad_request"
    BILLING = "billing"
    RATE_LIMIT = "rate_limit"
    OVERLOADED = "overloaded"
    SERVER = "server"
    NETWORK = "network"
    INVALID_OUTPUT = "invalid_output"
    DISK_FULL = "disk_full"
    STORAGE = "storage"
    ALREADY_RUNNING = "already_running"
    NOT_FOUND = "not_found"
    INTERNAL = "internal"


# Kinds where trying again later (Resume) can succeed without the user changing anything.
RESUMABLE_KINDS = frozenset(
    {
        ErrorKind.RATE_LIMIT,
        ErrorKind.OVERLOADED,
        ErrorKind.SERVER,
        ErrorKind.NETWORK,
        ErrorKind.INVALID_OUTPUT,
        ErrorKind.DISK_FULL,
        ErrorKind.STORAGE,
        ErrorKind.AUTH,
        ErrorKind.BILLING,
        ErrorKind.INTERNAL,
    }
)


class CourseGenError(Exception):
    """A failure with a user-facing sentence; `kind` is stable for scripts and tests."""

    def __init__(self, kind: ErrorKind, message: str, *, resumable: bool | None = None) -> None:
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.message = message
        self.resumable = self.kind in RESUMABLE_KINDS if resumable is None else resumable

    def __repr__(self) -> str:
        return f"CourseGenError({self.kind.value!r}, {self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as kind, sentence and resumability, whatever the subclass's own arguments: the
        offline generator's process sends its errors back to the engine."""
        return (_rebuild_error, (type(self), self.kind.value, self.message, self.resumable))


def _rebuild_error(cls: type[CourseGenError], kind: str, message: str, resumable: bool) -> CourseGenError:
    error = cls.__new__(cls)
    CourseGenError.__init__(error, ErrorKind(kind), message, resumable=resumable)
    return error


class BadInput(CourseGenError):
    """Something the user typed or chose cannot be used; nothing was started."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorKind.BAD_INPUT, message, resumable=False)


class MaterialError(CourseGenError):
    """A study-material file cannot be read; the message names the file."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorKind.MATERIAL, message, resumable=False)


class NotFound(CourseGenError):
    def __init__(self, message: str) -> None:
        super().__init__(ErrorKind.NOT_FOUND, message, resumable=False)


class AlreadyRunning(CourseGenError):
    def __init__(self, message: str = "This job is already running in another window or process; wait for it or cancel it there.") -> None:
        super().__init__(ErrorKind.ALREADY_RUNNING, message, resumable=False)


class StorageError(CourseGenError):
    """The history database or data folder cannot be used."""

    def __init__(self, message: str, *, kind: ErrorKind = ErrorKind.STORAGE) -> None:
        super().__init__(kind, message)


def storage_error_from_os(exc: BaseException, where: str) -> StorageError:
    """Turn an OSError/sqlite3 error into one sentence; a full disk is its own kind."""
    text = str(exc).lower()
    if "full" in text or getattr(exc, "errno", None) == 28:
        return StorageError(
            f"The disk is full, so {where} could not be saved; free some space, then Resume the job.",
            kind=ErrorKind.DISK_FULL,
        )
    if "readonly" in text or "read-only" in text or "permission" in text or getattr(exc, "errno", None) in (13, 30):
        return StorageError(f"{where[:1].upper()}{where[1:]} could not be written because the data folder is read-only; choose a writable folder (COURSEGEN_DATA_DIR).")
    if "locked" in text or "busy" in text:
        return StorageError(f"The history database is busy in another program, so {where} could not be saved; close the other CourseGen window and try again.")
    return StorageError(f"{where[:1].upper()}{where[1:]} could not be saved ({exc}); check the data folder, then Resume the job.")
