"""Tolerate, then repair, then fail: what the judges fix, what they send back, what they refuse."""

from __future__ import annotations

import copy
from typing import Any

from coursegen_desktop.core.generators.tolerance import judge_exam, judge_flashcards, judge_outline, judge_quiz
from coursegen_desktop.core.models import Outline, make_request

REQUEST = make_request(topic="Photosynthesis", modules=2, lessons_per_module=2, questions_per_quiz=5, exam_questions=4)


def outline_answer(modules: int = 2, lessons: int = 2) -> dict[str, Any]:
    objectives = [
        {"id": "obj-1", "text": "Explain how chlorophyll absorbs light", "bloom_level": "understand"},
        {"id": "obj-2", "text": "Calculate the glucose made from carbon dioxide", "bloom_level": "apply"},
    ]
    plan = [
        {
            "id": f"m{i}",
            "title": f"Module {i}",
            "lessons": [{"id": f"m{i}-l{j}", "title": f"Lesson {i}.{j}", "objective_ids": [f"obj-{min(i, 2)}"]} for j in range(1, lessons + 1)],
        }
        for i in range(1, modules + 1)
    ]
    return {"outline": {"title": "Photosynthesis", "objectives": objectives, "modules": plan}, "coverage_gaps": []}


def question(n: int, answer: int = 0, objective: str | None = "obj-1") -> dict[str, Any]:
    return {
        "stem": f"Which statement about leaf process number {n} is correct?",
        "options": [f"First option {n}", f"Second option {n}", f"Third option {n}", f"Fourth option {n}"],
        "answer_index": answer,
        "explanation": "Because the first option names the process that the lesson describes in its own words.",
        "objective_id": objective,
    }


def outline() -> Outline:
    verdict = judge_outline(outline_answer(), REQUEST, final=False)
    assert verdict.value is not None
    return verdict.value.outline


def test_an_exact_outline_passes_without_notes() -> None:
    verdict = judge_outline(outline_answer(), REQUEST, final=False)
    assert verdict.value is not None and not verdict.problems and not verdict.notes


def test_one_module_or_lesson_too_many_or_few_is_kept_with_a_note() -> None:
    verdict = judge_outline(outline_answer(modules=3), REQUEST, final=False)
    assert verdict.value is not None and len(verdict.value.outline.modules) == 3
    assert verdict.notes == ["Outline: the model planned 3 modules where 2 were asked; kept its plan."]

    verdict = judge_outline(outline_answer(lessons=1), REQUEST, final=False)
    assert verdict.value is not None and [len(m.lessons) for m in verdict.value.outline.modules] == [1, 1]
    assert len(verdict.notes) == 2 and "module m1 has 1 lesson where 2 were asked" in verdict.notes[0]


def test_a_plan_far_from_the_request_is_repaired_then_trimmed() -> None:
    first = judge_outline(outline_answer(modules=5), REQUEST, final=False)
    assert first.value is None and first.problems == ["modules: plan exactly 2 modules, not 5."]

    last = judge_outline(outline_answer(modules=5), REQUEST, final=True)
    assert last.value is not None and [m.id for m in last.value.outline.modules] == ["m1", "m2"]
    assert "kept the first 2" in last.notes[0]


def test_invented_objective_ids_are_dropped_and_orphans_attached_by_wording() -> None:
    answer = outline_answer()
    lessons = answer["outline"]["modules"][1]["lessons"]
    lessons[0]["objective_ids"] = ["obj-7"]  # obj-2 is now taught by no lesson
    lessons[0]["title"] = "Glucose from carbon dioxide"
    lessons[1]["objective_ids"] = ["obj-8"]

    verdict = judge_outline(answer, REQUEST, final=False)

    assert verdict.value is not None and not verdict.problems
    plans = {plan.id: plan.objective_ids for _, plan in verdict.value.outline.lesson_plans()}
    assert plans["m2-l1"] == ["obj-2"] and plans["m2-l2"] == []
    assert "dropped objective ids that no objective has (obj-7, obj-8)" in verdict.notes[0]
    assert "attached it to lesson m2-l1" in verdict.notes[1]


def test_an_orphan_objective_that_matches_no_lesson_is_dropped_with_a_note() -> None:
    answer = outline_answer()
    answer["outline"]["objectives"].append({"id": "obj-3", "text": "Evaluate zebra migration patterns", "bloom_level": "evaluate"})

    verdict = judge_outline(answer, REQUEST, final=False)

    assert verdict.value is not None and [o.id for o in verdict.value.outline.objectives] == ["obj-1", "obj-2"]
    assert "obj-3" in verdict.notes[0] and "dropped it" in verdict.notes[0]


def test_duplicate_ids_are_renumbered() -> None:
    answer = outline_answer()
    for lesson in answer["outline"]["modules"][1]["lessons"]:
        lesson["id"] = lesson["id"].replace("m2", "m1")  # m1-l1, m1-l2 twice
    answer["outline"]["modules"][1]["id"] = "m1"

    verdict = judge_outline(answer, REQUEST, final=False)

    assert verdict.value is not None
    ids = [plan.id for _, plan in verdict.value.outline.lesson_plans()]
    assert [m.id for m in verdict.value.outline.modules] == ["m1", "m2"] and ids == ["m1-l1", "m1-l2", "m2-l1", "m2-l2"]
    assert any("2 lessons whose id was missing or repeated" in note for note in verdict.notes)


def test_nonsense_is_a_problem_even_on_the_last_try() -> None:
    for raw in ({"unexpected": True}, "text", {"outline": {"title": "x", "modules": "none"}}):
        verdict = judge_outline(raw, REQUEST, final=True)
        assert verdict.value is None and verdict.problems


def test_a_quiz_one_question_short_is_kept_and_ids_are_ours() -> None:
    plan = outline()
    raw = {"quiz": {"title": "Quiz", "module_id": "zzz", "questions": [question(n) for n in range(4)]}}

    verdict = judge_quiz(raw, REQUEST, plan, plan.modules[0], final=False)

    assert verdict.value is not None and not verdict.problems
    assert [q.id for q in verdict.value.questions] == ["m1-q1", "m1-q2", "m1-q3", "m1-q4"] and verdict.value.module_id == "m1"
    assert verdict.notes == ["Quiz for m1: the model wrote 4 usable questions where 5 were asked; kept them."]


def test_out_of_range_answers_are_repaired_then_left_out() -> None:
    plan = outline()
    questions = [question(n) for n in range(5)]
    questions[2]["answer_index"] = 4
    raw = {"quiz": {"title": "Quiz", "questions": questions}}

    first = judge_quiz(copy.deepcopy(raw), REQUEST, plan, plan.modules[0], final=False)
    assert first.value is None and first.problems[0].startswith("quiz.questions.2: ") and "answer_index 4" in first.problems[0]

    last = judge_quiz(raw, REQUEST, plan, plan.modules[0], final=True)
    assert last.value is not None and len(last.value.questions) == 4
    assert any("left out 1 question" in note for note in last.notes)


def test_unknown_question_objectives_are_cleared_and_extra_questions_trimmed() -> None:
    plan = outline()
    raw = {"exam": {"title": "Exam", "questions": [question(n, objective="obj-42") for n in range(6)]}}

    verdict = judge_exam(raw, REQUEST, plan, final=False)

    assert verdict.value is not None and len(verdict.value.questions) == 4
    assert all(q.objective_id is None for q in verdict.value.questions)
    assert "obj-42" in verdict.notes[0] and "kept the first 4" in verdict.notes[1]


def test_far_too_few_questions_go_back_for_repair() -> None:
    plan = outline()
    raw = {"quiz": {"title": "Quiz", "questions": [question(1)]}}
    first = judge_quiz(raw, REQUEST, plan, plan.modules[0], final=False)
    assert first.problems == ["quiz.questions: write exactly 5 usable questions, not 1."]
    assert judge_quiz(raw, REQUEST, plan, plan.modules[0], final=True).value is not None
    assert judge_quiz({"quiz": {"questions": []}}, REQUEST, plan, plan.modules[0], final=True).problems


def test_flashcards_without_a_back_are_left_out() -> None:
    plan = outline()
    raw = {"cards": [{"front": "Chlorophyll?", "back": "A green pigment", "module_id": "m9"}, {"front": "Stomata?", "back": ""}]}

    verdict = judge_flashcards(raw, plan, final=False)

    assert verdict.value is not None and len(verdict.value.cards) == 1 and verdict.value.cards[0].module_id is None
    assert verdict.notes == ["Flashcards: left out 1 card without a front or a back."]
    assert judge_flashcards({"cards": [{"front": "x"}]}, plan, final=True).problems
