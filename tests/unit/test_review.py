"""The review step: mechanical repairs are made, everything else becomes a note for the user."""

from __future__ import annotations

from coursegen_desktop.core.material import Chunk, Material
from coursegen_desktop.core.models import Exam, Flashcard, Lesson, LessonPlan, ModulePlan, Objective, Outline, Question, Quiz, ReviewNote
from coursegen_desktop.core.options import balanced_positions
from coursegen_desktop.core.review import question_problems, review_course

MATERIAL = Material(
    (
        Chunk(source="notes.md", heading="Leaves", text="Stomata are small pores in the surface of a leaf. Chlorophyll is the green pigment that absorbs light."),
        Chunk(source="notes.md", heading="Sugar", text="Glucose is a simple sugar. In 1779, Jan Ingenhousz showed that plants need light."),
    )
)
EXPLAIN = "The material says so plainly in its section on leaves, which the learner read earlier in this lesson."


def q(stem: str, options: list[str], answer: int = 0, explanation: str | None = None, objective: str | None = "o1", quote: str | None = None) -> Question:
    return Question(
        stem=stem,
        options=options,
        answer_index=answer,
        explanation=explanation if explanation is not None else f"The answer is {options[answer]}. {EXPLAIN}",
        objective_id=objective,
        evidence_quote=quote,
    )


def outline(objectives: list[Objective] | None = None, modules: int = 2) -> Outline:
    objectives = objectives if objectives is not None else [Objective(id=f"o{i}", text=f"Define term number {i}") for i in range(1, modules + 1)]
    return Outline(
        title="Plants",
        objectives=objectives,
        modules=[
            ModulePlan(id=f"m{i}", title=f"Module {i}", lessons=[LessonPlan(id=f"m{i}l1", title=f"Lesson {i}", objective_ids=[f"o{i}"] if i <= len(objectives) else [])])
            for i in range(1, modules + 1)
        ],
    )


def lessons(plan: Outline) -> list[Lesson]:
    return [Lesson(id=p.id, module_id=m.id, title=p.title, markdown="text", objectives_covered=list(p.objective_ids)) for m, p in plan.lesson_plans()]


def good_item(n: int, objective: str = "o1") -> Question:
    stems = ["Which pigment absorbs light in a leaf?", "Which pores let gases into a leaf?", "Which sugar do plants make in the light?", "Who showed that plants need light to restore air?", "Which organ of a plant holds most of its pores?", "Which part of the cell holds the green pigment?"]
    options = [["Chlorophyll", "Carotene", "Xanthophyll", "Anthocyanin"], ["Stomata", "Lenticels", "Hydathodes", "Trichomes"], ["Glucose", "Sucrose", "Starch", "Cellulose"], ["Jan Ingenhousz", "Joseph Priestley", "Melvin Calvin", "Samuel Ruben"], ["Leaf", "Root", "Stem", "Flower"], ["Chloroplast", "Nucleus", "Vacuole", "Ribosome"]]
    return q(stems[n % len(stems)], options[n % len(options)], answer=n % 4, objective=objective)


def review(quizzes: list[Quiz], exam: Exam | None = None, cards: list[Flashcard] | None = None, plan: Outline | None = None) -> tuple[list[Quiz], Exam, list[Flashcard], list[ReviewNote]]:
    plan = plan or outline()
    exam = exam or Exam(title="Exam", questions=[good_item(0, "o1"), good_item(1, "o2")])
    return review_course(plan, lessons(plan), quizzes, exam, cards or [], MATERIAL)


def notes_for(notes: list[ReviewNote], where: str) -> list[ReviewNote]:
    return [n for n in notes if n.where == where]


# -- items ---------------------------------------------------------------------------------------


def test_a_clean_course_has_no_warnings() -> None:
    quizzes = [Quiz(module_id="m1", title="Q1", questions=[good_item(0), good_item(1)]), Quiz(module_id="m2", title="Q2", questions=[good_item(2, "o2"), good_item(3, "o2")])]
    exam = Exam(title="Exam", questions=[good_item(4, "o1"), good_item(5, "o2")])
    _, _, _, notes = review(quizzes, exam)
    assert [n for n in notes if n.severity != "info"] == []


def test_more_than_five_options_are_trimmed_keeping_the_key() -> None:
    item = q("Which pigment absorbs most of the light in a leaf?", ["Carotene", "Xanthophyll", "Anthocyanin", "Phycocyanin", "Chlorophyll", "Melanin"], answer=4)
    quizzes, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[item])])
    fixed = quizzes[0].questions[0]
    assert len(fixed.options) == 5 and fixed.answer == "Chlorophyll"
    assert any("five options" in n.message for n in notes_for(notes, "Quiz m1 Q1"))


def test_all_of_the_above_is_removed_or_flagged() -> None:
    removable = q("Which of these pigments can absorb light energy?", ["Chlorophyll", "Water", "Salt", "Sand", "All of the above"], answer=0)
    as_key = q("Which of these are found in a leaf of a plant?", ["Stomata", "Chlorophyll", "Veins", "All of the above"], answer=3)
    quizzes, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[removable, as_key])])
    assert "All of the above" not in quizzes[0].questions[0].options
    assert any(n.severity == "error" and "all/none of the above" in n.message for n in notes_for(notes, "Quiz m1 Q2"))


def test_numeric_options_are_sorted_and_the_key_follows() -> None:
    item = q("In which year did Ingenhousz show that plants need light?", ["1941", "1779", "1,200", "1771"], answer=1)
    fixed = review([Quiz(module_id="m1", title="Q", questions=[item])])[0][0].questions[0]
    assert fixed.options == ["1,200", "1771", "1779", "1941"]
    assert fixed.answer == "1779"


def test_lopsided_answer_keys_are_rebalanced() -> None:
    items = [good_item(n) for n in range(6)]
    items = [item.model_copy(update={"options": [item.answer, *[o for o in item.options if o != item.answer]], "answer_index": 0}) for item in items]
    quizzes, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=items)])
    fixed = quizzes[0].questions
    keys = [question.answer_index for question in fixed]
    assert max(keys.count(k) for k in set(keys)) <= 2 and len(set(keys)) >= 3
    assert [question.answer for question in fixed] == [item.answer for item in items]
    assert any("spread evenly" in n.message for n in notes)


def test_balanced_positions_have_no_long_runs() -> None:
    positions = balanced_positions(40, "seed")
    assert all(positions.count(k) == 10 for k in range(4))
    assert all(not (positions[i] == positions[i + 1] == positions[i + 2]) for i in range(38))
    assert balanced_positions(40, "seed") == positions


def test_missing_explanation_is_rewritten_from_the_quote() -> None:
    item = q("Which pores let carbon dioxide into a leaf?", ["Stomata", "Lenticels", "Hydathodes", "Trichomes"], explanation="", quote="Stomata are small pores in the surface of a leaf.")
    fixed = review([Quiz(module_id="m1", title="Q", questions=[item])])[0][0].questions[0]
    assert "Stomata" in fixed.explanation and "small pores in the surface of a leaf" in fixed.explanation


def test_explanation_naming_another_letter_is_an_error() -> None:
    item = q("Which pigment absorbs light in a leaf?", ["Chlorophyll", "Carotene", "Xanthophyll", "Anthocyanin"], explanation="The answer is B because carotene is the main pigment and it absorbs light in every leaf we looked at.")
    _, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[item])])
    assert any(n.severity == "error" and "wrong option" in n.message for n in notes_for(notes, "Quiz m1 Q1"))


def test_item_flaws_are_reported() -> None:
    negative = question_problems(q("Which is not a pigment?", ["Chlorophyll", "Carotene", "Never water"], answer=0))
    messages = " ".join(message for _, message in negative)
    assert "negative word" in messages and "“never”" in messages
    assert ("error", "A negative stem with a negative option makes a double negative; reword one of them.") in negative
    long_key = question_problems(q("Which part of a leaf lets carbon dioxide in?", ["The small pores called stomata on the underside of a leaf", "Root", "Stem", "Bark"]))
    assert any("much longer" in m for _, m in long_key)
    clang = question_problems(q("Which pigment in the leaf absorbs light?", ["Green pigment", "Water", "Salt", "Sand"]))
    assert any("share the word" in m for _, m in clang)
    article = question_problems(q("A leaf pore is called an ____ in most textbooks.", ["Stoma", "Opening", "Lenticel"]))
    assert any("“an”" in m for _, m in article)
    number = question_problems(q("Fill in the blank: ____ are the pores that let gases into a leaf.", ["Stomata", "Lenticels", "Cuticle"]))
    assert any("singular or all plural" in m for _, m in number)
    stem = question_problems(q("Pigment:", ["Chlorophyll", "Carotene", "Xanthophyll"]))
    assert any("not a complete question" in m for _, m in stem)


def test_emphasised_negative_is_fine() -> None:
    messages = [m for _, m in question_problems(q("Which of these is NOT a pigment found in leaves?", ["Water", "Chlorophyll", "Carotene"]))]
    assert not any("negative" in m for m in messages)


def test_near_duplicate_stems_in_one_quiz_are_dropped() -> None:
    a = q("Which pigment absorbs most light in a green leaf?", ["Chlorophyll", "Carotene", "Xanthophyll"])
    b = q("Which pigment absorbs most light in a green leaf ?", ["Chlorophyll", "Melanin", "Carotene"])
    quizzes, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[a, good_item(1), b])])
    assert len(quizzes[0].questions) == 2
    assert any("nearly repeats Q1" in n.message for n in notes_for(notes, "Quiz m1 Q3"))


def test_answer_given_away_by_another_stem_is_flagged() -> None:
    a = q("Which pigment absorbs most light in a green leaf?", ["Chlorophyll", "Carotene", "Xanthophyll"])
    b = q("Where in the cell is chlorophyll stored for photosynthesis?", ["Chloroplast", "Nucleus", "Vacuole"])
    _, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[a, b])])
    assert any("answer to Q1" in n.message for n in notes_for(notes, "Quiz m1 Q2"))


# -- alignment -----------------------------------------------------------------------------------


def test_vague_objectives_and_untaught_objectives() -> None:
    objectives = [Objective(id="o1", text="Understand photosynthesis"), Objective(id="o2", text="Define and explain stomata"), Objective(id="o3", text="Define chlorophyll")]
    plan = outline(objectives)
    _, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[good_item(0)])], plan=plan)
    assert any("cannot be observed" in n.message for n in notes_for(notes, "Objective o1"))
    assert any("joins two verbs" in n.message for n in notes_for(notes, "Objective o2"))
    assert any(n.severity == "error" and "No lesson teaches" in n.message for n in notes_for(notes, "Objective o3"))
    assert any(n.severity == "error" and "No quiz or exam question" in n.message for n in notes_for(notes, "Objective o3"))


def test_orphan_items_are_retagged_to_the_best_objective() -> None:
    objectives = [Objective(id="o1", text="Define stomata and other pores"), Objective(id="o2", text="Define glucose and other sugars")]
    plan = outline(objectives)
    sugar = q("Which sugar do plants make with light energy?", ["Glucose", "Sucrose", "Starch"], objective=None)
    pores = q("Which leaf pores let carbon dioxide in?", ["Stomata", "Lenticels", "Hydathodes"], objective="o99")
    quizzes, exam, _, notes = review([Quiz(module_id="m1", title="Q", questions=[pores]), Quiz(module_id="m2", title="Q", questions=[sugar])], exam=Exam(title="E", questions=[sugar, pores]), plan=plan)
    assert quizzes[0].questions[0].objective_id == "o1" and quizzes[1].questions[0].objective_id == "o2"
    assert [x.objective_id for x in exam.questions] == ["o2", "o1"]
    assert any("Tagged it with objective" in n.message for n in notes)


def test_exam_that_skips_a_module_is_flagged() -> None:
    exam = Exam(title="E", questions=[good_item(0, "o1"), good_item(1, "o1"), good_item(2, "o1")])
    _, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[good_item(3)])], exam=exam)
    assert any("Module m2" in n.message and "no exam question" in n.message for n in notes_for(notes, "Exam"))


# -- grounding -----------------------------------------------------------------------------------


def test_quotes_must_come_from_the_material() -> None:
    grounded = q("Which pores let gases into a leaf?", ["Stomata", "Lenticels", "Hydathodes"], quote="Stomata are small  pores in the surface of a leaf.")
    invented = q("Which pigment absorbs light in a leaf?", ["Chlorophyll", "Carotene", "Xanthophyll"], quote="Chlorophyll is blue and absorbs sound.")
    unsupported = q("Which sugar do plants make in light?", ["Sucrose", "Glucose", "Starch"], quote="Glucose is a simple sugar.")
    _, _, _, notes = review([Quiz(module_id="m1", title="Q", questions=[grounded, invented, unsupported])])
    assert not [n for n in notes_for(notes, "Quiz m1 Q1") if "quote" in n.message]
    assert any(n.severity == "error" and "not in the material" in n.message for n in notes_for(notes, "Quiz m1 Q2"))
    assert any("does not appear in its evidence quote" in n.message for n in notes_for(notes, "Quiz m1 Q3"))


# -- flashcards ----------------------------------------------------------------------------------


def test_flashcards_duplicates_dropped_and_flaws_flagged() -> None:
    cards = [
        Flashcard(front="What are stomata?", back="Small pores in a leaf.", module_id="m1", source="notes.md"),
        Flashcard(front="What are  stomata?", back="Pores.", module_id="m1", source="notes.md"),
        Flashcard(front="What is chlorophyll?", back="What is chlorophyll", module_id="m1", source="notes.md"),
        Flashcard(front="Name the pigments", back="Chlorophyll a, chlorophyll b, carotene, xanthophyll and anthocyanin.", module_id="m1"),
    ]
    _, _, kept, notes = review([Quiz(module_id="m1", title="Q", questions=[good_item(0)])], cards=cards)
    assert [c.back for c in kept] == ["Small pores in a leaf.", "What is chlorophyll", "Chlorophyll a, chlorophyll b, carotene, xanthophyll and anthocyanin."]
    assert any("repeats the front" in n.message for n in notes_for(notes, "Flashcard 3"))
    assert any("more than three items" in n.message for n in notes_for(notes, "Flashcard 4"))
    assert any("source" in n.message for n in notes_for(notes, "Flashcard 4"))


def test_review_does_not_change_its_inputs() -> None:
    items = [good_item(n).model_copy(update={"answer_index": 0, "options": [good_item(n).answer, *[o for o in good_item(n).options if o != good_item(n).answer]]}) for n in range(6)]
    quiz = Quiz(module_id="m1", title="Q", questions=items)
    before = quiz.model_dump()
    review([quiz])
    assert quiz.model_dump() == before
