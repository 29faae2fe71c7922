"""The typed progress events: the one contract between the pipeline, the store, the CLI and the GUI.

Each event is a frozen pydantic model (rather than a dataclass) so that JSON round-trips,
including the `Lesson` carried by `TopicCompleted`, come from one declaration with validation.
`type` is the class name; `seq` increases strictly per job and is assigned by `EventRecorder`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from coursegen_desktop.core.models import Lesson, Outline, Usage, utc_now


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str
    seq: int = 0
    at: datetime = Field(default_factory=utc_now)

    def to_json(self) -> str:
        return self.model_dump_json()

    @staticmethod
    def from_json(text: str | bytes) -> AnyEvent:
        return _ADAPTER.validate_json(text)

    @staticmethod
    def from_dict(data: dict[str, object]) -> AnyEvent:
        """An event from its JSON already parsed (the engine protocol's lines)."""
        return _ADAPTER.validate_python(data)

    @property
    def is_terminal(self) -> bool:
        return isinstance(self, (JobCompleted, JobFailed, JobCancelled, JobPaused, OutlineReady))


class JobQueued(Event):
    type: Literal["JobQueued"] = "JobQueued"
    topic: str


class JobStarted(Event):
    type: Literal["JobStarted"] = "JobStarted"
    generator: str
    model: str | None = None
    resumed: bool = False
    parts_saved: int = 0


class StepStarted(Event):
    type: Literal["StepStarted"] = "StepStarted"
    step: str
    index: int
    label: str


class StepCompleted(Event):
    type: Literal["StepCompleted"] = "StepCompleted"
    step: str
    index: int
    duration_s: float


class TopicStarted(Event):
    type: Literal["TopicStarted"] = "TopicStarted"
    lesson_id: str
    module_id: str
    title: str
    index: int  # 1-based position of the lesson in the course
    total: int


class TopicCompleted(Event):
    type: Literal["TopicCompleted"] = "TopicCompleted"
    lesson_id: str
    title: str
    index: int
    total: int
    done: int  # lessons saved so far, this one included
    lesson: Lesson


class Progress(Event):
    type: Literal["Progress"] = "Progress"
    percent: float
    message: str = ""
    eta_s: float | None = None
    tokens: int = 0  # output tokens streamed so far in this run
    preview: str | None = None  # tail of the lesson being written, for the live preview
    lesson_id: str | None = None


class Retrying(Event):
    type: Literal["Retrying"] = "Retrying"
    attempt: int
    delay_s: float
    reason: str


class JobCompleted(Event):
    type: Literal["JobCompleted"] = "JobCompleted"
    title: str
    duration_s: float
    usage: Usage = Field(default_factory=Usage)


class JobFailed(Event):
    type: Literal["JobFailed"] = "JobFailed"
    kind: str
    message: str
    step: str | None = None
    resumable: bool = True
    usage: Usage = Field(default_factory=Usage)


class JobPaused(Event):
    """The user paused the job: the parts in flight were finished and saved, nothing new started.
    Resume continues it (also after a restart)."""

    type: Literal["JobPaused"] = "JobPaused"
    message: str = "Paused — finished parts kept; Resume continues."
    step: str | None = None
    usage: Usage = Field(default_factory=Usage)


class JobCancelled(Event):
    type: Literal["JobCancelled"] = "JobCancelled"
    message: str = "Cancelled — finished parts kept."
    interrupted: bool = False  # stopped by a closing app or a dead engine, not by the user: Resume continues it
    step: str | None = None
    usage: Usage = Field(default_factory=Usage)


class OutlineReady(Event):
    """The job stopped after the outline for the user to review it (status awaiting_review)."""

    type: Literal["OutlineReady"] = "OutlineReady"
    outline: Outline
    usage: Usage = Field(default_factory=Usage)


EVENT_TYPES: tuple[type[Event], ...] = (
    JobQueued,
    JobStarted,
    StepStarted,
    StepCompleted,
    TopicStarted,
    TopicCompleted,
    Progress,
    Retrying,
    JobCompleted,
    JobFailed,
    JobCancelled,
    OutlineReady,
    JobPaused,
)
# Any one of the thirteen, told apart by `type` when read back from JSON.
AnyEvent = Annotated[Union[EVENT_TYPES], Field(discriminator="type")]  # type: ignore[valid-type]
_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
