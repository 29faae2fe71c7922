"""Running generation jobs: a queue with a concurrency limit, one worker QThread per job.

`JobWorker` is a plain QObject moved to its own QThread (never a QThread subclass): it runs
`pipeline.run(..., owned=True)` and re-emits every core event as one signal. `JobManager` lives
on the GUI thread, owns the queue, the cancel tokens and every thread/worker pair until the
thread's `finished` arrives (Spyder's "bag" lesson: a collected QThread aborts the process).
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import AlreadyRunning, BadInput, CourseGenError, ErrorKind
from coursegen_desktop.core.events import Event, JobCancelled, JobQueued
from coursegen_desktop.core.generators.base import Generator
from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.core.models import CourseRequest, JobRecord, JobStatus
from coursegen_desktop.core.store import Store

log = logging.getLogger(__name__)

GeneratorFactory = Callable[[CourseRequest], Generator]
# Job threads share the GIL with the GUI thread. With CPython's default 5 ms switch interval two
# fast-streaming jobs stalled the GUI thread for 200-250 ms at a time on a 2-core machine; at 1 ms
# the worst stall was ~40 ms. CPU-bound jobs (the offline generator) still stall it for tenths of
# a second: see benchmarks/bench_gui_responsiveness.py.
GIL_SWITCH_INTERVAL_S = 0.001
INTERRUPTED_MESSAGE = "The app was closed while this job was running; Resume continues it."

_threads: set[QThread] = set()  # every job thread not yet finished, for shutdown and tests


def running_threads() -> list[QThread]:
    """Job threads still running (tests fail when any is left at teardown)."""
    return [thread for thread in _threads if thread.isRunning()]


class JobWorker(QObject):
    """Runs one job on the thread it was moved to.

    Signals:
        event_emitted(object): each core event of the job, in seq order.
        finished(str): the job id, once `pipeline.run` has returned (whatever the outcome).
    """

    event_emitted = Signal(object)
    finished = Signal(str)

    def __init__(self, job_id: str, store: Store, factory: GeneratorFactory, cancel: CancelToken) -> None:
        super().__init__()  # no parent: moveToThread needs a parentless object
        self.job_id, self._store, self._factory, self._cancel = job_id, store, factory, cancel

    @Slot()
    def run(self) -> None:
        try:
            generator = self._factory(self._store.get_job(self.job_id).request)
        except CourseGenError as exc:
            pipeline.fail_before_start(self._store, self.job_id, exc, self.event_emitted.emit)
        except Exception:  # noqa: BLE001 - a bug: log it, tell the user one sentence
            log.exception("could not prepare job %s", self.job_id)
            error = CourseGenError(ErrorKind.INTERNAL, pipeline.INTERNAL_ERROR_MESSAGE, resumable=True)
            pipeline.fail_before_start(self._store, self.job_id, error, self.event_emitted.emit)
        else:
            try:
                pipeline.run(None, generator, self._store, self.event_emitted.emit, self._cancel, job_id=self.job_id, owned=True)
            except CourseGenError as exc:  # refused before it started (e.g. already complete)
                log.warning("job %s did not start: %s", self.job_id, exc.message)
            except Exception:  # noqa: BLE001
                log.exception("job %s stopped with an unexpected error", self.job_id)
        finally:
            self._store.close_thread_connection()
            self.finished.emit(self.job_id)
            QThread.currentThread().quit()  # the thread ends on its own: shutdown can wait for it

class JobManager(QObject):
    """The queue of jobs of this window: at most `max_running` run at once.

    Creating a manager sets the interpreter's GIL switch interval to `GIL_SWITCH_INTERVAL_S`, so
    busy job threads cannot starve the GUI thread.

    Signals:
        event_emitted(object): every core event of every job, delivered on the GUI thread.
        job_added(object): the `JobRecord` of a newly submitted job.
        job_finished(str): a job's worker stopped (completed, failed or cancelled).
        running_changed(int): the number of running jobs (or of waiting ones) changed.
        stopped(): after `shutdown()`, once every job thread has finished.
    """

    event_emitted = Signal(object)
    job_added = Signal(object)
    job_finished = Signal(str)
    running_changed = Signal(int)
    stopped = Signal()

    def __init__(
        self,
        store: Store,
        generator_factory: GeneratorFactory = make_generator,
        max_running: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        self.store = store
        self._factory = generator_factory
        self._max_running = max(1, max_running)
        self._queue: deque[str] = deque()
        self._tokens: dict[str, CancelToken] = {}  # queued or running
        self._running: dict[str, tuple[QThread, JobWorker]] = {}
        self._bag: dict[QThread, JobWorker] = {}  # kept until QThread.finished
        self._stop_mode: dict[str, JobStatus] = {}
        self._shutting_down = False
        self._stopped_sent = False

    # -- queries ------------------------------------------------------------------------------

    @property
    def running_count(self) -> int:
        return len(self._running)

    @property
    def active_count(self) -> int:
        """Jobs running or waiting in the queue."""
        return len(self._tokens)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def is_active(self, job_id: str) -> bool:
        return job_id in self._tokens

    def is_queued(self, job_id: str) -> bool:
        return job_id in self._queue

    def set_max_running(self, value: int) -> None:
        self._max_running = max(1, value)
        self._pump()

    # -- commands -----------------------------------------------------------------------------

    def submit(self, request: CourseRequest) -> JobRecord:
        """Write a queued job, claim it, and start it when a slot is free.

        Raises `CourseGenError` (one sentence) when the history cannot be written.
        """
        self._refuse_when_stopping()
        record = self.store.create_job(request)
        self.store.acquire_job(record.id)
        self.job_added.emit(record)
        self._enqueue(record.id, request.topic)
        return record

    def resume(self, job_id: str, topic: str) -> None:
        """Queue a failed, cancelled or interrupted job again; it continues from its saved parts.

        Raises `AlreadyRunning` when the job is running here or in another CourseGen window.
        """
        self._refuse_when_stopping()
        if job_id in self._tokens:
            raise AlreadyRunning("This job is already running; wait for it to finish or cancel it first.")
        self.store.acquire_job(job_id)
        self._enqueue(job_id, topic)

    def cancel(self, job_id: str) -> None:
        """Stop a job as soon as possible; returns at once. A no-op when the job is not active."""
        token = self._tokens.get(job_id)
        if token is None:
            return
        if job_id in self._queue:
            self._queue.remove(job_id)
            self._end_unstarted(job_id, JobStatus.CANCELLED)
            return
        token.cancel()

    def shutdown(self, keep_for_resume: bool) -> None:
        """Stop every job: queued ones end at once, running ones are cancelled through their token.

        With `keep_for_resume` they are recorded as `interrupted` (Resume continues them next
        time), otherwise as `cancelled`. `stopped` is emitted once no job thread is left.
        """
        self._shutting_down = True
        mode = JobStatus.INTERRUPTED if keep_for_resume else JobStatus.CANCELLED
        while self._queue:
            self._end_unstarted(self._queue.popleft(), mode)
        for job_id in self._running:
            self._stop_mode[job_id] = mode
            self._tokens[job_id].cancel()
        QTimer.singleShot(0, self, self._check_stopped)  # with a context: never fires after the manager is gone

    def wait_stopped(self, timeout_ms: int = 10_000) -> bool:
        """Block until every job thread has finished (shutdown and tests only); True if they did."""
        ok = True
        for thread in list(self._bag):
            ok = thread.wait(timeout_ms) and ok
        return ok

    # -- internals ----------------------------------------------------------------------------

    def _refuse_when_stopping(self) -> None:
        if self._shutting_down:
            raise BadInput("CourseGen is closing, so no new job can start.")

    def _enqueue(self, job_id: str, topic: str) -> None:
        self._tokens[job_id] = CancelToken()
        self._queue.append(job_id)
        self._record_and_emit(JobQueued(job_id=job_id, seq=self.store.last_seq(job_id) + 1, topic=topic))
        self._pump()
        self.running_changed.emit(len(self._running))

    def _record_and_emit(self, event: Event) -> None:
        try:
            self.store.append_event(event)
        except CourseGenError:
            log.warning("could not store %s for job %s", type(event).__name__, event.job_id)
        self.event_emitted.emit(event)

    def _end_unstarted(self, job_id: str, status: JobStatus) -> None:
        """End a job that never got a thread (it was still waiting in the queue)."""
        self._tokens.pop(job_id, None)
        try:
            record = self.store.get_job(job_id)
            message = INTERRUPTED_MESSAGE if status == JobStatus.INTERRUPTED else None
            self.store.finish_job(job_id, status, usage=record.usage, error_message=message, resumable=True)
            if status == JobStatus.CANCELLED:
                self._record_and_emit(JobCancelled(job_id=job_id, seq=self.store.last_seq(job_id) + 1, usage=record.usage))
        except CourseGenError:
            log.warning("could not record the end of queued job %s", job_id)
        finally:
            self.store.release_job(job_id)
        self.job_finished.emit(job_id)
        self.running_changed.emit(len(self._running))

    def _pump(self) -> None:
        while self._queue and len(self._running) < self._max_running and not self._shutting_down:
            self._start(self._queue.popleft())

    def _start(self, job_id: str) -> None:
        thread = QThread()
        thread.setObjectName(f"job-{job_id}")
        worker = JobWorker(job_id, self.store, self._factory, self._tokens[job_id])
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.event_emitted.connect(self._on_worker_event)
        worker.finished.connect(self._on_worker_finished)
        thread.finished.connect(self._reap_threads)
        self._running[job_id] = (thread, worker)
        self._bag[thread] = worker
        _threads.add(thread)
        thread.start()
        self.running_changed.emit(len(self._running))

    @Slot(object)
    def _on_worker_event(self, event: Event) -> None:
        self.event_emitted.emit(event)

    @Slot(str)
    def _on_worker_finished(self, job_id: str) -> None:
        self._running.pop(job_id)
        self._tokens.pop(job_id, None)
        self.store.release_job(job_id)  # the pipeline releases it too; this covers a failed start
        if self._stop_mode.pop(job_id, None) == JobStatus.INTERRUPTED:
            self._mark_interrupted(job_id)
        self.running_changed.emit(len(self._running))
        self.job_finished.emit(job_id)
        self._pump()

    def _mark_interrupted(self, job_id: str) -> None:
        try:
            record = self.store.get_job(job_id)
            if record.status == JobStatus.CANCELLED:
                self.store.finish_job(job_id, JobStatus.INTERRUPTED, usage=record.usage, error_message=INTERRUPTED_MESSAGE, error_step=record.error_step, resumable=True)
        except CourseGenError:
            log.warning("could not mark job %s as interrupted", job_id)

    @Slot()
    def _reap_threads(self) -> None:
        """Drop finished threads and their workers. Python owns both, so they are deleted with
        their last reference: let go of it only once the thread has really finished, and after
        this signal's delivery (deleting the sender inside its own signal is a use-after-free)."""
        finished = [(thread, self._bag.pop(thread)) for thread in list(self._bag) if thread.isFinished()]
        for thread, _worker in finished:
            _threads.discard(thread)
        QTimer.singleShot(0, self, finished.clear)
        self._check_stopped()

    @Slot()
    def _check_stopped(self) -> None:
        if self._shutting_down and not self._bag and not self._running and not self._stopped_sent:
            self._stopped_sent = True
            self.stopped.emit()
