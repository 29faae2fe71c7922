"""Tolerate, then repair, then fail: judging a model's structured answer.

A model that follows the schema but not every instruction (one module too many, a lesson that
points at an objective id nobody defined, four questions where five were asked) still gives a
usable course. Each `judge_*` function takes the raw JSON a model answered with and returns a
`Verdict`: the part, fixed deterministically where a fix is safe, with one note per fix for the
job log; or the problems that no fix can answer, phrased so the model can repair them in one
more turn. On that last turn (`final=True`) the judge accepts whatever can still make a sound
course, so only an answer with nothing usable in it fails the job, with the concrete reason.

Shared by every generator that asks a model for JSON (Claude, OpenAI-compatible servers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from coursegen_desktop.core.material.words import content_words, light_stem
from coursegen_desktop.core.models import CourseRequest, Exam, Flashcard, FlashcardDeck, ModulePlan, Outline, Question, Quiz

T = TypeVar("T")

# Fewer questions than asked is kept without a repair turn when at most this share is missing.
QUESTION_SHORTFALL = 0.25
MAX_NOTE_IDS = 5


@dataclass
class Verdict(Generic[T]):
    """A usable part and the fixes made to it, or what still has to be repaired."""

    value: T | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def describe_errors(exc: ValidationError) -> list[str]:
    """Pydantic's errors as `path: message` lines (for the repair turn and the failure)."""
    return [f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()[:15]]


def _listing(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:MAX_NOTE_IDS])
    return shown + (f" and {len(ids) - MAX_NOTE_IDS} more" if len(ids) > MAX_NOTE_IDS else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _stems(text: str) -> set[str]:
    return {light_stem(w) for w in content_words(text)}


# ---------------------------------------------------------------------------------------------
# Outline


@dataclass
class PlannedOutline:
    outline: Outline
    coverage_gaps: list[str]


def judge_outline(raw: Any, request: CourseRequest, final: bool) -> Verdict[PlannedOutline]:
    """An outline answer (`{"outline": {...}, "coverage_gaps": [...]}`) checked against the request."""
    verdict: Verdict[PlannedOutline] = Verdict()
    if not isinstance(raw, dict) or not isinstance(raw.get("outline"), dict):
        verdict.problems.append("outline: the answer has no outline object; send the whole outline.")
        return verdict
    data = copy.deepcopy(raw["outline"])
    _renumber_outline(data, verdict.notes)
    try:
        outline = Outline.model_validate(data)
    except ValidationError as exc:
        verdict.problems += [f"outline.{p}" for p in describe_errors(exc)]
        return verdict
    outline = _fit_counts(outline, request, final, verdict)
    if not outline.objectives:
        verdict.problems.append("outline.objectives: write at least one learning objective per module.")
    if verdict.problems:
        return verdict
    outline = _fix_objective_links(outline, verdict.notes)
    gaps = raw.get("coverage_gaps")
    verdict.value = PlannedOutline(outline, [g for g in gaps if isinstance(g, str)] if isinstance(gaps, list) else [])
    return verdict


def _fresh(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _own_id(item: dict[str, Any], fallback: str, taken: set[str], renamed: list[str], avoid: frozenset[str] | set[str] = frozenset()) -> None:
    """Keep `item`'s id unless it is missing or already `taken`; then give it a fresh one."""
    old = str(item.get("id") or "").strip()
    if not old or old in taken:
        item["id"] = _fresh(fallback, taken | avoid)
        renamed.append(old or "(none)")
    taken.add(item["id"])


def _renumber_outline(data: dict[str, Any], notes: list[str]) -> None:
    """Give every module, lesson and objective its own id (in place): missing or repeated ids
    get a fresh one in the house style (m2, m2-l3, obj-4). Lessons keep pointing at the first
    objective of a repeated id, because which one they meant cannot be known."""
    renamed: dict[str, list[str]] = {"module": [], "lesson": [], "objective": []}
    objectives = [o for o in data.get("objectives") or [] if isinstance(o, dict)] if isinstance(data.get("objectives"), list) else []
    named = {str(o.get("id")) for o in objectives}
    taken: set[str] = set()
    for index, objective in enumerate(objectives, 1):
        _own_id(objective, f"obj-{index}", taken, renamed["objective"], avoid=named)
    modules = data.get("modules") if isinstance(data.get("modules"), list) else []
    module_ids: set[str] = set()
    lesson_ids: set[str] = set()
    for i, module in enumerate(modules, 1):
        if isinstance(module, dict):
            _own_id(module, f"m{i}", module_ids, renamed["module"])
            lessons = module.get("lessons") if isinstance(module.get("lessons"), list) else []
            for j, lesson in enumerate(lessons, 1):
                if isinstance(lesson, dict):
                    _own_id(lesson, f"{module['id']}-l{j}", lesson_ids, renamed["lesson"])
    for kind, old_ids in renamed.items():
        if old_ids:
            notes.append(f"Outline: gave new ids to {_plural(len(old_ids), kind)} whose id was missing or repeated ({_listing(old_ids)}).")


def _fit_counts(outline: Outline, request: CourseRequest, final: bool, verdict: Verdict[Any]) -> Outline:
    """Keep a plan within one module (and one lesson per module) of the request, and say so;
    ask for a repair otherwise. On the last try, trim a plan that is too large and keep one that
    is too small: both still make a sound course."""
    modules = list(outline.modules)
    asked = request.modules
    if len(modules) != asked:
        off = len(modules) - asked
        if abs(off) <= 1 or final:
            if off > 1:
                modules = modules[:asked]
                verdict.notes.append(f"Outline: the model planned {len(outline.modules)} modules where {asked} were asked; kept the first {asked}.")
            else:
                verdict.notes.append(f"Outline: the model planned {_plural(len(modules), 'module')} where {asked} were asked; kept its plan.")
        else:
            verdict.problems.append(f"modules: plan exactly {asked} modules, not {len(modules)}.")
    wanted = request.lessons_per_module
    fitted: list[ModulePlan] = []
    for module in modules:
        count = len(module.lessons)
        off = count - wanted
        if off and (abs(off) <= 1 or final):
            if off > 1:
                module = module.model_copy(update={"lessons": module.lessons[:wanted]})
                verdict.notes.append(f"Outline: module {module.id} had {count} lessons where {wanted} were asked; kept the first {wanted}.")
            else:
                verdict.notes.append(f"Outline: module {module.id} has {_plural(count, 'lesson')} where {wanted} were asked; kept its plan.")
        elif off:
            verdict.problems.append(f"module {module.id}: give it exactly {wanted} lessons, not {count}.")
        fitted.append(module)
    return outline.model_copy(update={"modules": fitted})


def _fix_objective_links(outline: Outline, notes: list[str]) -> Outline:
    """Drop objective ids no objective has; attach each objective no lesson teaches to the
    lesson closest to it by wording, or drop it when no lesson shares a word with it."""
    known = {o.id for o in outline.objectives}
    unknown: list[str] = []
    modules = []
    for module in outline.modules:
        lessons = []
        for lesson in module.lessons:
            kept = [i for i in dict.fromkeys(lesson.objective_ids) if i in known]
            unknown += [i for i in lesson.objective_ids if i not in known]
            lessons.append(lesson.model_copy(update={"objective_ids": kept}))
        modules.append(module.model_copy(update={"lessons": lessons}))
    if unknown:
        notes.append(f"Outline: dropped objective ids that no objective has ({_listing(dict.fromkeys(unknown))}).")
    taught = {i for module in modules for lesson in module.lessons for i in lesson.objective_ids}
    objectives = []
    for objective in outline.objectives:
        if objective.id in taught:
            objectives.append(objective)
            continue
        wanted = _stems(objective.text)
        best, best_score = None, 0
        for module in modules:
            for lesson in module.lessons:
                score = len(wanted & _stems(f"{module.title} {lesson.title} {lesson.summary}"))
                if score > best_score:
                    best, best_score = lesson, score
        if best is None:
            notes.append(f"Outline: objective {objective.id} (“{objective.text[:80]}”) was taught by no lesson and matched none; dropped it.")
            continue
        best.objective_ids.append(objective.id)
        objectives.append(objective)
        notes.append(f"Outline: objective {objective.id} was taught by no lesson; attached it to lesson {best.id}, the closest by wording.")
    return outline.model_copy(update={"modules": modules, "objectives": objectives})


# ---------------------------------------------------------------------------------------------
# Questions (quizzes and the exam)


def judge_quiz(raw: Any, request: CourseRequest, outline: Outline, module: ModulePlan, final: bool) -> Verdict[Quiz]:
    """A quiz answer (`{"quiz": {...}}`) for `module`; question ids become `<module>-q<n>`."""
    where = f"Quiz for {module.id}"

    def build(body: dict[str, Any], questions: list[Question]) -> Quiz:
        return Quiz(module_id=module.id, title=_title(body, f"Quiz: {module.title}"), questions=_numbered(questions, module.id))

    return _judge_question_set(raw, "quiz", where, request.questions_per_quiz, outline, final, build)


def judge_exam(raw: Any, request: CourseRequest, outline: Outline, final: bool) -> Verdict[Exam]:
    """An exam answer (`{"exam": {...}}`); question ids become `exam-q<n>`."""

    def build(body: dict[str, Any], questions: list[Question]) -> Exam:
        return Exam(title=_title(body, "Practice exam"), questions=_numbered(questions, "exam"))

    return _judge_question_set(raw, "exam", "Practice exam", request.exam_questions, outline, final, build)


def _title(body: dict[str, Any], default: str) -> str:
    title = body.get("title")
    return title if isinstance(title, str) and title.strip() else default


def _numbered(questions: list[Question], prefix: str) -> list[Question]:
    """Our own question ids (`m1-q1`, `exam-q3`): the model's are not trusted to be unique."""
    return [q.model_copy(update={"id": f"{prefix}-q{i}"}) for i, q in enumerate(questions, 1)]


def _judge_question_set(
    raw: Any, key: str, where: str, count: int, outline: Outline, final: bool, build: Callable[[dict[str, Any], list[Question]], T]
) -> Verdict[T]:
    verdict: Verdict[T] = Verdict()
    body = raw.get(key) if isinstance(raw, dict) else None
    items = body.get("questions") if isinstance(body, dict) else None
    if not isinstance(items, list):
        verdict.problems.append(f"{key}.questions: the answer has no list of questions; send the whole {key}.")
        return verdict
    assert isinstance(body, dict)
    known = {o.id for o in outline.objectives}
    questions: list[Question] = []
    broken: list[str] = []
    unknown: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("objective_id") is not None and item.get("objective_id") not in known:
            unknown.append(str(item["objective_id"]))
            item = {**item, "objective_id": None}
        try:
            questions.append(Question.model_validate(item))
        except ValidationError as exc:
            broken.append(f"{key}.questions.{index}: " + "; ".join(e["msg"] for e in exc.errors()[:3]))
    if unknown:
        verdict.notes.append(f"{where}: dropped objective ids that the outline does not have ({_listing(dict.fromkeys(unknown))}).")
    if len(questions) > count:
        verdict.notes.append(f"{where}: the model wrote {len(questions)} questions where {count} were asked; kept the first {count}.")
        questions = questions[:count]
    short = count - len(questions)
    if not final and (broken or short > max(1, int(count * QUESTION_SHORTFALL))):
        verdict.problems += broken
        if short:
            verdict.problems.append(f"{key}.questions: write exactly {count} usable questions, not {len(questions)}.")
        return verdict
    if not questions:
        verdict.problems += broken or [f"{key}.questions: the answer has no usable question."]
        return verdict
    if broken:
        verdict.notes.append(f"{where}: left out {_plural(len(broken), 'question')} that could not be used ({broken[0]}).")
    if short:
        verdict.notes.append(f"{where}: the model wrote {_plural(len(questions), 'usable question')} where {count} were asked; kept them.")
    verdict.value = build(body, questions)
    return verdict


# ---------------------------------------------------------------------------------------------
# Flashcards


def judge_flashcards(raw: Any, outline: Outline, final: bool) -> Verdict[FlashcardDeck]:
    """A flashcards answer (`{"cards": [...]}`): unusable cards are left out, unknown modules cleared."""
    verdict: Verdict[FlashcardDeck] = Verdict()
    items = raw.get("cards") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        verdict.problems.append("cards: the answer has no list of cards; send the whole deck.")
        return verdict
    module_ids = {m.id for m in outline.modules}
    cards: list[Flashcard] = []
    broken = 0
    for item in items:
        try:
            card = Flashcard.model_validate(item)
        except ValidationError:
            broken += 1
            continue
        cards.append(card if card.module_id in module_ids else card.model_copy(update={"module_id": None}))
    if not cards:
        verdict.problems.append("cards: write at least one flashcard with a front and a back.")
        return verdict
    if broken:
        verdict.notes.append(f"Flashcards: left out {_plural(broken, 'card')} without a front or a back.")
    verdict.value = FlashcardDeck(cards=cards)
    return verdict

