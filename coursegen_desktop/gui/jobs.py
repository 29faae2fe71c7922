"""The window's side of the job engine: one `JobWorker` per job, one `EngineLink`, one `JobManager`.

Jobs run in the engine process (`coursegen_desktop.engine`), so they cannot freeze the window
and they outlive it. `JobWorker` is a plain QObject moved to its own QThread (never a QThread
subclass): it holds one engine connection for its job and re-emits every core event as one
signal, in `seq` order. `EngineLink` is the window's control connection (new jobs of other
windows, key checks, settings). `JobManager` lives on the GUI thread, keeps the API the views
were written against, and owns every thread/worker pair until the thread's `finished` arrives
(Spyder's "bag" lesson: a collected QThread aborts the process). Nothing here writes SQLite on
the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from coursegen_desktop.core.errors import AlreadyRunning, BadInput, CourseGenError
from coursegen_desktop.core.events import Event, JobCancelled, JobFailed, JobQueued, JobStarted
from coursegen_desktop.core.models import CourseRequest, JobRecord, JobStatus, utc_now
from coursegen_desktop.core.store import Store, new_job_id
from coursegen_desktop.engine import protocol
from coursegen_desktop.engine.client import EngineConnection, EngineUnavailable, starter
from coursegen_desktop.gui import tasks

if TYPE_CHECKING:
    from coursegen_desktop.core.generators.base import Generator

log = logging.getLogger(__name__)

GeneratorFactory = Callable[[CourseRequest], "Generator"]
Connect = Callable[[], EngineConnection]
Reply = Callable[[dict[str, Any]], None]
ENGINE_STOPPED_MESSAGE = "The job engine stopped unexpectedly; Resume continues this job from its saved parts."
ENGINE_GONE_REPLY = {"ok": False, "error": "The job engine stopped; try again.", "kind": "internal"}
LOST_CHECK_S = 2.0  # after a dropped connection, how long to look for the engine still holding the job
# The workers parse the engine's lines on their own threads: with CPython's default 5 ms switch
# interval a busy worker can keep the GUI thread waiting that long for the interpreter lock.
GIL_SWITCH_INTERVAL_S = 0.001

_threads: set[QThread] = set()  # every job thread not yet finished, for shutdown and tests


def running_threads() -> list[QThread]:
    """Job and link threads still running (tests fail when any is left at teardown)."""
    return [thread for thread in _threads if thread.isRunning()]


def _start_on_thread(worker: QObject, name: str) -> QThread:
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)  # type: ignore[attr-defined]
    _threads.add(thread)
    thread.finished.connect(lambda: _threads.discard(thread))
    return thread


class _OneConnection(QObject):
    """A QObject, read on its own thread, that owns one engine connection: commands sent before
    it is connected wait in order, and `close()` from any thread ends its blocking read."""

    def __init__(self) -> None:
        super().__init__()  # no parent: moveToThread needs a parentless object
        self._lock = threading.Lock()
        self._connection: EngineConnection | None = None
        self._pending: list[dict[str, Any]] = []
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connection = self._connection
        if connection is not None:
            connection.close()

    def _send_or_queue(self, message: dict[str, Any]) -> bool:
        """Send now, or once connected; False when the connection has gone."""
        with self._lock:
            connection = self._connection
            if connection is None:
                self._pending.append(message)
                return True
        try:
            connection.send(**message)
        except OSError:
            return False
        return True

    def _take(self, connection: EngineConnection) -> list[dict[str, Any]] | None:
        """Start using `connection`; the commands that waited, or None when closed meanwhile."""
        with self._lock:
            if self._closed:
                connection.close()
                return None
            self._connection = connection
            pending, self._pending = self._pending, []
        return pending

    def _release(self) -> list[dict[str, Any]]:
        """Stop using the connection (closing it); the commands that never went out."""
        with self._lock:
            connection, self._connection = self._connection, None
            pending, self._pending = self._pending, []
        if connection is not None:
            connection.close()
        return pending


class JobWorker(_OneConnection):
    """Follows one job in the engine from the thread it was moved to.

    It sends the job's command (`submit`, `resume` or `attach`) on a connection of its own, so a
    cancel sent on the same connection can never overtake the submit. When the connection drops
    and the engine no longer holds the job, the engine died: the job is recorded as interrupted
    (Resume continues it). When the engine still holds it, the worker attaches again.

    Signals:
        event_emitted(object): each core event of the job, in seq order.
        refused(str, str): the job id and the engine's sentence when it refused the command.
        finished(str): the job id, once the worker stops following the job.
    """

    event_emitted = Signal(object)
    refused = Signal(str, str)
    finished = Signal(str)

    def __init__(self, job_id: str, command: dict[str, Any], connect: Connect, store: Store) -> None:
        super().__init__()
        self.job_id, self.command, self._connect, self._store = job_id, command, connect, store
        self.last_seq = 0

    # -- called from the GUI thread -------------------------------------------------------------

    def send(self, cmd: str, **arguments: Any) -> None:
        """Send a command about this job after its own command (queued until connected)."""
        if not self._send_or_queue({"cmd": cmd, **arguments}):
            log.warning("could not send %s for job %s: the engine connection is gone", cmd, self.job_id)

    def detach(self) -> None:
        """Stop following the job; it carries on in the engine."""
        self.close()

    # -- on the worker's thread -------------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        try:
            self._follow()
        except Exception:  # noqa: BLE001 - a bug: logged; the job itself goes on in the engine
            log.exception("following job %s failed", self.job_id)
        finally:
            self._release()
            self._store.close_thread_connection()
            self.finished.emit(self.job_id)
            QThread.currentThread().quit()  # the thread ends on its own: shutdown can wait for it

    def _follow(self) -> None:
        command = self.command
        while not self._closed:
            try:
                connection = self._connect()
            except EngineUnavailable:
                self._record_interrupted()
                return
            pending = self._take(connection)
            if pending is None:
                return
            try:
                number = connection.send(**command)
                for extra in pending:
                    connection.send(**extra)
            except OSError:
                outcome = "lost"
            else:
                outcome = self._read(connection, number)
            unsent = self._release()
            if outcome != "lost" or self._closed:
                return
            if not self._engine_still_holds_job():
                self._record_interrupted()
                return
            with self._lock:  # a cancel or pause asked for meanwhile goes out after the reattach
                self._pending[:0] = unsent
            command = {"cmd": "attach", "job_id": self.job_id, "after_seq": self.last_seq}

    def _read(self, connection: EngineConnection, number: int) -> str:
        """Relay events until the job ends: "done", "refused", or "lost" (the connection dropped)."""
        while (message := connection.read()) is not None:
            if "reply" in message:
                if message["reply"] != number:
                    continue
                if not message.get("ok"):
                    self.refused.emit(self.job_id, str(message.get("error") or "The job engine refused that."))
                    return "refused"
                if message.get("active") is False:
                    return "done"  # attached to a job that is not running: the replay was all
                continue
            if protocol.is_event(message):
                event = Event.from_dict(message)
                if event.seq <= self.last_seq:
                    continue
                self.last_seq = event.seq
                self.event_emitted.emit(event)
                if event.is_terminal:
                    return "done"
        return "lost"

    def _engine_still_holds_job(self) -> bool:
        deadline = time.monotonic() + LOST_CHECK_S
        while time.monotonic() < deadline:
            if not self._store.locks.is_held(self.job_id):
                return False
            time.sleep(0.05)
        return True

    def _record_interrupted(self) -> None:
        """The engine died with this job: mark it interrupted and say so, as a stored event."""
        try:
            self._store.recover_interrupted()
            record = self._store.get_job(self.job_id)
            if record.status != JobStatus.INTERRUPTED:
                return
            event = JobCancelled(job_id=self.job_id, seq=max(self._store.last_seq(self.job_id), self.last_seq) + 1, message=ENGINE_STOPPED_MESSAGE, interrupted=True, usage=record.usage)
            try:
                self._store.append_event(event)
            except CourseGenError:
                log.warning("could not store the interruption of job %s", self.job_id)
        except CourseGenError:
            log.warning("could not record the interruption of job %s", self.job_id)
            return
        self.last_seq = event.seq
        self.event_emitted.emit(event)


class EngineLink(_OneConnection):
    """The window's control connection to the engine, read on its own thread.

    Signals:
        connected(object): the engine's active jobs, `[{"job_id", "state", "topic"}]`.
        announced(str, str): another window or process queued a job (id, topic).
        queue_changed(list): the ids of the jobs waiting to start, next first.
        replied(int, object): the reply (a dict) to a command sent with `send`.
        lost(): the engine went away (or could not be reached).
    """

    connected = Signal(object)
    announced = Signal(str, str)
    queue_changed = Signal(list)
    replied = Signal(int, object)
    lost = Signal()

    def __init__(self, connect: Connect) -> None:
        super().__init__()
        self._connect = connect
        self._numbers = itertools.count(1_000_000)  # clear of the connection's own numbering

    def send(self, cmd: str, **arguments: Any) -> int:
        """Send a command from any thread (queued until connected); returns its number."""
        number = next(self._numbers)
        if not self._send_or_queue({"cmd": cmd, "number": number, **arguments}):
            self.replied.emit(number, dict(ENGINE_GONE_REPLY))
        return number

    @Slot()
    def run(self) -> None:
        try:
            self._serve()
        except Exception:  # noqa: BLE001
            log.exception("the engine link failed")
        finally:
            for unsent in self._release():
                self.replied.emit(unsent["number"], dict(ENGINE_GONE_REPLY))
            if not self._closed:
                self.lost.emit()
            QThread.currentThread().quit()

    def _serve(self) -> None:
        try:
            connection = self._connect()
        except EngineUnavailable:
            return
        watch = connection.send("watch")
        pending = self._take(connection)
        if pending is None:
            return
        for message in pending:
            connection.send(**message)
        while (message := connection.read()) is not None:
            if message.get("reply") == watch:
                self.connected.emit(message.get("jobs") or [])
                self.queue_changed.emit(list(message.get("queue") or []))
            elif "reply" in message:
                self.replied.emit(int(message["reply"] or 0), message)
            elif message.get("announce") == "job":
                self.announced.emit(str(message.get("job_id")), str(message.get("topic") or ""))
            elif message.get("announce") == "queue":
                self.queue_changed.emit(list(message.get("job_ids") or []))


class JobManager(QObject):
    """The window's jobs, all running in the engine; the queue and the limit live there too.

    With `generator_factory` (tests that script their generators) the engine runs on a thread
    of this process instead of its own process: the same server, protocol and workers.

    Signals:
        event_emitted(object): every core event of every job, delivered on the GUI thread.
        job_added(object): the `JobRecord` of a job this window submitted or found running.
        job_finished(str): a job's worker stopped (completed, failed, cancelled or detached).
        running_changed(int): the number of running jobs (or of waiting ones) changed.
        problem(str): one sentence for the user (the engine refused a command, or fell back).
        queue_changed(list): the ids of the jobs waiting to start, next first.
        stopped(): after `shutdown()` or `detach()`, once every job thread has finished.
    """

    event_emitted = Signal(object)
    job_added = Signal(object)
    job_finished = Signal(str)
    running_changed = Signal(int)
    problem = Signal(str)
    queue_changed = Signal(list)
    stopped = Signal()

    def __init__(
        self,
        store: Store,
        generator_factory: GeneratorFactory | None = None,
        max_running: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        self.store = store
        self.data_dir: Path = store.path.parent
        self._in_process = generator_factory is not None
        if generator_factory is not None:
            starter.start_in_process(self.data_dir, generator_factory)
        self._max_running = max(1, max_running)
        self._workers: dict[str, JobWorker] = {}
        self._states: dict[str, JobStatus] = {}
        self._bag: dict[QThread, QObject] = {}  # kept until QThread.finished
        self._callbacks: dict[int, Reply] = {}
        self._queue: list[str] = []
        self._link: EngineLink | None = None
        self._shutting_down = False
        self._stopped_sent = False
        self._fallback_told = False

    # -- queries ------------------------------------------------------------------------------

    @property
    def running_count(self) -> int:
        return sum(1 for state in self._states.values() if state == JobStatus.RUNNING)

    @property
    def active_count(self) -> int:
        """Jobs running or waiting in the queue."""
        return len(self._workers)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def can_keep_running(self) -> bool:
        """Whether jobs can go on after the window closes (not when the engine is in this process)."""
        return not self._in_process and starter.fallback_reason is None

    def is_active(self, job_id: str) -> bool:
        return job_id in self._workers

    def is_queued(self, job_id: str) -> bool:
        return self._states.get(job_id) == JobStatus.QUEUED

    @property
    def queued_jobs(self) -> list[str]:
        """The jobs waiting to start, in the engine's order (next first)."""
        return list(self._queue)

    def set_max_running(self, value: int) -> None:
        self._max_running = max(1, value)
        self._ensure_link().send("configure", max_running=self._max_running)

    # -- commands -----------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to the engine (starting it if needed) in the background, and follow what runs."""
        self._ensure_link()

    def submit(self, request: CourseRequest) -> JobRecord:
        """Queue a new job in the engine; returns its record at once (the engine writes it)."""
        self._refuse_when_stopping()
        record = JobRecord(id=new_job_id(), topic=request.topic, status=JobStatus.QUEUED, created_at=utc_now(), request=request)
        self.job_added.emit(record)
        command = {"cmd": "submit", "job_id": record.id, "request": request.model_dump(mode="json"), "max_running": self._max_running, "queued_at": time.time()}
        self._follow(record.id, command, JobStatus.QUEUED)
        return record

    def resume(self, job_id: str, topic: str = "") -> None:
        """Queue a failed, cancelled or interrupted job again; it continues from its saved parts.

        Raises `AlreadyRunning` when this window already follows the job; the engine refuses
        (through `problem`) when another process runs it."""
        self._refuse_when_stopping()
        if job_id in self._workers:
            raise AlreadyRunning("This job is already running; wait for it to finish or cancel it first.")
        self._follow(job_id, {"cmd": "resume", "job_id": job_id, "max_running": self._max_running, "queued_at": time.time()}, JobStatus.QUEUED)

    def cancel(self, job_id: str) -> None:
        """Stop a job as soon as possible; returns at once. A no-op when the job is not active."""
        worker = self._workers.get(job_id)
        if worker is not None:
            worker.send("cancel", job_id=job_id)

    def pause(self, job_id: str) -> None:
        """Let the parts in flight finish and be saved, start nothing new; the job ends *paused*."""
        worker = self._workers.get(job_id)
        if worker is not None:
            worker.send("pause", job_id=job_id)

    def reorder(self, job_ids: list[str]) -> None:
        """Change the order in which waiting jobs start (the engine answers with `queue_changed`)."""
        self._ensure_link().send("reorder", job_ids=job_ids)

    def run_next(self, job_id: str) -> None:
        """Start this waiting job before every other one."""
        self.call("run_next", lambda reply: None if reply.get("ok") else self.problem.emit(str(reply.get("error"))), job_id=job_id)

    def call(self, cmd: str, on_reply: Reply, **arguments: Any) -> None:
        """Ask the engine something (`check_key`, `models`); `on_reply(dict)` runs on the GUI thread."""
        number = self._ensure_link().send(cmd, **arguments)
        self._callbacks[number] = on_reply

    def shutdown(self, keep_for_resume: bool) -> None:
        """Stop every job in the engine: as `interrupted` (Resume continues them) with
        `keep_for_resume`, otherwise as `cancelled`. `stopped` follows once no worker is left."""
        self._shutting_down = True
        if self._workers:
            self._ensure_link().send("stop", mode="interrupt" if keep_for_resume else "cancel")
        QTimer.singleShot(0, self, self._check_stopped)  # with a context: never fires after the manager is gone

    def detach(self) -> None:
        """Leave every job running in the engine and stop following them (the window closes)."""
        self._shutting_down = True
        for worker in self._workers.values():
            worker.detach()
        QTimer.singleShot(0, self, self._check_stopped)

    def close(self) -> None:
        """The window is gone: drop the control connection (an idle engine then exits)."""
        if self._link is not None:
            self._link.close()
            for thread, worker in list(self._bag.items()):
                if worker is self._link:
                    thread.wait(2000)  # the read returns at once once the socket is closed
        if not self.can_keep_running:  # the engine is a thread of this process: it goes with it
            starter.stop_in_process(self.data_dir)

    def wait_stopped(self, timeout_ms: int = 10_000) -> bool:
        """Block until every job thread has finished (shutdown and tests only); True if they did."""
        ok = True
        for thread in list(self._bag):
            if thread is not None and self._bag.get(thread) is not self._link:
                ok = thread.wait(timeout_ms) and ok
        return ok

    # -- internals ----------------------------------------------------------------------------

    def _connect(self) -> EngineConnection:
        connection = starter.connect(self.data_dir)
        if starter.fallback_reason and not self._fallback_told:
            self._fallback_told = True
            QTimer.singleShot(0, self, lambda: self.problem.emit(starter.fallback_reason or ""))
        return connection

    def _refuse_when_stopping(self) -> None:
        if self._shutting_down:
            raise BadInput("CourseGen is closing, so no new job can start.")

    def _ensure_link(self) -> EngineLink:
        if self._link is None:
            link = EngineLink(self._connect)
            link.connected.connect(self._on_connected)
            link.announced.connect(self._on_announced)
            link.queue_changed.connect(self._on_queue_changed)
            link.replied.connect(self._on_replied)
            link.lost.connect(self._on_link_lost)
            link.send("configure", max_running=self._max_running)
            self._link = link
            self._start_thread(link, "engine-link")
        return self._link

    def _start_thread(self, worker: QObject, name: str) -> None:
        thread = _start_on_thread(worker, name)
        thread.finished.connect(self._reap_threads)
        self._bag[thread] = worker
        thread.start()

    def _follow(self, job_id: str, command: dict[str, Any], state: JobStatus | None) -> None:
        worker = JobWorker(job_id, command, self._connect, self.store)
        worker.event_emitted.connect(self._on_worker_event)
        worker.refused.connect(self._on_refused)
        worker.finished.connect(self._on_worker_finished)
        self._workers[job_id] = worker
        if state is not None:
            self._states[job_id] = state
        self._start_thread(worker, f"job-{job_id[:8]}")
        self.running_changed.emit(self.running_count)

    @Slot(object)
    def _on_connected(self, jobs: list[dict[str, str]]) -> None:
        """Follow every job the engine runs (after a restart of the window, or another window's)."""
        for job in jobs:
            self._adopt(job["job_id"], job.get("topic", ""), JobStatus.RUNNING if job.get("state") == "running" else JobStatus.QUEUED)

    @Slot(str, str)
    def _on_announced(self, job_id: str, topic: str) -> None:
        """Another window or process queued a job: show it here too, and follow it."""
        if job_id not in self._workers:
            tasks.run_in_background(self.store.get_job, job_id, on_done=self.job_added.emit, on_error=lambda error: None, owner=self)
        self._adopt(job_id, topic, JobStatus.QUEUED)

    def _adopt(self, job_id: str, topic: str, state: JobStatus) -> None:
        if job_id in self._workers or self._shutting_down:
            return
        self._follow(job_id, {"cmd": "attach", "job_id": job_id, "after_seq": 0}, state)

    @Slot(list)
    def _on_queue_changed(self, job_ids: list[str]) -> None:
        self._queue = job_ids
        for job_id in job_ids:
            if job_id in self._states:
                self._states[job_id] = JobStatus.QUEUED
        self.queue_changed.emit(list(job_ids))

    @Slot(int, object)
    def _on_replied(self, number: int, message: dict[str, Any]) -> None:
        callback = self._callbacks.pop(number, None)
        if callback is not None:
            callback(message)

    @Slot()
    def _on_link_lost(self) -> None:
        """The engine went away: the next command starts a new one (workers report their jobs)."""
        self._link = None
        self._on_queue_changed([])
        for number in list(self._callbacks):
            self._callbacks.pop(number)(dict(ENGINE_GONE_REPLY))

    @Slot(object)
    def _on_worker_event(self, event: Event) -> None:
        if isinstance(event, JobQueued):
            self._states[event.job_id] = JobStatus.QUEUED
        elif isinstance(event, JobStarted):
            self._states[event.job_id] = JobStatus.RUNNING
        elif event.is_terminal:
            self._states.pop(event.job_id, None)
        self.event_emitted.emit(event)
        if isinstance(event, (JobQueued, JobStarted)) or event.is_terminal:
            self.running_changed.emit(self.running_count)

    @Slot(str, str)
    def _on_refused(self, job_id: str, sentence: str) -> None:
        worker = self._workers.get(job_id)
        if worker is not None and worker.command.get("cmd") == "submit":
            # The engine could not even write the job: show the failure where the job shows.
            self.event_emitted.emit(JobFailed(job_id=job_id, seq=1, kind="storage", message=sentence, resumable=False))
        else:
            self.problem.emit(sentence)

    @Slot(str)
    def _on_worker_finished(self, job_id: str) -> None:
        self._workers.pop(job_id, None)
        self._states.pop(job_id, None)
        self.running_changed.emit(self.running_count)
        self.job_finished.emit(job_id)

    @Slot()
    def _reap_threads(self) -> None:
        """Drop finished threads and their workers. Python owns both, so they are deleted with
        their last reference: let go of it only once the thread has really finished, and after
        this signal's delivery (deleting the sender inside its own signal is a use-after-free)."""
        finished = [(thread, self._bag.pop(thread)) for thread in list(self._bag) if thread.isFinished()]
        QTimer.singleShot(0, self, finished.clear)
        self._check_stopped()

    @Slot()
    def _check_stopped(self) -> None:
        workers_left = any(worker is not self._link for worker in self._bag.values())
        if self._shutting_down and not workers_left and not self._workers and not self._stopped_sent:
            self._stopped_sent = True
            self.stopped.emit()
