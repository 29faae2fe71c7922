"""The engine's queue: at most `max_running` jobs at once, each on its own thread.

Every method is called on the engine's asyncio loop thread. A running job gets its own thread
with its own asyncio loop (`pipeline.run`), as it had in the window before: the offline
generator is CPU-bound, and on the shared loop it would hold up every other job's events and
every window's commands for seconds. Events cross back to the loop with `call_soon_threadsafe`,
so they reach `deliver` in `seq` order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import AlreadyRunning, BadInput, CourseGenError, ErrorKind
from coursegen_desktop.core.events import AnyEvent, JobCancelled, JobPaused, JobQueued
from coursegen_desktop.core.generators.base import Generator
from coursegen_desktop.core.models import CourseRequest, JobStatus
from coursegen_desktop.core.store import Store

log = logging.getLogger(__name__)

GeneratorFactory = Callable[[CourseRequest], Generator]
Deliver = Callable[[AnyEvent], None]


class JobRunner:
    """Queue, concurrency limit and job threads of one engine."""

    def __init__(
        self,
        store: Store,
        loop: asyncio.AbstractEventLoop,
        deliver: Deliver,
        factory: GeneratorFactory,
        max_running: int = 2,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.store, self._loop, self._deliver, self._factory = store, loop, deliver, factory
        self._max_running = max(1, max_running)
        self._on_change = on_change
        self._queue: deque[str] = deque()
        self._tokens: dict[str, CancelToken] = {}  # queued or running
        self._threads: dict[str, threading.Thread] = {}
        self._topics: dict[str, str] = {}
        self._queued_at: dict[str, float] = {}  # when the window asked: jobs queue in that order

    # -- queries ------------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        return not self._tokens and not self._threads

    def active_jobs(self) -> list[dict[str, str]]:
        """Every queued or running job, in queue order after the running ones."""
        running = [{"job_id": job_id, "state": "running", "topic": self._topics.get(job_id, "")} for job_id in self._threads]
        queued = [{"job_id": job_id, "state": "queued", "topic": self._topics.get(job_id, "")} for job_id in self._queue]
        return running + queued

    def is_active(self, job_id: str) -> bool:
        return job_id in self._tokens

    def queued(self) -> list[str]:
        """The waiting jobs, next to start first."""
        return list(self._queue)

    # -- commands -----------------------------------------------------------------------------

    def submit(self, job_id: str, request: CourseRequest, queued_at: float | None = None) -> None:
        """Write the job (the window made its id) and queue it."""
        if job_id in self._tokens:
            raise AlreadyRunning("This job is already running; wait for it to finish or cancel it first.")
        self.store.create_job(request, job_id)
        self._claim_and_queue(job_id, request.topic, queued_at)

    def resume(self, job_id: str, queued_at: float | None = None) -> None:
        """Queue a job that is not running (failed, cancelled, interrupted, an approved outline, a
        new rewrite); it continues from its saved parts."""
        if job_id in self._tokens:
            raise AlreadyRunning("This job is already running; wait for it to finish or cancel it first.")
        record = self.store.get_job(job_id)
        if record.status == JobStatus.COMPLETED:
            raise BadInput("This job is already complete; open its course instead.")
        self._claim_and_queue(job_id, record.topic, queued_at)

    def cancel(self, job_id: str, *, interrupt: bool = False) -> None:
        """Stop a job as soon as possible; parts already saved stay. A no-op for inactive jobs."""
        token = self._tokens.get(job_id)
        if token is None:
            return
        if job_id in self._queue:
            self._queue.remove(job_id)
            self._end_unstarted(job_id, JobStatus.INTERRUPTED if interrupt else JobStatus.CANCELLED)
        else:
            token.cancel(interrupt=interrupt)

    def pause(self, job_id: str) -> None:
        """Start nothing new in this job; the parts in flight finish and are saved, then it ends
        *paused*. A waiting job is paused at once."""
        token = self._tokens.get(job_id)
        if token is None:
            raise BadInput("Only a running or waiting job can be paused.")
        if job_id in self._queue:
            self._queue.remove(job_id)
            self._end_unstarted(job_id, JobStatus.PAUSED)
        else:
            token.pause()

    def stop_all(self, *, interrupt: bool) -> None:
        for job_id in list(self._queue) + list(self._threads):
            self.cancel(job_id, interrupt=interrupt)

    def reorder(self, job_ids: list[str]) -> None:
        """Put the waiting jobs in this order; waiting jobs not named keep theirs, after them."""
        named = [job_id for job_id in dict.fromkeys(job_ids) if job_id in self._queue]
        rest = [job_id for job_id in self._queue if job_id not in named]
        self._queue = deque(named + rest)
        self._on_change()

    def run_next(self, job_id: str) -> None:
        """Start this waiting job before every other one."""
        if job_id not in self._queue:
            raise BadInput("Only a job that is waiting to start can be moved to the front.")
        self.reorder([job_id])

    def set_max_running(self, value: int) -> None:
        self._max_running = max(1, value)
        self._pump()
        self._on_change()

    def join(self, timeout_s: float) -> None:
        """Wait for the job threads (engine shutdown only)."""
        for thread in list(self._threads.values()):
            thread.join(timeout_s)

    # -- internals ----------------------------------------------------------------------------

    def _claim_and_queue(self, job_id: str, topic: str, queued_at: float | None) -> None:
        """Queue in the order the windows asked: two jobs submitted a moment apart travel on two
        connections and may arrive the other way round."""
        self.store.acquire_job(job_id)
        self._tokens[job_id] = CancelToken()
        self._topics[job_id] = topic
        at = self._queued_at[job_id] = time.time() if queued_at is None else queued_at
        position = len(self._queue)
        while position and self._queued_at.get(self._queue[position - 1], 0.0) > at:
            position -= 1
        self._queue.insert(position, job_id)
        self._record(JobQueued(job_id=job_id, seq=self.store.last_seq(job_id) + 1, topic=topic))
        self._pump()
        self._on_change()

    def _record(self, event: AnyEvent) -> None:
        try:
            self.store.append_event(event)
        except CourseGenError:
            log.warning("could not store %s for job %s", event.type, event.job_id)
        self._deliver(event)

    def _end_unstarted(self, job_id: str, status: JobStatus) -> None:
        """End a job that was still waiting in the queue."""
        self._tokens.pop(job_id, None)
        self._topics.pop(job_id, None)
        self._queued_at.pop(job_id, None)
        interrupted = status == JobStatus.INTERRUPTED
        message = pipeline.INTERRUPTED_MESSAGE if interrupted else None
        try:
            record = self.store.get_job(job_id)
            self.store.finish_job(job_id, status, usage=record.usage, error_message=message, resumable=True)
            seq = self.store.last_seq(job_id) + 1
            if status == JobStatus.PAUSED:
                self._record(JobPaused(job_id=job_id, seq=seq, usage=record.usage))
            else:
                extra = {"message": message, "interrupted": True} if message else {}
                self._record(JobCancelled(job_id=job_id, seq=seq, usage=record.usage, **extra))
        except CourseGenError:
            log.warning("could not record the end of queued job %s", job_id)
        finally:
            self.store.release_job(job_id)
        self._on_change()

    def _pump(self) -> None:
        while self._queue and len(self._threads) < self._max_running:
            job_id = self._queue.popleft()
            thread = threading.Thread(target=self._run_job, args=(job_id, self._tokens[job_id]), name=f"job-{job_id[:8]}", daemon=True)
            self._threads[job_id] = thread
            thread.start()
            self._on_change()

    def _run_job(self, job_id: str, token: CancelToken) -> None:
        """The body of a job thread: make the generator, run the pipeline, report the end."""

        def emit(event: AnyEvent) -> None:
            self._loop.call_soon_threadsafe(self._deliver, event)

        try:
            generator = self._factory(self.store.get_job(job_id).request)
        except CourseGenError as exc:
            pipeline.fail_before_start(self.store, job_id, exc, emit)
        except Exception:  # noqa: BLE001 - a bug: log it, tell the user one sentence
            log.exception("could not prepare job %s", job_id)
            error = CourseGenError(ErrorKind.INTERNAL, pipeline.INTERNAL_ERROR_MESSAGE, resumable=True)
            pipeline.fail_before_start(self.store, job_id, error, emit)
        else:
            try:
                pipeline.run(None, generator, self.store, emit, token, job_id=job_id, owned=True)
            except CourseGenError as exc:  # refused before it started (e.g. already complete)
                log.warning("job %s did not start: %s", job_id, exc.message)
            except Exception:  # noqa: BLE001
                log.exception("job %s stopped with an unexpected error", job_id)
        finally:
            self.store.close_thread_connection()
            try:
                self._loop.call_soon_threadsafe(self._job_ended, job_id)
            except RuntimeError:  # the loop is already closed: the engine is exiting
                pass

    def _job_ended(self, job_id: str) -> None:
        self._threads.pop(job_id, None)
        self._tokens.pop(job_id, None)
        self._topics.pop(job_id, None)
        self._queued_at.pop(job_id, None)
        self.store.release_job(job_id)  # the pipeline releases it too; this covers a failed start
        self._pump()
        self._on_change()
