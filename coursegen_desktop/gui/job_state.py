"""What a job looks like to the user, rebuilt from its event stream (no Qt here).

The progress dialog replays a job's stored events into a `JobViewState` and then keeps applying
live ones, so a dialog opened late shows exactly what one open from the start shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from coursegen_desktop.core.event_dispatch import dispatch, handles
from coursegen_desktop.core.events import (
    Event,
    JobCancelled,
    JobCompleted,
    JobFailed,
    JobQueued,
    JobStarted,
    JobPaused,
    OutlineReady,
    Progress,
    Retrying,
    StepCompleted,
    StepStarted,
    TopicCompleted,
    TopicStarted,
)
from coursegen_desktop.core.models import JobRecord, JobStatus
from coursegen_desktop.core.steps import STEPS

LOG_LIMIT = 2000  # lines kept in the dialog's log


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass
class StepState:
    name: str
    label: str
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    duration_s: float | None = None


def _fresh_steps() -> list[StepState]:
    return [StepState(step.name, step.label) for step in STEPS]


@dataclass
class JobViewState:
    job_id: str
    topic: str = ""
    status: JobStatus = JobStatus.QUEUED
    percent: float = 0.0
    eta_s: float | None = None
    message: str = ""
    steps: list[StepState] = field(default_factory=_fresh_steps)
    current_topic: str = ""
    lessons_done: int = 0
    lessons_total: int = 0
    preview: str = ""
    error: str = ""
    resumable: bool = False
    course_title: str = ""
    last_seq: int = 0
    log: list[str] = field(default_factory=list)
    log_total: int = 0  # lines ever logged (the list keeps the last LOG_LIMIT)
    titles: dict[str, str] = field(default_factory=dict)  # lesson id -> title, from TopicStarted

    def apply(self, event: Event) -> bool:
        """Apply one event; False (and no change) for an event already applied (seq not newer)."""
        if event.seq and event.seq <= self.last_seq:
            return False
        self.last_seq = max(self.last_seq, event.seq)
        dispatch(self, event)
        return True

    # -- one handler per event type -------------------------------------------------------------

    @handles(JobQueued)
    def _on_queued(self, event: JobQueued) -> None:
        self.topic = event.topic
        self.status, self.error, self.resumable, self.eta_s = JobStatus.QUEUED, "", False, None
        self._log(event, f"Queued: {event.topic}")

    @handles(JobStarted)
    def _on_started(self, event: JobStarted) -> None:
        self.status = JobStatus.RUNNING
        self.steps = _fresh_steps()
        self.error, self.resumable, self.eta_s = "", False, None
        who = f"{event.generator} ({event.model})" if event.model else event.generator
        if event.resumed:
            self._log(event, f"Resumed with {who}; {event.parts_saved} finished parts kept")
        else:
            self._log(event, f"Started with {who}")

    @handles(StepStarted)
    def _on_step_started(self, event: StepStarted) -> None:
        step = self.steps[event.index]
        step.status, step.started_at, step.duration_s = StepStatus.RUNNING, event.at, None
        self._log(event, f"Step {event.index + 1} of {len(self.steps)}: {event.label}")

    @handles(StepCompleted)
    def _on_step_completed(self, event: StepCompleted) -> None:
        step = self.steps[event.index]
        step.status, step.duration_s = StepStatus.DONE, event.duration_s
        self._log(event, f"Done: {step.label} ({format_duration(event.duration_s)})")

    @handles(TopicStarted)
    def _on_topic_started(self, event: TopicStarted) -> None:
        self.titles[event.lesson_id] = event.title
        self.current_topic = event.title
        self.lessons_total = event.total
        self._log(event, f"Writing lesson {event.index} of {event.total}: {event.title}")

    @handles(TopicCompleted)
    def _on_topic_completed(self, event: TopicCompleted) -> None:
        self.lessons_done, self.lessons_total = event.done, event.total
        self._log(event, f"Lesson written: {event.title} ({event.done} of {event.total})")

    @handles(Progress)
    def _on_progress(self, event: Progress) -> None:
        self.percent = max(self.percent, event.percent)
        self.eta_s = event.eta_s
        self.message = event.message
        if event.preview is not None:  # lessons are written concurrently: follow the previewed one
            self.preview = event.preview
            self.current_topic = self.titles.get(event.lesson_id or "", self.current_topic)

    @handles(Retrying)
    def _on_retrying(self, event: Retrying) -> None:
        self._log(event, f"{event.reason.rstrip('.')}; trying again in {format_duration(event.delay_s)} (attempt {event.attempt})")

    @handles(JobCompleted)
    def _on_completed(self, event: JobCompleted) -> None:
        self.status, self.percent, self.eta_s = JobStatus.COMPLETED, 100.0, None
        self.course_title = event.title
        self.current_topic = ""
        self._log(event, f"Course ready: {event.title} ({format_duration(event.duration_s)})")

    @handles(JobFailed)
    def _on_failed(self, event: JobFailed) -> None:
        self.status, self.eta_s = JobStatus.FAILED, None
        self.error, self.resumable = event.message, event.resumable
        self._stop_running(StepStatus.FAILED)
        self._log(event, f"Failed: {event.message}")

    @handles(JobCancelled)
    def _on_cancelled(self, event: JobCancelled) -> None:
        self.status, self.eta_s, self.resumable = JobStatus.INTERRUPTED if event.interrupted else JobStatus.CANCELLED, None, True
        if event.interrupted:
            self.error = event.message
        self._stop_running(StepStatus.STOPPED)
        self._log(event, event.message if event.interrupted else "Cancelled; finished parts kept")

    @handles(JobPaused)
    def _on_paused(self, event: JobPaused) -> None:
        self.status, self.eta_s, self.resumable = JobStatus.PAUSED, None, True
        self._stop_running(StepStatus.STOPPED)
        self._log(event, "Paused; finished parts kept")

    @handles(OutlineReady)
    def _on_outline_ready(self, event: OutlineReady) -> None:
        self.status, self.eta_s, self.resumable = JobStatus.AWAITING_REVIEW, None, False
        self._log(event, f"Outline ready for your review ({len(event.outline.lesson_plans())} lessons planned)")

    def sync_record(self, record: JobRecord) -> None:
        """Take what only the job row knows: a job left `interrupted` by a closed or crashed app
        has no terminal event of its own."""
        self.topic = self.topic or record.topic
        if record.status == JobStatus.INTERRUPTED and self.status != JobStatus.INTERRUPTED:
            self.status, self.eta_s, self.resumable = JobStatus.INTERRUPTED, None, True
            self.error = record.error_message or "The app stopped while this job was running; Resume continues it."
            self._stop_running(StepStatus.STOPPED)
        elif record.status == JobStatus.QUEUED and self.status == JobStatus.QUEUED:
            self.percent = record.percent
        elif record.status == JobStatus.BATCHED and self.status == JobStatus.QUEUED:  # a bulk course between rounds
            self.status, self.percent = JobStatus.BATCHED, record.percent

    # -- helpers ----------------------------------------------------------------------------------

    def _stop_running(self, status: StepStatus) -> None:
        for step in self.steps:
            if step.status == StepStatus.RUNNING:
                step.status = status

    def _log(self, event: Event, text: str) -> None:
        self.log.append(f"{event.at.astimezone():%H:%M:%S}  {text}")
        self.log_total += 1
        if len(self.log) > LOG_LIMIT:
            del self.log[: len(self.log) - LOG_LIMIT]


def format_duration(seconds: float | None) -> str:
    """'<0.1 s', '0.4 s', '12 s', '3 min 5 s', '1 h 2 min'."""
    if seconds is None:
        return ""
    if seconds < 0.05:
        return "<0.1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def format_eta(seconds: float | None) -> str:
    """An honest, rounded time left: 'less than a minute left', 'about 2 min left', or
    'estimating…' while the ETA has no basis yet (core/eta.py)."""
    if seconds is None:
        return "estimating…"
    if seconds < 45:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60:02d} min left"
