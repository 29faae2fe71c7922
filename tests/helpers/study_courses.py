"""Finished courses with chosen flashcards, stored as the pipeline's save step stores them."""

from __future__ import annotations

from coursegen_desktop.core.models import Course, Flashcard, JobStatus, Usage, make_request
from coursegen_desktop.core.store import Store
from tests.helpers.course_factory import make_course


def with_cards(course: Course, fronts: list[str]) -> Course:
    return course.model_copy(update={"flashcards": [Flashcard(front=front, back=f"Answer to {front}") for front in fronts]})


def save_course(store: Store, course: Course, topic: str = "Photosynthesis") -> str:
    """Store a finished course; returns its job id (the course id of its study cards)."""
    job = store.create_job(make_request(topic=topic))
    store.save_course(job.id, course)
    store.finish_job(job.id, JobStatus.COMPLETED, usage=Usage(), course_title=course.title)
    return job.id


def store_cards(store: Store, fronts: list[str], topic: str = "Photosynthesis") -> tuple[str, Course]:
    course = with_cards(make_course(), fronts)
    return save_course(store, course, topic), course
