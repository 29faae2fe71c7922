"""The course and job data model (pydantic), shared by every layer.

Generators produce these objects, the store saves them as JSON, the GUI and exports read them.
Validation here is what guarantees a usable course: one correct answer per question, distinct
options, ids that line up between outline, lessons and quizzes.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coursegen_desktop.core.errors import BadInput

# claude-sonnet-4-5 reaches end of life on 2026-11-30 (the SDK's deprecation table); 4-6 costs the same.
DEFAULT_MODEL = "claude-sonnet-4-6"
# Offered when the API cannot list models (offline, or a gateway without /v1/models).
KNOWN_MODELS = (DEFAULT_MODEL, "claude-opus-4-6", "claude-haiku-4-5", "claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")
MAX_TOPIC_CHARS = 500


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class GeneratorKind(StrEnum):
    OFFLINE = "offline"
    CLAUDE = "claude"
    OPENAI_COMPATIBLE = "openai-compatible"  # a local model server (Ollama, LM Studio, llama.cpp)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")


def clean_text_line(value: str) -> str:
    """Collapse control characters, bidi overrides and runs of spaces into single spaces."""
    value = unicodedata.normalize("NFC", value)
    return " ".join(_CONTROL.sub(" ", value).split())


class CourseRequest(BaseModel):
    """What the user asked for. Frozen: a job's request never changes after it is queued."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    material: tuple[Path, ...] = ()
    level: Level = Level.BEGINNER
    language: str = "English"
    modules: Annotated[int, Field(ge=1, le=12)] = 3
    lessons_per_module: Annotated[int, Field(ge=1, le=8)] = 3
    questions_per_quiz: Annotated[int, Field(ge=2, le=20)] = 5
    exam_questions: Annotated[int, Field(ge=3, le=60)] = 10
    generator: GeneratorKind = GeneratorKind.OFFLINE
    model: str = DEFAULT_MODEL
    concurrency: Annotated[int, Field(ge=1, le=16)] = 4
    # Stop after the outline (status awaiting_review) until the user approves it.
    review_outline: bool = False
    # The OpenAI-compatible server (…/v1) for GeneratorKind.OPENAI_COMPATIBLE; never holds a key.
    base_url: str | None = None

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        value = clean_text_line(value)
        if not value:
            raise ValueError("Enter a topic for the course.")
        if len(value) > MAX_TOPIC_CHARS:
            raise ValueError(f"The topic is {len(value)} characters long; keep it under {MAX_TOPIC_CHARS}.")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        value = clean_text_line(value)
        if not value or len(value) > 40:
            raise ValueError("Choose a course language such as English, Deutsch or Français.")
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}", value):
            raise ValueError(f"'{value[:60]}' is not a model name; choose one such as {DEFAULT_MODEL}.")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)

    @property
    def lesson_count(self) -> int:
        return self.modules * self.lessons_per_module


DEFAULT_LOCAL_BASE_URL = "http://localhost:11434/v1"  # Ollama on this machine
LOCAL_BASE_URL_ENV = "COURSEGEN_OPENAI_BASE_URL"


def default_local_base_url() -> str:
    """The OpenAI-compatible server to use when none is given: `COURSEGEN_OPENAI_BASE_URL`, else Ollama's."""
    return os.environ.get(LOCAL_BASE_URL_ENV, "").strip() or DEFAULT_LOCAL_BASE_URL


def check_base_url(value: str) -> str:
    """An http(s) server address without credentials or a trailing slash, or ValueError."""
    value = value.strip().rstrip("/")
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or len(value) > 300:
        raise ValueError(f"'{value[:60]}' is not a server address; give one such as http://localhost:11434/v1.")
    if parsed.username or parsed.password:
        raise ValueError("Put the API key in Settings (or OPENAI_API_KEY), not in the server address.")
    return value


_FIELD_NAMES = {
    "modules": "Modules",
    "lessons_per_module": "Lessons per module",
    "questions_per_quiz": "Questions per quiz",
    "exam_questions": "Exam questions",
    "concurrency": "Concurrency",
    "level": "Level",
    "generator": "Generator",
}


def make_request(**fields: object) -> CourseRequest:
    """Build a request, turning the first validation problem into one plain sentence."""
    try:
        return CourseRequest(**fields)
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    ctx = error.get("ctx") or {}
    if error["type"] == "value_error":
        return str(ctx.get("error", error["msg"]))
    name = _FIELD_NAMES.get(field, field.replace("_", " ").capitalize())
    if field in _BOUNDS:
        low, high = _BOUNDS[field]
        return f"{name} must be a whole number from {low} to {high}."
    if field == "level":
        return "Level must be beginner, intermediate or advanced."
    return f"{name} is not valid: {error['msg']}."


_BOUNDS = {"modules": (1, 12), "lessons_per_module": (1, 8), "questions_per_quiz": (2, 20), "exam_questions": (3, 60), "concurrency": (1, 16)}


# ---------------------------------------------------------------------------------------------
# The course


class BloomLevel(StrEnum):
    REMEMBER = "remember"
    UNDERSTAND = "understand"
    APPLY = "apply"
    ANALYZE = "analyze"
    EVALUATE = "evaluate"
    CREATE = "create"


class Objective(BaseModel):
    id: str
    text: str
    bloom_level: BloomLevel = BloomLevel.UNDERSTAND


class LessonPlan(BaseModel):
    id: str
    title: str
    summary: str = ""
    objective_ids: list[str] = Field(default_factory=list)


class ModulePlan(BaseModel):
    id: str
    title: str
    summary: str = ""
    lessons: list[LessonPlan]


class Outline(BaseModel):
    title: str
    description: str = ""
    objectives: list[Objective] = Field(default_factory=list)
    modules: list[ModulePlan]

    @model_validator(mode="after")
    def _ids_unique(self) -> Outline:
        lesson_ids = [lesson.id for module in self.modules for lesson in module.lessons]
        if len(set(lesson_ids)) != len(lesson_ids):
            raise ValueError("lesson ids must be unique")
        if not self.modules or not lesson_ids:
            raise ValueError("an outline needs at least one module with one lesson")
        return self

    def lesson_plans(self) -> list[tuple[ModulePlan, LessonPlan]]:
        return [(module, lesson) for module in self.modules for lesson in module.lessons]


class GlossaryEntry(BaseModel):
    term: str
    definition: str


class Lesson(BaseModel):
    id: str
    module_id: str
    title: str
    markdown: str = Field(min_length=1)
    key_points: list[str] = Field(default_factory=list)
    objectives_covered: list[str] = Field(default_factory=list)
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


def _norm_option(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


class Question(BaseModel):
    """A one-best-answer multiple-choice item."""

    id: str = ""
    stem: str = Field(min_length=3)
    options: list[str] = Field(min_length=2, max_length=6)
    answer_index: int
    explanation: str = ""
    objective_id: str | None = None
    evidence_quote: str | None = None

    @model_validator(mode="after")
    def _one_key(self) -> Question:
        if not 0 <= self.answer_index < len(self.options):
            raise ValueError(f"answer_index {self.answer_index} is outside the {len(self.options)} options")
        normalised = [_norm_option(option) for option in self.options]
        if any(not text for text in normalised):
            raise ValueError("options must not be empty")
        if len(set(normalised)) != len(normalised):
            raise ValueError("options must be distinct")
        return self

    @property
    def answer(self) -> str:
        return self.options[self.answer_index]


class Quiz(BaseModel):
    module_id: str
    title: str
    questions: list[Question] = Field(min_length=1)


class Exam(BaseModel):
    title: str
    questions: list[Question] = Field(min_length=1)


class Flashcard(BaseModel):
    front: str = Field(min_length=1)
    back: str = Field(min_length=1)
    module_id: str | None = None
    source: str | None = None


class FlashcardDeck(BaseModel):
    cards: list[Flashcard]


class ReviewNote(BaseModel):
    severity: Literal["error", "warn", "info"]
    where: str
    message: str


class Usage(BaseModel):
    """Token use of a job; cost is computed from the price table at the time of the call."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
            requests=self.requests + other.requests,
        )


class Course(BaseModel):
    title: str
    description: str = ""
    topic: str
    level: Level
    language: str
    generator: str
    outline: Outline
    lessons: list[Lesson]
    quizzes: list[Quiz]
    exam: Exam
    flashcards: list[Flashcard]
    review: list[ReviewNote] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utc_now)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def quiz_for(self, module_id: str) -> Quiz | None:
        return next((quiz for quiz in self.quizzes if quiz.module_id == module_id), None)


# ---------------------------------------------------------------------------------------------
# Jobs


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    # Stopped after the outline: the user edits and approves it (or asks for another one).
    AWAITING_REVIEW = "awaiting_review"
    BATCHED = "batched"  # a bulk course whose parts are being written in Message Batches (core.batch)
    PAUSED = "paused"  # the user paused it: parts in flight were saved, Resume continues

    @property
    def is_finished(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED, JobStatus.AWAITING_REVIEW, JobStatus.PAUSED)

    @property
    def can_resume(self) -> bool:
        return self in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED, JobStatus.PAUSED)


class JobRecord(BaseModel):
    id: str
    topic: str
    status: JobStatus
    percent: float = 0.0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    request: CourseRequest
    error_kind: str | None = None
    error_message: str | None = None
    error_step: str | None = None
    resumable: bool = False
    usage: Usage = Field(default_factory=Usage)
    course_title: str | None = None
    run_seconds: float = 0.0

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of the job's runs so far (all runs of a resumed job added up)."""
        return self.run_seconds if self.started_at else None
