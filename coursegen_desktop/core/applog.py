"""The application log: a rotating file in the data folder, shared by the CLI and the GUI.

Nothing goes to the terminal (the CLI's stderr is for one-sentence messages); HTTP libraries
are kept at WARNING so request headers, and with them the API key, are never logged.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from coursegen_desktop.core import paths

LOG_FILENAME = "coursegen.log"
_QUIET_LOGGERS = ("anthropic", "httpx", "httpx2", "httpcore", "httpcore2", "urllib3", "asyncio", "filelock")


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file, the rotated-in ones too, is readable by the user alone (0600)."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def setup_logging(level: int = logging.INFO, filename: str = LOG_FILENAME) -> Path | None:
    """Log to `<data dir>/logs/coursegen.log` (1 MB × 3); returns the file, or None if unwritable.

    The engine process logs to a file of its own: two processes rotating one file lose lines."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_coursegen", False):
            root.removeHandler(handler)
            handler.close()
    try:
        folder = paths.ensure_private_dir(paths.log_dir())
        log_file = folder / filename
        handler: logging.Handler = _PrivateRotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except Exception:  # noqa: BLE001 - a missing log must never stop the app
        log_file, handler = None, logging.NullHandler()
    handler._coursegen = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.lastResort = None  # never print stray records to stderr
    # A log that cannot be written (a full disk) must not print "--- Logging error ---" and a
    # traceback on the terminal: the user gets the one sentence about the disk instead.
    logging.raiseExceptions = False
    logging.captureWarnings(True)  # library warnings (e.g. a deprecated model) go to the log, not the terminal
    return log_file
