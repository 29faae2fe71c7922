"""The outline review gate: a job can stop after its outline so the user edits and approves it.

State lives in the job's saved parts, so every runner (the CLI in-process, the GUI's job
threads, an engine process) sees the same thing without new columns: the outline part is what
lessons are written from, an `approval` part says the user approved it, an `instruction` part
carries the wish for the next outline ("more on diffusion"). The pipeline calls
`needs_review` after the outline step and stops the job as `awaiting_review`.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationError

from coursegen_desktop.core.errors import BadInput, NotFound
from coursegen_desktop.core.models import JobStatus, ModulePlan, Objective, Outline
from coursegen_desktop.core.store import Store

APPROVAL = ("approval", "outline")
INSTRUCTION = ("instruction", "outline")
MAX_MODULES = 12
MAX_LESSONS_PER_MODULE = 12
MAX_INSTRUCTION_CHARS = 500


def needs_review(store: Store, job_id: str, review_requested: bool) -> bool:
    """True when the job asked for a review and the user has not approved its outline yet."""
    return review_requested and not _has_part(store, job_id, *APPROVAL)


def instruction(store: Store, job_id: str) -> str:
    """The user's instruction for the job's outline ("" when none was given)."""
    for kind, key, body in store.part_rows(job_id):
        if (kind, key) == INSTRUCTION:
            try:
                return str(json.loads(body))
            except ValueError:
                return ""
    return ""


def outline_of(store: Store, job_id: str) -> Outline:
    """The job's saved outline; NotFound in one sentence when there is none yet."""
    outline = store.saved_parts(job_id).outline
    if outline is None:
        raise NotFound(f"Job {job_id} has no outline yet; it is written in the job's second step.")
    return outline


def parse_outline(text: str) -> tuple[Outline | None, list[str]]:
    """An outline from JSON text and the problems found: one plain sentence each (none: usable)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        return None, [f"The file is not valid JSON{where}; fix it and try again."]
    if isinstance(data, dict) and isinstance(data.get("outline"), dict):
        data = data["outline"]  # accept what `coursegen outline ID --json` prints, wrapped or not
    try:  # fields first, without the whole-outline checks, so every problem is reported at once
        loose = _LooseOutline.model_validate(data)
    except ValidationError as exc:
        return None, [_sentence(error) for error in exc.errors()[:20]]
    problems = outline_problems(loose)  # type: ignore[arg-type]
    if problems:
        return None, problems
    try:
        return Outline.model_validate(data), []
    except ValidationError as exc:
        return None, [_sentence(error) for error in exc.errors()[:20]]


class _LooseOutline(BaseModel):
    """An outline's fields without its own cross-checks (those are `outline_problems`)."""

    title: str
    description: str = ""
    objectives: list[Objective] = Field(default_factory=list)
    modules: list[ModulePlan]


def outline_problems(outline: Outline) -> list[str]:
    """What makes an edited outline unusable for writing lessons, one sentence per problem."""
    problems: list[str] = []
    if not outline.title.strip():
        problems.append("The course title is empty; give the course a title.")
    if not outline.modules:
        problems.append("The outline has no modules; add at least one module with one lesson.")
    if len(outline.modules) > MAX_MODULES:
        problems.append(f"The outline has {len(outline.modules)} modules; keep it to {MAX_MODULES} or fewer.")
    objective_ids = [objective.id for objective in outline.objectives]
    for objective_id in {i for i in objective_ids if objective_ids.count(i) > 1}:
        problems.append(f"Objective id “{objective_id}” is used twice; give each objective its own id.")
    for objective in outline.objectives:
        if not objective.text.strip():
            problems.append(f"Objective “{objective.id}” has no text; write what the learner will be able to do, or remove it.")
    module_ids = [module.id for module in outline.modules]
    for module_id in {i for i in module_ids if module_ids.count(i) > 1}:
        problems.append(f"Module id “{module_id}” is used twice; give each module its own id.")
    seen: set[str] = set()
    for number, module in enumerate(outline.modules, 1):
        name = f"Module {number}" + (f" (“{module.title}”)" if module.title.strip() else "")
        if not module.title.strip():
            problems.append(f"Module {number} has no title; give it one.")
        if not module.lessons:
            problems.append(f"{name} has no lessons; add a lesson or remove the module.")
        if len(module.lessons) > MAX_LESSONS_PER_MODULE:
            problems.append(f"{name} has {len(module.lessons)} lessons; keep it to {MAX_LESSONS_PER_MODULE} or fewer.")
        for lesson in module.lessons:
            if not lesson.id.strip():
                problems.append(f"A lesson of {name.lower()} has no id; give it one such as {module.id}-l9.")
            if lesson.id in seen:
                problems.append(f"Lesson id “{lesson.id}” is used twice; give each lesson its own id.")
            seen.add(lesson.id)
            if not lesson.title.strip():
                problems.append(f"Lesson “{lesson.id}” has no title; give it one.")
            for objective_id in lesson.objective_ids:
                if objective_id not in objective_ids:
                    problems.append(f"Lesson “{lesson.id}” names objective “{objective_id}”, which is not in the objectives; add it or remove it from the lesson.")
    return problems


def _sentence(error: dict) -> str:
    """A pydantic error as a sentence a user can act on ("Module 2, lesson 1: title is missing.")."""
    names = {"modules": "module", "lessons": "lesson", "objectives": "objective", "objective_ids": "objective id"}
    where: list[str] = []
    field = ""
    loc = list(error.get("loc") or ())
    for index, part in enumerate(loc):
        if isinstance(part, int):
            continue
        following = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(following, int):
            where.append(f"{names.get(part, part)} {following + 1}")
        else:
            field = str(part)
    place = ", ".join(where).capitalize()
    if error.get("type") == "missing":
        problem = f"{field or 'a field'} is missing"
    elif error.get("type") == "value_error":
        problem = str((error.get("ctx") or {}).get("error", error.get("msg", "")))
    else:
        problem = f"{field or 'the value'} is not valid ({error.get('msg', '')})"
    text = f"{place}: {problem}" if place else problem[:1].upper() + problem[1:]
    return text.rstrip(".") + "."


def _awaiting(store: Store, job_id: str) -> None:
    status = store.get_job(job_id).status
    if status != JobStatus.AWAITING_REVIEW:
        raise BadInput(f"Job {job_id} is {status.value.replace('_', ' ')}, not waiting for an outline review, so its outline cannot be changed now.")


def set_outline(store: Store, job_id: str, outline: Outline) -> None:
    """Replace the outline of a job waiting for review; a problem raises BadInput and changes nothing."""
    _awaiting(store, job_id)
    problems = outline_problems(outline)
    if problems:
        raise BadInput(" ".join(problems))
    store.save_part(job_id, "outline", "outline", outline.model_dump_json())


def approve(store: Store, job_id: str, outline: Outline | None = None) -> None:
    """Approve the outline (with the user's edits, if given); running the job again writes the lessons."""
    if outline is not None:
        set_outline(store, job_id, outline)
    else:
        _awaiting(store, job_id)
        outline_of(store, job_id)
    store.save_part(job_id, *APPROVAL, "{}")


def request_new_outline(store: Store, job_id: str, wish: str = "") -> None:
    """Reject the outline: running the job again plans a new one, following `wish` if given."""
    _awaiting(store, job_id)
    wish = " ".join(wish.split())
    if len(wish) > MAX_INSTRUCTION_CHARS:
        raise BadInput(f"The instruction is {len(wish)} characters long; keep it under {MAX_INSTRUCTION_CHARS}.")
    store.save_part(job_id, *INSTRUCTION, json.dumps(wish))
    store.delete_part(job_id, "outline", "outline")


def _has_part(store: Store, job_id: str, kind: str, key: str) -> bool:
    return any((k, key_) == (kind, key) for k, key_, _ in store.part_rows(job_id))
