"""What CourseGen says to Claude: the tool shapes it answers with, the cached system rules, the
per-part tasks, and the checks whose messages go back to it for a repair.

The prompt shape follows docs/course-quality.md: documents first and the task last, evidence quotes
before content, the item-writing rules in the cached system block.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, Field

from coursegen_desktop.core.generators.strict_schema import strict_schema
from coursegen_desktop.core.material import Chunk
from coursegen_desktop.core.models import (
    CourseRequest,
    Exam,
    Flashcard,
    Lesson,
    LessonPlan,
    ModulePlan,
    Outline,
    Quiz,
)

# ---------------------------------------------------------------------------------------------
# Tool answers: what Claude fills in. Quotes come first so it grounds a part before writing it.


class _Grounded(BaseModel):
    evidence_quotes: list[str] = Field(
        default_factory=list, description="Verbatim passages from the documents this answer rests on (empty without documents)."
    )
    coverage_gaps: list[str] = Field(default_factory=list, description="What the task needs that the documents do not cover.")


class OutlineAnswer(_Grounded):
    outline: Outline


class QuizAnswer(_Grounded):
    quiz: Quiz


class ExamAnswer(_Grounded):
    exam: Exam


class FlashcardsAnswer(BaseModel):
    cards: list[Flashcard]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    answer: type[BaseModel]


OUTLINE_TOOL = Tool("write_outline", "Record the course outline.", OutlineAnswer)
QUIZ_TOOL = Tool("write_quiz", "Record one module's quiz.", QuizAnswer)
EXAM_TOOL = Tool("write_exam", "Record the practice exam.", ExamAnswer)
FLASHCARDS_TOOL = Tool("write_flashcards", "Record the flashcard deck.", FlashcardsAnswer)
TOOLS = (OUTLINE_TOOL, QUIZ_TOOL, EXAM_TOOL, FLASHCARDS_TOOL)


@cache
def tool_params() -> tuple[dict[str, Any], ...]:
    """The same four strict tool definitions, byte for byte, on every structured call (cache prefix)."""
    return tuple(
        {"name": tool.name, "description": tool.description, "input_schema": strict_schema(tool.answer.model_json_schema()), "strict": True}
        for tool in TOOLS
    )


# ---------------------------------------------------------------------------------------------
# Prompts (docs/course-quality.md, "What the prompts ask Claude for")

_RULES = """You are CourseGen, an expert instructional designer and teacher. You write one study course, part by part, for a single learner.

<course_brief>
Topic: {topic}
Learner level: {level}
Course language: {language}. Write every title, lesson, question, option, explanation and flashcard in {language}.
</course_brief>

<grounding>
{grounding}
</grounding>

<objective_rules>
- Write each objective as "The learner will be able to <verb> <object> [<condition>]" with exactly one action verb from this list. remember: define, list, name, recall. understand: explain, classify, summarise, describe. apply: calculate, use, solve, demonstrate. analyze: compare, differentiate, examine, organise. evaluate: justify, critique, assess, defend. create: design, formulate, construct, plan.
- Never use understand, know, learn, appreciate, be aware of or be familiar with as the verb. Do not join two verbs with "and": write two objectives instead.
- Set bloom_level to the level of the verb. Give every module at least one objective at apply level or higher when the material supports it.
- Use short stable ids: modules m1, m2, …; lessons m1-l1, m1-l2, …; objectives obj-1, obj-2, ….
</objective_rules>

<lesson_template>
Write each lesson in Markdown with these sections in this order, each under a level-2 heading (##) written in the course language:
1. Objectives: the lesson's objectives, restated for the learner.
2. Explanation: the core teaching, built up step by step in short paragraphs, with lists or tables where they help.
3. Worked example: at least one, showing every step and the reason for each step. Required when an objective is at apply level or higher.
4. Common mistakes: typical errors and misconceptions, each with its correction.
5. Key points: three to six bullet points that summarise the lesson.
6. Check yourself: two or three retrieval questions, each followed by its answer inside <details><summary>Answer</summary>…</details>.
Do not repeat the lesson title as a heading: start with the first section heading.
</lesson_template>

<item_writing_rules>
Every quiz and exam question is a one-best-answer multiple-choice item:
1. Exactly one option is correct, and answer_index is its 0-based position.
2. Give four options (never fewer than three or more than five).
3. Options are clearly distinct: no duplicates, no option contained in another, no paraphrases of each other.
4. Options have similar length and detail; the correct one must not stand out as the longest or most precise.
5. Never use "all of the above", "none of the above", "both A and B" or any combination option.
6. The stem is a complete question of at least six words, ends with "?" and can be answered without seeing the options.
7. Avoid negative stems. If one is unavoidable, write the negative word in capitals (NOT, EXCEPT), and never pair it with a negative option.
8. No absolute words (always, never, all, only, completely) and no vague frequency words (often, usually, sometimes, rarely) in options.
9. Do not repeat a distinctive word of the stem in the correct option alone.
10. Keep grammar consistent between the stem and every option (articles, singular or plural).
11. The correct option must not be the one that shares the most words with all the others.
12. When every option is a number or a year, list them in ascending order.
13. The explanation has at least fifteen words, says why the correct option is right using its text, and calls no other option correct.
14. Items are independent: no item reveals the answer to another, and no two stems are near-duplicates.
15. Keep stems under about sixty words and options under about twenty.
Distractors are plausible: common errors and misconceptions (the lessons' "Common mistakes" are a good source), of the same kind as the correct option. Each item has exactly one objective_id taken from the outline, and, when documents were given, an evidence_quote copied verbatim from them.
<example kind="good">
{{"stem": "Which gas do plants take in from the air to build glucose during photosynthesis?", "options": ["Carbon dioxide", "Oxygen", "Nitrogen", "Water vapour"], "answer_index": 0, "explanation": "Plants take in carbon dioxide, which the Calvin cycle fixes into glucose; oxygen is released by photosynthesis, not taken in.", "objective_id": "obj-2"}}
</example>
<example kind="flawed">
{{"stem": "Photosynthesis:", "options": ["Turns carbon dioxide and water into glucose using light energy in chloroplasts", "Oxygen", "All of the above", "Never happens at night"], "answer_index": 0}}
Flaws: the stem is not a question; the key is by far the longest; "All of the above"; an absolute word; options of different kinds; no explanation or objective_id.
</example>
</item_writing_rules>

<flashcard_rules>
One fact per card. Front at most about twenty words, back at most about twelve words or one sentence, and the back does not repeat the front. No lists of more than three items. No duplicate or ambiguous fronts. Each card has the module_id it belongs to and, as source, the title of its lesson.
</flashcard_rules>"""

_GROUNDED = (
    "The learner's study material is in <documents>. Base the course on it. Before writing a part, find the "
    "verbatim passages that support it. When the material does not cover something the task needs, say so "
    "(in coverage_gaps, or by leaving it out) instead of inventing facts. Where the material and general "
    "knowledge disagree, follow the material and point out the difference."
)
_UNGROUNDED = "No study material was given: teach from well-established knowledge, and leave evidence quotes empty."


def rules(request: CourseRequest, grounded: bool) -> str:
    return _RULES.format(
        topic=request.topic, level=request.level.value, language=request.language, grounding=_GROUNDED if grounded else _UNGROUNDED
    )


def documents(chunks: list[Chunk]) -> str:
    """`<documents>` with one `<document>` per source file, chunks in their original order."""
    by_source: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_source.setdefault(chunk.source, []).append(chunk)
    parts = ["<documents>"]
    for index, (source, items) in enumerate(by_source.items(), 1):
        lines, heading = [], None
        for chunk in items:
            if chunk.heading and chunk.heading != heading:
                lines.append(f"## {chunk.heading}")
                heading = chunk.heading
            lines.append(chunk.text.strip())
        body = "\n\n".join(lines)
        parts.append(f'<document index="{index}">\n<source>{source}</source>\n<document_content>\n{body}\n</document_content>\n</document>')
    parts.append("</documents>")
    return "\n".join(parts)


def outline_text(outline: Outline) -> str:
    lines = ["<outline>", f"Course: {outline.title}"]
    if outline.description:
        lines.append(f"Description: {outline.description}")
    lines.append("Objectives:")
    lines += [f"- {o.id} [{o.bloom_level.value}] {o.text}" for o in outline.objectives]
    for module in outline.modules:
        lines.append(f"Module {module.id}: {module.title}" + (f". {module.summary}" if module.summary else ""))
        for lesson in module.lessons:
            ids = ", ".join(lesson.objective_ids) or "none"
            lines.append(f"  Lesson {lesson.id}: {lesson.title}" + (f". {lesson.summary}" if lesson.summary else "") + f" (objectives: {ids})")
    lines.append("</outline>")
    return "\n".join(lines)


def objective_list(outline: Outline, ids: list[str]) -> str:
    by_id = {o.id: o for o in outline.objectives}
    return "; ".join(f"{i} ({by_id[i].bloom_level.value}): {by_id[i].text}" for i in ids if i in by_id) or "none listed"


def outline_task(request: CourseRequest, grounded: bool) -> str:
    quotes = (
        " First collect in evidence_quotes the passages of the documents the plan rests on, and list in coverage_gaps what the topic needs that the documents do not cover."
        if grounded
        else ""
    )
    return (
        f'Plan the course "{request.topic}" for a {request.level.value} learner.{quotes} '
        "Write one to three objectives per module following the objective rules. Give every lesson a title, a one-sentence summary "
        "and the ids of the objectives it teaches; every objective is taught by at least one lesson. Order the modules and lessons "
        f"from foundations to application. Plan exactly {request.modules} modules with exactly {request.lessons_per_module} lessons per module. "
        f"Answer by calling {OUTLINE_TOOL.name}."
    )


def lesson_task(outline: Outline, module: ModulePlan, plan: LessonPlan, grounded: bool) -> str:
    plans = [p for _, p in outline.lesson_plans()]
    position = next(i for i, p in enumerate(plans) if p.id == plan.id)
    neighbours = []
    if position > 0:
        neighbours.append(f'the previous lesson is "{plans[position - 1].title}"')
    if position + 1 < len(plans):
        neighbours.append(f'the next is "{plans[position + 1].title}"')
    context = f" For continuity, {' and '.join(neighbours)}; do not repeat their content." if neighbours else ""
    quotes = (
        " First write, between <quotes> and </quotes>, the verbatim sentences from the documents this lesson relies on, one per line "
        "(leave it empty if none apply); then write the lesson."
        if grounded
        else ""
    )
    summary = f" Summary: {plan.summary}" if plan.summary else ""
    return (
        f'Write lesson {plan.id}, "{plan.title}", of module {module.id}, "{module.title}".{summary} '
        f"It teaches these objectives: {objective_list(outline, plan.objective_ids)}.{context}{quotes} "
        "Follow the lesson template; aim for 900 to 1,500 words."
    )


def with_instruction(task: str, instruction: str) -> str:
    """The task with the learner's wish for this part ("simpler", "more on diffusion"), if any."""
    if not instruction.strip():
        return task
    return (
        f"{task}\n<learner_instruction>{instruction.strip()}</learner_instruction>\n"
        "Follow the learner's instruction where it does not conflict with the rules and the required counts."
    )


def lessons_block(lessons: list[Lesson]) -> str:
    items = [f'<lesson id="{l.id}" title="{l.title}">\n{l.markdown}\n</lesson>' for l in lessons]
    return "<lessons>\n" + "\n".join(items) + "\n</lessons>"


def course_summary(lessons: list[Lesson]) -> str:
    """Key points of every lesson: enough for exam and flashcards without resending whole lessons."""
    items = []
    for lesson in lessons:
        points = "\n".join(f"- {p}" for p in lesson.key_points) or lesson.markdown[:800]
        items.append(f'<lesson id="{lesson.id}" module="{lesson.module_id}" title="{lesson.title}">\n{points}\n</lesson>')
    return "<course_summary>\n" + "\n".join(items) + "\n</course_summary>"


def quiz_task(request: CourseRequest, outline: Outline, module: ModulePlan) -> str:
    own = list(dict.fromkeys(i for lesson in module.lessons for i in lesson.objective_ids))
    index = [m.id for m in outline.modules].index(module.id)
    earlier = list(dict.fromkeys(i for m in outline.modules[:index] for lesson in m.lessons for i in lesson.objective_ids))
    spacing = f" About one question in five revisits an objective of an earlier module ({', '.join(earlier)})." if earlier else ""
    return (
        f'Write the quiz for module "{module.title}" following the item-writing rules. Use the lessons above as what was taught and '
        f"draw distractors from their common mistakes. Assess every objective of this module at least once: {objective_list(outline, own)}."
        f"{spacing} Write exactly {request.questions_per_quiz} questions. Set module_id to {module.id}. Answer by calling {QUIZ_TOOL.name}."
    )


def exam_task(request: CourseRequest, outline: Outline) -> str:
    ids = [o.id for o in outline.objectives]
    return (
        "Write the practice exam over the whole course following the item-writing rules. Spread the items across modules in proportion "
        f"to each module's number of objectives, assess every objective at least once ({', '.join(ids)}), and prefer items that apply "
        f"ideas to new situations over recall. Write exactly {request.exam_questions} questions. Answer by calling {EXAM_TOOL.name}."
    )


def _flashcard_count(request: CourseRequest) -> int:
    return min(60, max(8, request.lesson_count * 4))


def flashcards_task(request: CourseRequest) -> str:
    return (
        "Write flashcards for spaced review of the whole course, following the flashcard rules, spread over every lesson. "
        f"Write {_flashcard_count(request)} flashcards. Answer by calling {FLASHCARDS_TOOL.name}."
    )



# ---------------------------------------------------------------------------------------------
# The repair turn


def repair_turns(tool: Tool, block: Any, problems: list[str]) -> list[dict[str, Any]]:
    """The failed answer and the problems found, as the next two turns of the conversation."""
    listing = "\n".join(f"- {p}" for p in problems)
    ask = f"Call {tool.name} again with the complete corrected answer (all fields, not only the fixed ones)."
    if block is None:
        return [
            {"role": "assistant", "content": [{"type": "text", "text": "(no tool call)"}]},
            {"role": "user", "content": [{"type": "text", "text": f"Problems:\n{listing}\n{ask}"}]},
        ]
    raw = block.input if isinstance(block.input, dict) else {"value": block.input}
    return [
        {"role": "assistant", "content": [{"type": "tool_use", "id": block.id, "name": block.name, "input": raw}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": block.id, "is_error": True, "content": f"The answer has these problems:\n{listing}"},
                {"type": "text", "text": ask},
            ],
        },
    ]
