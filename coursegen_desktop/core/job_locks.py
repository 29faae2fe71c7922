"""Which process runs which job: one lock file per running job, in the data folder's `locks/`.

A job is run by the process holding its lock file. The lock dies with its process, so a
`running` job whose lock nobody holds was left by a process that crashed or was killed.
`filelock` locks are per open file on Unix (flock) and on Windows, so a second claim from this
same process is refused too, just as one from another window or a CLI run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from coursegen_desktop.core.errors import AlreadyRunning, storage_error_from_os

if TYPE_CHECKING:  # filelock is imported on first use: a window that never checks a lock never loads it
    from filelock import FileLock


class JobLocks:
    """The lock files of one data folder; safe to call from any thread of one process."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._held: dict[str, FileLock] = {}

    def _lock(self, job_id: str) -> FileLock:
        from filelock import FileLock

        return FileLock(self.folder / f"{job_id}.lock", is_singleton=False)

    def acquire(self, job_id: str) -> None:
        """Claim a job for this process; `AlreadyRunning` when any process (this one included) runs it."""
        from filelock import Timeout

        if job_id in self._held:
            raise AlreadyRunning()
        lock = self._lock(job_id)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise AlreadyRunning() from None
        except OSError as exc:
            raise storage_error_from_os(exc, "the job lock") from None
        self._held[job_id] = lock

    def release(self, job_id: str) -> None:
        """Give a job up (nothing happens when this process does not hold it)."""
        lock = self._held.pop(job_id, None)
        if lock is not None:
            lock.release(force=True)
            try:
                os.unlink(lock.lock_file)
            except OSError:
                pass

    def holds(self, job_id: str) -> bool:
        """True when this process runs the job."""
        return job_id in self._held

    def is_held(self, job_id: str) -> bool:
        """True when some process runs the job: this one, or another window or CLI run.

        A job held by nobody can be recovered, resumed or deleted.
        """
        from filelock import Timeout

        if job_id in self._held:
            return True
        lock = self._lock(job_id)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        except OSError:  # an unreadable locks folder cannot prove a live owner
            return False
        lock.release(force=True)
        return False

    def release_all(self) -> None:
        for job_id in list(self._held):
            self._held.pop(job_id).release(force=True)
