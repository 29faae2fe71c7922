"""The review step: cheap, deterministic checks of a finished course (docs/course-quality.md 1-20, 24-26).

Generator-agnostic: Claude's output and the offline generator's go through the same checks.
Only mechanical repairs are made here (trimming options, sorting numbers, rebalancing key
positions, dropping duplicates, re-tagging orphan items); anything that needs judgement becomes
a `ReviewNote` for the user and is never repaired silently.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from coursegen_desktop.core.material import Material, content_words, light_stem, split_sentences, words
from coursegen_desktop.core.models import Exam, Flashcard, Lesson, Outline, Question, Quiz, ReviewNote
from coursegen_desktop.core.options import balanced_positions, is_numeric_option, normalise_option, numeric_value

MAX_OPTIONS = 5
MIN_OPTIONS = 3
LETTERS = "ABCDEF"

_NOTA = re.compile(r"\b(?:all|none|both|neither)\s+of\s+(?:the\s+)?(?:above|these|them|those|the\s+options)\b|(?-i:\b(?:[Bb]oth\s+)?[A-E]\s+and\s+[A-E]\b)", re.I)
_NEGATIVE = re.compile(r"\b(not|except|least|never|false)\b", re.I)
_NEGATIVE_OPTION = re.compile(r"\b(not|no|never|none|cannot|nor)\b|n't\b", re.I)
_ABSOLUTE = ("always", "never", "all", "only", "completely", "absolutely")
_VAGUE = ("often", "usually", "sometimes", "rarely")
_BLANK = re.compile(r"_{3,}")
_LETTER_REF = re.compile(r"\b(?:answer|option|choice)\s+(?:is\s+)?\(?([A-F])\)?(?![\w'])|\(([A-F])\)\s+is\s+(?:the\s+)?correct|\b([A-F])\s+is\s+(?:the\s+)?correct")
_LEARNER_PREFIX = re.compile(r"^(?:the\s+learners?|learners|students?|you)\s+(?:will|should|can)\s+be\s+able\s+to\s+", re.I)

BLOOM_VERBS: dict[str, str] = {
    **dict.fromkeys("define list name recall recognise recognize identify state label match memorise memorize repeat reproduce".split(), "remember"),
    **dict.fromkeys("explain classify describe summarise summarize interpret paraphrase discuss illustrate exemplify infer outline predict report restate translate".split(), "understand"),
    **dict.fromkeys("apply calculate use solve demonstrate compute implement execute determine estimate operate practise practice sketch measure".split(), "apply"),
    **dict.fromkeys("analyse analyze compare contrast differentiate distinguish examine organise organize attribute categorise categorize deconstruct investigate relate".split(), "analyze"),
    **dict.fromkeys("evaluate justify critique assess judge argue defend appraise recommend prioritise prioritize select verify check".split(), "evaluate"),
    **dict.fromkeys("design formulate create construct compose develop devise generate plan produce propose invent write build".split(), "create"),
}
_VAGUE_VERBS = ("understand", "know", "learn", "appreciate", "be aware", "be familiar", "become familiar", "gain", "grasp", "realise", "realize")


def _stems(text: str) -> set[str]:
    return {light_stem(w) for w in content_words(text) if not w[0].isdigit()}


def _ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() <= 0.8 or matcher.quick_ratio() <= 0.8:
        return 0.0
    return matcher.ratio()


def _contains(haystack: str, needle: str) -> bool:
    """Word-boundary containment on normalised text."""
    return bool(needle) and f" {needle} " in f" {haystack} "


# ---------------------------------------------------------------------------------------------
# Item checks (1-15)


class _Notes:
    def __init__(self) -> None:
        self.items: list[ReviewNote] = []

    def add(self, severity: str, where: str, message: str) -> None:
        self.items.append(ReviewNote(severity=severity, where=where, message=message))


def question_problems(question: Question) -> list[tuple[str, str]]:
    """(severity, message) for every item-level flaw that no mechanical repair can fix."""
    problems: list[tuple[str, str]] = []
    options = question.options
    if not 0 <= question.answer_index < len(options):
        return [("error", "The answer key points outside the options; set exactly one correct option.")]
    key = options[question.answer_index]
    distractors = [o for i, o in enumerate(options) if i != question.answer_index]
    if len(options) < MIN_OPTIONS:
        problems.append(("error", f"It has only {len(options)} options; give it at least {MIN_OPTIONS}."))
    problems += _distinct_problems(options)
    problems += _cue_problems(question.stem, key, distractors)
    problems += _stem_problems(question.stem, options)
    problems += _wording_problems(options)
    return problems


def _distinct_problems(options: list[str]) -> list[tuple[str, str]]:
    norm = [normalise_option(o) for o in options]
    problems = []
    for i in range(len(options)):
        for j in range(i + 1, len(options)):
            a, b = norm[i], norm[j]
            pair = f"{LETTERS[i]} and {LETTERS[j]}"
            if a == b:
                problems.append(("error", f"Options {pair} are the same answer; replace one of them."))
            elif _contains(a, b) or _contains(b, a):
                problems.append(("warn", f"Option {LETTERS[i] if len(a) > len(b) else LETTERS[j]} contains the other option of {pair}, so both may be right."))
            elif _ratio(a, b) > 0.85 or _jaccard(set(a.split()), set(b.split())) > 0.85:
                problems.append(("warn", f"Options {pair} are nearly the same; make them clearly different."))
    return problems


def _cue_problems(stem: str, key: str, distractors: list[str]) -> list[tuple[str, str]]:
    problems = []
    lengths = sorted(len(d) for d in distractors)
    if lengths and len(key) > max(lengths) and len(key) > 1.5 * _median(lengths):
        problems.append(("warn", "The correct answer is much longer than the other options, which gives it away."))
    shared = _stems(stem) & _stems(key)
    for d in distractors:
        shared -= _stems(d)
    if shared:
        shown = sorted({w for w in content_words(key) if light_stem(w) in shared})
        problems.append(("warn", f"The stem and the correct answer share the word(s) “{', '.join(shown)}” that no wrong option has."))
    article = re.search(r"\b(a|an)\s*(?:_{3,}|$)", stem.rstrip(" ?:"))
    if article:
        wrong = [o for o in [key, *distractors] if _article_for(o) != article.group(1).lower()]
        if wrong:
            problems.append(("warn", f"The stem's “{article.group(1)}” does not fit every option; write “a(n)” or move the article into the options."))
    verb = re.search(r"_{3,}\s+(is|are|was|were)\b", stem)
    if verb and len({_looks_plural(o) for o in [key, *distractors]}) > 1:
        problems.append(("warn", f"The “{verb.group(1)}” after the blank fits only some options; make them all singular or all plural."))
    if _converges(key, distractors):
        problems.append(("warn", "The correct answer shares the most words with the other options, so a test-wise reader can guess it."))
    return problems


def _stem_problems(stem: str, options: list[str]) -> list[tuple[str, str]]:
    problems = []
    blanks = len(_BLANK.findall(stem))
    if not (stem.rstrip().endswith("?") or blanks == 1) or len(stem.split()) < 6 or stem.rstrip().endswith(":"):
        problems.append(("warn", "The stem is not a complete question: end it with “?” or use one blank, with at least six words."))
    negatives = [m for m in _NEGATIVE.finditer(stem) if not _emphasised(stem, m)]
    if negatives:
        problems.append(("warn", f"The negative word “{negatives[0].group(0)}” in the stem should be in capitals or bold, or removed."))
    if _NEGATIVE.search(stem) and any(_NEGATIVE_OPTION.search(o) for o in options):
        problems.append(("error", "A negative stem with a negative option makes a double negative; reword one of them."))
    if len(stem.split()) > 60:
        problems.append(("warn", f"The stem is {len(stem.split())} words long; cut it to the words needed to answer."))
    return problems


def _wording_problems(options: list[str]) -> list[tuple[str, str]]:
    problems = []
    found = [w for w in _ABSOLUTE + _VAGUE if any(w in words(o) for o in options)]
    if found:
        problems.append(("warn", f"The options use “{found[0]}”; absolute and vague words cue or confuse readers."))
    long = [LETTERS[i] for i, o in enumerate(options) if len(o.split()) > 20]
    if long:
        problems.append(("warn", f"Option {long[0]} is over 20 words; keep options short."))
    return problems


def _emphasised(stem: str, match: re.Match[str]) -> bool:
    word = match.group(0)
    before, after = stem[: match.start()], stem[match.end() :]
    return word.isupper() or (before.endswith(("**", "__")) and after.startswith(("**", "__")))


def _article_for(option: str) -> str:
    first = option.strip().lower()[:1]
    return "an" if first and first in "aeiou" else "a"


def _looks_plural(option: str) -> bool:
    last = option.strip().rstrip(".").split()[-1].lower() if option.strip() else ""
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _converges(key: str, distractors: list[str]) -> bool:
    """The key is the unique 'centroid' option by a clear margin (NBME convergence cue)."""
    options = [key, *distractors]
    sets = [set(content_words(o)) for o in options]
    if len(options) < 3 or all(len(s) <= 1 for s in sets):
        return False
    means = [sum(_jaccard(sets[i], sets[j]) for j in range(len(sets)) if j != i) / (len(sets) - 1) for i in range(len(sets))]
    others = sorted(means[1:], reverse=True)
    return means[0] > 0 and means[0] - others[0] >= 0.15


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _median(values: Sequence[int]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---------------------------------------------------------------------------------------------
# Item repairs


def _repair_question(question: Question, where: str, notes: _Notes) -> Question:
    """Mechanical repairs (checks 2, 5, 12, 13), then notes for whatever is left."""
    question = _trim_options(question, where, notes)
    question = _sort_numbers(question, where, notes)
    question = _repair_explanation(question, where, notes)
    for severity, message in question_problems(question):
        notes.add(severity, where, message)
    return question


def _trim_options(question: Question, where: str, notes: _Notes) -> Question:
    """Drop "all/none of the above" distractors and trim to five options (Rodriguez 2005)."""
    options, answer = list(question.options), question.answer_index
    if _NOTA.search(options[answer]):
        notes.add("error", where, "The correct answer is “all/none of the above”; rewrite it as a single best answer.")
    for i in reversed(range(len(options))):
        if i != answer and _NOTA.search(options[i]) and len(options) > MIN_OPTIONS:
            notes.add("info", where, f"Removed the option “{options[i]}” (“all/none of the above” options are not used).")
            del options[i]
            answer -= 1 if i < answer else 0
    while len(options) > MAX_OPTIONS:
        drop = max(i for i in range(len(options)) if i != answer)
        notes.add("info", where, f"Removed the option “{options[drop]}” to keep five options.")
        del options[drop]
    if any(_NOTA.search(o) for i, o in enumerate(options) if i != answer):
        notes.add("error", where, "An option says “all/none of the above” or “A and B”; replace it with a real answer.")
    if options == question.options:
        return question
    return question.model_copy(update={"options": options, "answer_index": answer})


def _sort_numbers(question: Question, where: str, notes: _Notes) -> Question:
    """Numeric options go in ascending order (HDR #21)."""
    options = question.options
    if not all(is_numeric_option(o) for o in options):
        return question
    ordered = sorted(options, key=numeric_value)
    if ordered == options:
        return question
    if _letter_refs(question.explanation):
        notes.add("warn", where, "The numeric options are not in order, but the explanation names a letter, so they were left as they are.")
        return question
    notes.add("info", where, "Sorted the numeric options in ascending order.")
    return question.model_copy(update={"options": ordered, "answer_index": ordered.index(question.answer)})


def _repair_explanation(question: Question, where: str, notes: _Notes) -> Question:
    """Check 13: present, at least 15 words, names the key and no other option as correct."""
    explanation = question.explanation.strip()
    key = question.answer
    letter = LETTERS[question.answer_index]
    problem = None
    if not explanation:
        problem = "has no explanation"
    elif len(explanation.split()) < 15:
        problem = "has a very short explanation"
    elif any(ref != letter for ref in _letter_refs(explanation)) or _names_distractor(explanation, question):
        problem = "has an explanation that calls a wrong option correct"
    elif not (_contains(normalise_option(explanation), normalise_option(key)) or letter in _letter_refs(explanation)):
        problem = "has an explanation that does not mention the correct answer"
    if problem is None:
        return question
    if question.evidence_quote:
        notes.add("info", where, f"The question {problem}; it was rewritten from the answer and its source quote.")
        rewritten = f"The correct answer is “{key}”, as the material states: “{question.evidence_quote.strip()}”"
        return question.model_copy(update={"explanation": rewritten})
    notes.add("error" if "wrong option" in problem or not explanation else "warn", where, f"The question {problem}; explain why “{key}” is right.")
    return question


def _letter_refs(text: str) -> list[str]:
    return [next(g for g in match.groups() if g) for match in _LETTER_REF.finditer(text)]


def _names_distractor(explanation: str, question: Question) -> bool:
    text = normalise_option(explanation)
    for i, option in enumerate(question.options):
        norm = normalise_option(option)
        if i != question.answer_index and len(norm) >= 3 and re.search(rf"(?:^| ){re.escape(norm)} is (?:the )?(?:correct|right)\b", text):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Set checks (14, 16)


def _review_set(questions: list[Question], label: str, notes: _Notes) -> list[Question]:
    """Repair each item, drop near-duplicate stems, flag dependent items, balance the keys."""
    repaired = [_repair_question(q, f"{label} Q{n}", notes) for n, q in enumerate(questions, start=1)]
    kept: list[tuple[int, Question]] = []
    for n, question in enumerate(repaired, start=1):
        twin = next((m for m, other in kept if _ratio(question.stem.casefold(), other.stem.casefold()) > 0.8), None)
        if twin is not None and len(repaired) > 1:
            notes.add("info", f"{label} Q{n}", f"Removed this question because its stem nearly repeats Q{twin}.")
            continue
        kept.append((n, question))
    for n, question in kept:
        key = normalise_option(question.answer)
        for m, other in kept:
            if m != n and len(key) >= 4 and _contains(normalise_option(other.stem), key):
                notes.add("warn", f"{label} Q{m}", f"Its stem contains “{question.answer}”, the answer to Q{n}, which gives that answer away.")
    return _balance_keys([q for _, q in kept], label, notes)


def _balance_keys(questions: list[Question], label: str, notes: _Notes) -> list[Question]:
    """Check 16: no letter over ~1.5× its share, no run of the same letter longer than 3."""
    movable = [i for i, q in enumerate(questions) if not all(is_numeric_option(o) for o in q.options) and not _letter_refs(q.explanation)]
    if len(movable) < 2 or _keys_balanced([questions[i] for i in movable]):
        return questions
    seed = f"{label}/{len(questions)}/{questions[0].stem}"
    targets = balanced_positions(len(movable), seed)
    result = list(questions)
    for i, target in zip(movable, targets):
        q = questions[i]
        distractors = [o for k, o in enumerate(q.options) if k != q.answer_index]
        position = target % len(q.options)
        options = [*distractors[:position], q.answer, *distractors[position:]]
        result[i] = q.model_copy(update={"options": options, "answer_index": position})
    notes.add("info", label, "Reordered options so the correct answers are spread evenly over the letters.")
    return result


def _keys_balanced(questions: list[Question]) -> bool:
    keys = [q.answer_index for q in questions]
    expected = Counter()
    for q in questions:
        for letter in range(len(q.options)):
            expected[letter] += 1 / len(q.options)
    if any(count > math.ceil(1.5 * expected[letter]) for letter, count in Counter(keys).items()):
        return False
    run = 1
    for a, b in zip(keys, keys[1:]):
        run = run + 1 if a == b else 1
        if run > 3:
            return False
    return True


def _cross_duplicates(quizzes: list[Quiz], exam: Exam, notes: _Notes) -> None:
    """Check 14 between sets: exam stems that nearly repeat a quiz stem."""
    quiz_stems = [(f"Quiz {quiz.module_id} Q{n}", q.stem.casefold()) for quiz in quizzes for n, q in enumerate(quiz.questions, start=1)]
    for n, question in enumerate(exam.questions, start=1):
        stem = question.stem.casefold()
        twin = next((where for where, other in quiz_stems if _ratio(stem, other) > 0.8), None)
        if twin:
            notes.add("warn", f"Exam Q{n}", f"It nearly repeats {twin}; the exam should test the same objective with a new question.")


# ---------------------------------------------------------------------------------------------
# Alignment (17-20)


def _objective_modules(outline: Outline) -> dict[str, str]:
    """Objective id → the first module whose lessons list it."""
    result: dict[str, str] = {}
    for module in outline.modules:
        for lesson in module.lessons:
            for objective_id in lesson.objective_ids:
                result.setdefault(objective_id, module.id)
    return result


def _check_objectives(outline: Outline, lessons: list[Lesson], notes: _Notes) -> None:
    """Checks 18 and 19: one measurable verb per objective; every objective is taught."""
    taught = {o for lesson in lessons for o in lesson.objectives_covered} | {o for _, plan in outline.lesson_plans() for o in plan.objective_ids}
    known = {o.id for o in outline.objectives}
    for objective in outline.objectives:
        where = f"Objective {objective.id}"
        message = _verb_problem(objective.text)
        if message:
            notes.add("warn", where, message)
        if objective.id not in taught:
            notes.add("error", where, f"No lesson teaches “{objective.text}”; add it to the best-matching lesson.")
    for lesson in lessons:
        unknown = [o for o in lesson.objectives_covered if o not in known]
        if unknown:
            notes.add("warn", f"Lesson {lesson.id}", f"It lists objective {unknown[0]}, which is not in the outline.")


def _verb_problem(text: str) -> str | None:
    body = _LEARNER_PREFIX.sub("", text.strip()).lower()
    first = body.split(" ", 1)[0].strip(",.:;") if body else ""
    vague = next((v for v in _VAGUE_VERBS if body.startswith(v)), None)
    if vague:
        return f"“{vague}” cannot be observed; start the objective with a measurable verb such as define, explain or calculate."
    if first not in BLOOM_VERBS:
        return "The objective does not start with a measurable verb such as define, explain, calculate or compare."
    second = re.search(r"\b(?:and|or)\s+(\w+)", body)
    if second and second.group(1) in BLOOM_VERBS and second.group(1) != first:
        return f"It joins two verbs (“{first}” and “{second.group(1)}”); split it into two objectives."
    return None


def _retag(questions: list[Question], label: str, outline: Outline, lessons: list[Lesson], allowed: list[str], notes: _Notes) -> list[Question]:
    """Check 20: every item carries one objective that exists; re-tag orphans to the best match."""
    known = {o.id for o in outline.objectives}
    if not known:
        return questions
    profiles = _objective_profiles(outline, lessons)
    result = []
    for n, question in enumerate(questions, start=1):
        if question.objective_id in known:
            result.append(question)
            continue
        text = f"{question.stem} {question.answer} {question.evidence_quote or ''}"
        best = _best_objective(_stems(text), profiles, allowed or sorted(known))
        notes.add("info", f"{label} Q{n}", f"Tagged it with objective {best}, the closest match (it had {'none' if not question.objective_id else 'an unknown one'}).")
        result.append(question.model_copy(update={"objective_id": best}))
    return result


def _objective_profiles(outline: Outline, lessons: list[Lesson]) -> dict[str, set[str]]:
    by_id = {lesson.id: lesson for lesson in lessons}
    profiles = {o.id: _stems(o.text) for o in outline.objectives}
    for _, plan in outline.lesson_plans():
        lesson = by_id.get(plan.id)
        text = f"{plan.title} {plan.summary} " + (" ".join(lesson.key_points) if lesson else "")
        for objective_id in plan.objective_ids:
            if objective_id in profiles:
                profiles[objective_id] |= _stems(text)
    return profiles


def _best_objective(stems: set[str], profiles: dict[str, set[str]], allowed: Iterable[str]) -> str:
    candidates = [o for o in allowed if o in profiles] or sorted(profiles)
    return max(candidates, key=lambda o: (len(stems & profiles[o]), -candidates.index(o)))


def _check_coverage(outline: Outline, quizzes: list[Quiz], exam: Exam, notes: _Notes) -> None:
    """Checks 17 and 20: every objective assessed; exam items spread like the objectives."""
    quiz_hits = Counter(q.objective_id for quiz in quizzes for q in quiz.questions)
    exam_hits = Counter(q.objective_id for q in exam.questions)
    for objective in outline.objectives:
        where = f"Objective {objective.id}"
        in_quiz, in_exam = quiz_hits[objective.id], exam_hits[objective.id]
        if not in_quiz and not in_exam:
            notes.add("error", where, "No quiz or exam question assesses this objective; add at least one.")
        elif not in_quiz:
            notes.add("warn", where, "No quiz question assesses this objective; only the exam does.")
        elif not in_exam:
            notes.add("warn", where, "The exam has no question on this objective.")
    module_of = _objective_modules(outline)
    per_module = Counter(module_of[o.id] for o in outline.objectives if o.id in module_of)
    total = sum(per_module.values())
    if not total:
        return
    actual = Counter(module_of.get(q.objective_id or "", "") for q in exam.questions)
    for module in outline.modules:
        expected = len(exam.questions) * per_module[module.id] / total
        if actual[module.id] == 0 and len(exam.questions) >= len(outline.modules):
            notes.add("warn", "Exam", f"Module {module.id} (“{module.title}”) has no exam question.")
        elif abs(actual[module.id] - expected) > 1.5:
            notes.add("warn", "Exam", f"Module {module.id} has {actual[module.id]} exam questions where about {expected:.0f} would match its share of objectives.")


# ---------------------------------------------------------------------------------------------
# Grounding (24)


def _normalise_for_quote(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("–", "-").replace("—", "-")
    return " ".join(text.casefold().split())


def _check_grounding(sets: list[tuple[str, list[Question]]], material: Material, notes: _Notes) -> None:
    """Every evidence quote is in the material, and the answer is in its quote."""
    if material is None or material.is_empty:
        return
    corpus = _normalise_for_quote(" ".join(chunk.text for chunk in material.chunks))
    for label, questions in sets:
        for n, question in enumerate(questions, start=1):
            quote = (question.evidence_quote or "").strip()
            if not quote:
                continue
            where = f"{label} Q{n}"
            norm = _normalise_for_quote(quote.strip("\"'“”‘’ ."))
            if norm not in corpus:
                notes.add("error", where, "Its evidence quote is not in the material; check the answer against your sources.")
            elif not _contains(normalise_option(quote), normalise_option(question.answer)):
                notes.add("warn", where, "The correct answer does not appear in its evidence quote; check that the quote supports it.")


# ---------------------------------------------------------------------------------------------
# Flashcards (25, 26)


def _review_flashcards(cards: list[Flashcard], notes: _Notes) -> list[Flashcard]:
    kept: list[tuple[int, Flashcard, str]] = []
    for n, card in enumerate(cards, start=1):
        where = f"Flashcard {n}"
        front = normalise_option(card.front)
        duplicate = next((m for m, _, other in kept if other == front), None)
        if duplicate is not None:
            notes.add("info", where, f"Removed this card because flashcard {duplicate} has the same front.")
            continue
        similar = next((m for m, _, other in kept if _ratio(front, other) > 0.9), None)
        if similar is not None:
            notes.add("warn", where, f"Its front is nearly the same as flashcard {similar}; make each card ask one distinct thing.")
        for severity, message in _card_problems(card):
            notes.add(severity, where, message)
        kept.append((n, card, front))
    return [card for _, card, _ in kept]


def _card_problems(card: Flashcard) -> list[tuple[str, str]]:
    problems = []
    front_words, back_words = len(card.front.split()), len(card.back.split())
    if front_words > 20:
        problems.append(("warn", f"The front has {front_words} words; keep it under about 20."))
    if back_words > 30 or (back_words > 12 and len(split_sentences(card.back)) > 1):
        problems.append(("warn", "The back holds more than one fact; keep it to one short sentence."))
    front, back = normalise_option(card.front), normalise_option(card.back)
    if back and (back == front or (len(back) > 3 and _contains(front, back))):
        problems.append(("warn", "The back repeats the front, so the card tests nothing."))
    if card.back.count(",") + card.back.count(";") + (1 if re.search(r"\band\b", card.back) else 0) >= 3:
        problems.append(("warn", "The back lists more than three items; split it into several cards."))
    if not card.source:
        problems.append(("info", "It does not name its lesson or source."))
    return problems


# ---------------------------------------------------------------------------------------------
# Entry point


def review_course(
    outline: Outline,
    lessons: list[Lesson],
    quizzes: list[Quiz],
    exam: Exam,
    flashcards: list[Flashcard],
    material: Material,
) -> tuple[list[Quiz], Exam, list[Flashcard], list[ReviewNote]]:
    """Run the automatic checks; return repaired quizzes, exam and flashcards plus notes."""
    notes = _Notes()
    if not outline.objectives:
        notes.add("warn", "Course", "The outline has no learning objectives, so alignment cannot be checked.")
    module_objectives = _module_objectives(outline)
    reviewed_quizzes = []
    for quiz in quizzes:
        label = f"Quiz {quiz.module_id}"
        questions = _review_set(list(quiz.questions), label, notes)
        questions = _retag(questions, label, outline, lessons, module_objectives.get(quiz.module_id, []), notes)
        reviewed_quizzes.append(quiz.model_copy(update={"questions": questions}))
    exam_questions = _review_set(list(exam.questions), "Exam", notes)
    exam_questions = _retag(exam_questions, "Exam", outline, lessons, [], notes)
    reviewed_exam = exam.model_copy(update={"questions": exam_questions})
    _cross_duplicates(reviewed_quizzes, reviewed_exam, notes)
    _check_objectives(outline, lessons, notes)
    _check_coverage(outline, reviewed_quizzes, reviewed_exam, notes)
    _check_grounding([(f"Quiz {q.module_id}", q.questions) for q in reviewed_quizzes] + [("Exam", reviewed_exam.questions)], material, notes)
    cards = _review_flashcards(list(flashcards), notes)
    return reviewed_quizzes, reviewed_exam, cards, notes.items


def _module_objectives(outline: Outline) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for module in outline.modules:
        result[module.id] = list(dict.fromkeys(o for lesson in module.lessons for o in lesson.objective_ids))
    return result


__all__ = [
    "BLOOM_VERBS",
    "question_problems",
    "review_course",
]
