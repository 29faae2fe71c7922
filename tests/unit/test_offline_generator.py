"""The offline generator: a whole course from the user's material, with no network.

What a learner would notice: the course has exactly the requested shape, every answer is true
according to their material, options are real alternatives, and the same input gives the same
course (so Resume continues the same course).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from coursegen_desktop.core.cancel import Cancelled, CancelToken
from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.generators.base import GenerationContext, Generator
from coursegen_desktop.core.generators.offline import NO_MATERIAL, OfflineGenerator
from coursegen_desktop.core.material import Material, load_material
from coursegen_desktop.core.models import Exam, Flashcard, Lesson, Outline, Question, Quiz, make_request
from coursegen_desktop.core.options import normalise_option
from coursegen_desktop.core.review import review_course
from tests.helpers.make_docs import long_text

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
PHOTO, WATER = SAMPLES / "photosynthesis.md", SAMPLES / "water-cycle.txt"


@dataclass
class Built:
    outline: Outline
    lessons: list[Lesson]
    streamed: dict[str, list[str]]
    quizzes: list[Quiz]
    exam: Exam
    cards: list[Flashcard]
    material: Material

    @property
    def questions(self) -> list[Question]:
        return [q for quiz in self.quizzes for q in quiz.questions] + list(self.exam.questions)


def build(paths: list[Path], job_id: str = "job-1", generator: OfflineGenerator | None = None, **fields: object) -> Built:
    """Call the generator the way the pipeline does: outline, lessons, quizzes, exam, cards."""
    material = load_material(paths)
    request = make_request(topic=str(fields.pop("topic", "Study course")), material=tuple(paths), **fields)
    ctx = GenerationContext(job_id=job_id, request=request, material=material, cancel=CancelToken())
    generator = generator or OfflineGenerator()

    async def run() -> Built:
        outline = await generator.outline(ctx)
        ctx.outline = outline
        streamed: dict[str, list[str]] = {}
        for module, plan in outline.lesson_plans():
            streamed[plan.id] = []
            ctx.lessons[plan.id] = await generator.lesson(ctx, module, plan, streamed[plan.id].append)
        lessons = [ctx.lessons[plan.id] for _, plan in outline.lesson_plans()]
        quizzes = [await generator.quiz(ctx, module, [ctx.lessons[p.id] for p in module.lessons]) for module in outline.modules]
        exam = await generator.exam(ctx, lessons)
        deck = await generator.flashcards(ctx, lessons)
        await generator.aclose()
        return Built(outline, lessons, streamed, quizzes, exam, deck.cards, material)

    return asyncio.run(run())


def flat(text: str) -> str:
    return " ".join(text.casefold().split())


def material_text(material: Material) -> str:
    return flat(" ".join(chunk.text for chunk in material.chunks))


@pytest.fixture(scope="module")
def both() -> Built:
    return build([PHOTO, WATER], topic="Photosynthesis and the water cycle")


def test_generator_satisfies_the_protocol() -> None:
    generator = OfflineGenerator()
    assert isinstance(generator, Generator)
    assert (generator.name, generator.model, generator.warm_cache_first) == ("offline", None, False)
    assert generator.usage().requests == 0


@pytest.mark.parametrize(("modules", "lessons", "per_quiz", "exam"), [(3, 3, 5, 10), (2, 4, 8, 12), (4, 2, 3, 6), (1, 1, 2, 3)])
def test_course_has_exactly_the_requested_shape(modules: int, lessons: int, per_quiz: int, exam: int) -> None:
    built = build([PHOTO, WATER], modules=modules, lessons_per_module=lessons, questions_per_quiz=per_quiz, exam_questions=exam)
    assert [m.id for m in built.outline.modules] == [f"m{i}" for i in range(1, modules + 1)]
    assert all([p.id for p in m.lessons] == [f"{m.id}l{j}" for j in range(1, lessons + 1)] for m in built.outline.modules)
    assert len(built.lessons) == modules * lessons
    assert [len(q.questions) for q in built.quizzes] == [per_quiz] * modules
    assert len(built.exam.questions) == exam
    titles = [p.title for _, p in built.outline.lesson_plans()]
    assert len(set(titles)) == len(titles), "lesson titles repeat"


def test_modules_and_lessons_follow_the_material_headings() -> None:
    outline = build([WATER]).outline
    assert [m.title for m in outline.modules] == ["Water rises into the air", "Water returns to the surface", "Stores, times and people"]
    assert [p.title for p in outline.modules[1].lessons] == ["Precipitation", "Runoff and infiltration", "Groundwater"]


def test_every_answer_is_true_according_to_the_material(both: Built) -> None:
    corpus = material_text(both.material)
    for question in both.questions:
        answer, quote = flat(question.answer), flat(question.evidence_quote or "")
        assert quote and quote in corpus, question.stem
        assert answer in quote, f"{question.answer!r} is not in its source sentence {question.evidence_quote!r}"
        assert quote in flat(question.explanation)  # the explanation quotes its source


def test_wrong_options_do_not_make_the_sentence_true(both: Built) -> None:
    corpus = material_text(both.material)
    for question in both.questions:
        match = re.match(r"Fill in the blank: (.*)____(.*)$", question.stem)
        if not match:
            continue
        before, after = match.groups()
        for i, option in enumerate(question.options):
            if i != question.answer_index:
                filled = flat(f"{before.replace('a(n) ', 'a ')}{option}{after}")
                assert filled not in corpus, f"“{option}” also makes a true sentence: {filled}"


def test_options_are_real_alternatives(both: Built) -> None:
    for question in both.questions:
        assert 3 <= len(question.options) <= 4
        norm = [normalise_option(o) for o in question.options]
        assert len(set(norm)) == len(norm)
        key = norm[question.answer_index]
        assert all(key not in other and other not in key for i, other in enumerate(norm) if i != question.answer_index)
        if question.stem.startswith("Fill in the blank"):
            assert question.stem.count("____") == 1
            assert all(f" {o} " not in f" {flat(question.stem)} " for o in norm if len(o) > 3), question.stem


def test_questions_cite_file_and_section(both: Built) -> None:
    for question in both.questions:
        assert re.search(r"(photosynthesis\.md|water-cycle\.txt), §", question.explanation), question.explanation


def test_lessons_have_the_expected_sections_and_stream_in_pieces(both: Built) -> None:
    for lesson in both.lessons:
        for heading in ("## What you will learn", "## Explanation", "## Key points", "## Check yourself"):
            assert heading in lesson.markdown, (lesson.id, heading)
        pieces = both.streamed[lesson.id]
        assert len(pieces) >= 4
        assert "".join(pieces).strip() == lesson.markdown.strip()
        assert 2 <= lesson.markdown.count("<summary>") <= 3
        assert lesson.key_points and all(point in lesson.markdown for point in lesson.key_points)
    corpus = material_text(both.material)
    assert all(flat(point) in corpus for lesson in both.lessons for point in lesson.key_points)


def test_steps_in_the_material_become_a_worked_example() -> None:
    built = build([PHOTO])
    calvin = next(lesson for lesson in built.lessons if lesson.title == "Steps of the Calvin cycle")
    example = calvin.markdown.split("## Worked example", 1)[1].split("##", 1)[0]
    assert "1. Rubisco attaches each carbon dioxide molecule" in example
    assert "4. The remaining G3P molecules use more ATP to rebuild RuBP" in example


def test_glossary_comes_from_definitions_in_the_material(both: Built) -> None:
    glossary = {entry.term.casefold(): entry.definition for lesson in both.lessons for entry in lesson.glossary}
    assert glossary["chlorophyll"] == "The green pigment that absorbs light energy for photosynthesis."
    assert glossary["infiltration"] == "The movement of water from the surface into the soil."
    assert "producers" not in glossary  # "in this way" has no antecedent outside its paragraph


def test_objectives_line_up_with_lessons_and_questions(both: Built) -> None:
    objective_ids = {o.id for o in both.outline.objectives}
    assert objective_ids == {f"o{i}" for i in range(1, len(objective_ids) + 1)}
    for lesson in both.lessons:
        assert lesson.objectives_covered and set(lesson.objectives_covered) <= objective_ids
    assert all(q.objective_id in objective_ids for q in both.questions)
    quiz_ids = {q.objective_id for quiz in both.quizzes for q in quiz.questions}
    exam_ids = {q.objective_id for q in both.exam.questions}
    assert quiz_ids == objective_ids and exam_ids == objective_ids


def test_the_exam_does_not_repeat_quiz_questions(both: Built) -> None:
    quiz_stems = {q.stem for quiz in both.quizzes for q in quiz.questions}
    assert not quiz_stems & {q.stem for q in both.exam.questions}
    stems = [q.stem for q in both.exam.questions]
    assert len(set(stems)) == len(stems)


def test_flashcards_are_short_and_tagged(both: Built) -> None:
    module_ids = {m.id for m in both.outline.modules}
    assert len(both.cards) >= 10
    for card in both.cards:
        assert card.module_id in module_ids and card.source
        assert len(card.back.split()) <= 25 and len(card.front.split()) <= 20
    fronts = [card.front.casefold() for card in both.cards]
    assert len(set(fronts)) == len(fronts)
    assert any(card.front == "What is the Calvin cycle?" for card in both.cards)


@pytest.mark.parametrize("paths", [[PHOTO], [WATER], [PHOTO, WATER]], ids=["markdown", "text", "both"])
def test_review_finds_no_errors(paths: list[Path]) -> None:
    built = build(paths)
    _, _, _, notes = review_course(built.outline, built.lessons, built.quizzes, built.exam, built.cards, built.material)
    assert [n for n in notes if n.severity == "error"] == []


def _course_json(hash_seed: str, files: str = "PHOTO, WATER") -> str:
    script = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from tests.unit.test_offline_generator import build, PHOTO, WATER;"
        f"b = build([{files}]);"
        "print(json.dumps([b.outline.model_dump(mode='json'), [l.model_dump(mode='json') for l in b.lessons],"
        " [q.model_dump(mode='json') for q in b.quizzes], b.exam.model_dump(mode='json'), [c.model_dump(mode='json') for c in b.cards]]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_same_input_gives_the_same_course_in_any_process() -> None:
    first, second = _course_json("1"), _course_json("2")
    assert first == second
    assert json.loads(first)[3]["questions"]


def test_text_without_headings_gives_the_same_course_in_any_process(tmp_path: Path) -> None:
    """Scores summed over sets must not depend on the hash seed (set iteration order)."""
    notes = tmp_path / "notes.txt"
    notes.write_text(long_text(12, headings=False), encoding="utf-8")
    files = f"Path({str(notes)!r})"
    assert _course_json("0", files) == _course_json("4242", files)


def test_the_job_id_seeds_the_option_order_only() -> None:
    a, b = build([WATER], job_id="a"), build([WATER], job_id="b")
    assert [q.stem for q in a.exam.questions] == [q.stem for q in b.exam.questions]
    assert [sorted(q.options) for q in a.exam.questions] == [sorted(q.options) for q in b.exam.questions]
    assert [q.options for q in a.questions] != [q.options for q in b.questions]


def test_resume_with_a_new_generator_writes_the_same_lessons() -> None:
    first = build([PHOTO])
    material = load_material([PHOTO])
    request = make_request(topic="Study course", material=(PHOTO,))
    ctx = GenerationContext(job_id="job-1", request=request, material=material, cancel=CancelToken(), outline=first.outline)
    module, plan = first.outline.lesson_plans()[4]
    lesson = asyncio.run(OfflineGenerator().lesson(ctx, module, plan, lambda text: None))  # no outline() call first
    assert lesson == first.lessons[4]


def test_no_material_asks_for_a_file() -> None:
    request = make_request(topic="Photosynthesis")
    ctx = GenerationContext(job_id="j", request=request, material=Material(), cancel=CancelToken())
    with pytest.raises(MaterialError) as caught:
        asyncio.run(OfflineGenerator().outline(ctx))
    assert caught.value.message == NO_MATERIAL


def test_a_cancelled_job_stops_at_once(tmp_path: Path) -> None:
    request = make_request(topic="Photosynthesis", material=(PHOTO,))
    token = CancelToken()
    token.cancel()
    ctx = GenerationContext(job_id="j", request=request, material=load_material([PHOTO]), cancel=token)
    with pytest.raises(Cancelled):
        asyncio.run(OfflineGenerator().outline(ctx))


def test_a_few_words_are_too_little(tmp_path: Path) -> None:
    path = tmp_path / "stub.txt"
    path.write_text("Plants need light.", encoding="utf-8")
    with pytest.raises(MaterialError) as caught:
        build([path])
    assert "stub.txt" in caught.value.message and "too little text" in caught.value.message


def test_one_paragraph_still_gives_the_full_course(tmp_path: Path) -> None:
    path = tmp_path / "paragraph.txt"
    path.write_text(
        "Photosynthesis is the process by which green plants make glucose from carbon dioxide and water. "
        "Chlorophyll is the green pigment that absorbs light energy in the leaves. "
        "The stomata let carbon dioxide into the leaf and let oxygen out into the air. "
        "Glucose is a sugar that the plant uses for energy and for building cellulose. "
        "Oxygen is released as a by-product of splitting water in the chloroplasts.",
        encoding="utf-8",
    )
    built = build([path])
    assert len(built.lessons) == 9 and [len(q.questions) for q in built.quizzes] == [5, 5, 5] and len(built.exam.questions) == 10
    corpus = material_text(built.material)
    for question in built.questions:
        assert flat(question.answer) in flat(question.evidence_quote or "") and flat(question.evidence_quote or "") in corpus
    titles = [p.title for _, p in built.outline.lesson_plans()]
    assert len(set(titles)) == len(titles)


def test_text_without_headings_gets_topic_titles(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text(long_text(12, headings=False), encoding="utf-8")
    built = build([path])
    module_titles = [m.title for m in built.outline.modules]
    assert all(module_titles) and len(set(module_titles)) == 3
    assert len({p.title for _, p in built.outline.lesson_plans()}) == 9


def test_dates_as_answers_have_their_options_in_ascending_order(tmp_path: Path) -> None:
    path = tmp_path / "history.txt"
    path.write_text(
        "Steam engines pumped water out of deep mines by 1712. Cotton mills used water wheels widely by 1771. "
        "Railways carried paying passengers from 1825. Electric light reached ordinary homes around 1882. "
        "Radio broadcasts began reaching households around 1920.",
        encoding="utf-8",
    )
    built = build([path], modules=1, lessons_per_module=1, questions_per_quiz=3, exam_questions=3)
    numeric = [q for q in built.questions if all(o.isdigit() for o in q.options)]
    assert len(numeric) >= 3
    for question in numeric:
        assert question.options == sorted(question.options, key=int)
        assert question.answer in question.evidence_quote


def test_a_hundred_pages_build(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(long_text(100), encoding="utf-8")
    built = build([path], modules=4, lessons_per_module=3)
    assert built.material.char_count > 250_000
    assert len(built.lessons) == 12 and [len(q.questions) for q in built.quizzes] == [5] * 4 and len(built.exam.questions) == 10


def test_repetitive_notes_still_give_valid_distinct_options(tmp_path: Path) -> None:
    """The same paragraph pasted many times must not produce an item whose options repeat."""
    notes = tmp_path / "pasted.txt"
    notes.write_text("\n\n".join(["A cell is the basic unit of life. The nucleus is the organelle that holds the DNA of the cell."] * 8))
    built = build([notes])
    assert built.questions
    for question in built.questions:
        assert len({normalise_option(option) for option in question.options}) == len(question.options)


def test_offline_generator_does_not_import_the_review_step() -> None:
    """The generator shares only the option helpers with the review (`core/options.py`); the
    review step itself runs later, in the pipeline, for every generator alike."""
    probe = "import sys, coursegen_desktop.core.generators.offline; print('coursegen_desktop.core.review' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    assert result.stdout.strip() == "False"
