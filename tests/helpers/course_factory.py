"""Build realistic `Course` objects for tests, optionally full of hostile text.

Exports must survive whatever a model or the user's material puts in a course: markup that
would run as script, characters that are syntax in GIFT, Moodle or markdown, a title that is a
path, unsafe links and tracking images in lesson markdown, control characters and any script.
"""

from __future__ import annotations

from datetime import datetime, timezone

from coursegen_desktop.core.models import (
    Course,
    Exam,
    Flashcard,
    Lesson,
    LessonPlan,
    Level,
    ModulePlan,
    Objective,
    Outline,
    Question,
    Quiz,
)

HOSTILE_TITLE = "../../x <script>alert(\"title\")</script> & 'quoted' {GIFT} ~=#: \\ Ünïcödé 日本語"
SCRIPT = "<script>alert('xss')</script>"

HOSTILE_MARKDOWN = """\
# {title}

Intro with **bold**, `code <b>` and a raw tag: {script} <img src=x onerror="alert(1)">

## Explanation

- [click me](javascript:alert(document.cookie))
- [sneaky](JaVaScRiPt&#58;alert(2)) and [tabbed](java\tscript:alert(3))
- [data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) and [vb](vbscript:msgbox(1))
- <javascript:alert(4)> autolink
- a [safe link](https://example.org/docs?a=1&b=2 "title & more")

![tracking pixel](https://tracker.example/pixel.png?user=1)
![local file](file:///etc/passwd)

<div onclick="alert(5)">raw block</div>

```python
# not a heading
print("<script>")
```

| Symbol | Meaning |
|:-------|--------:|
| `{{}}`  | braces & ~tilde~ = #hash: colon |

Unicode: ∑ 𝔘 ß — “quotes” — 中文 — עברית\x0c control
"""

PLAIN_MARKDOWN = """\
## Explanation

{title} builds on what came before. The key idea is explained step by step, with one
worked example and a short summary.

### Worked example

1. Read the problem.
2. Apply the rule.
3. Check the result.

## Key points

- The first key point of {title}.
- The second key point.
"""


def _question(module: int, number: int, hostile: bool, kind: str) -> Question:
    tag = f"{kind} {module}.{number}"
    if hostile:
        return Question(
            id=f"{kind}-{module}-{number}",
            stem=f"Q{tag}: which <b>tag</b> & 'quote' \"dq\" {{brace}} ~tilde = equals #hash: colon \\ back {SCRIPT}?\nSecond line",
            options=[
                f"Right {tag} <i>x</i> & {{1}}",
                f"Wrong ~one~ = {tag} #2:",
                f"Other \\ path {tag} </textarea>",
                f"Last \"quoted\" 'single' {tag}",
            ],
            answer_index=number % 4,
            explanation=f"Because {{reasons}} ~ = # : \\ <script>bad()</script> &amp; {tag}.\nSee lesson.\x0c",
            objective_id="o1",
        )
    return Question(
        id=f"{kind}-{module}-{number}",
        stem=f"In module {module}, which statement about idea {number} ({kind}) is correct?",
        options=[f"Statement alpha {number}", f"Statement beta {number}", f"Statement gamma {number}", f"Statement delta {number}"],
        answer_index=number % 4,
        explanation=f"Idea {number} is stated in the lesson on idea {number}.",
        objective_id="o1",
    )


def make_course(hostile: bool = False, modules: int = 2, lessons: int = 2, questions: int = 3) -> Course:
    """A complete course: `modules` × `lessons`, a quiz of `questions` per module, an exam, flashcards."""
    title = HOSTILE_TITLE if hostile else "Introduction to Photosynthesis"
    module_plans: list[ModulePlan] = []
    lesson_list: list[Lesson] = []
    quizzes: list[Quiz] = []
    for m in range(1, modules + 1):
        module_id = f"m{m}"
        plans: list[LessonPlan] = []
        for n in range(1, lessons + 1):
            lesson_title = f"Lesson {m}.{n} <script>x</script> & \"Q\" 'q' {{}} ~=#: Çé" if hostile else f"Light reactions part {m}.{n}"
            plans.append(LessonPlan(id=f"{module_id}-l{n}", title=lesson_title, summary=f"Summary {m}.{n}", objective_ids=["o1"]))
            template = HOSTILE_MARKDOWN if hostile else PLAIN_MARKDOWN
            lesson_list.append(
                Lesson(
                    id=f"{module_id}-l{n}",
                    module_id=module_id,
                    title=lesson_title,
                    markdown=template.format(title=lesson_title, script=SCRIPT),
                    key_points=[f"Key point {m}.{n}"],
                    objectives_covered=["o1"],
                )
            )
        module_title = f"Module <b>{m}</b> & {{stuff}} ~ = # :" if hostile else f"Chloroplasts and light {m}"
        module_plans.append(ModulePlan(id=module_id, title=module_title, summary=f"About module {m}.", lessons=plans))
        quizzes.append(
            Quiz(
                module_id=module_id,
                title=f"Quiz {m}: {module_title}",
                questions=[_question(m, q, hostile, "quiz") for q in range(1, questions + 1)],
            )
        )
    exam = Exam(
        title="Final exam <script>e</script> &" if hostile else "Practice exam",
        questions=[_question(0, q, hostile, "exam") for q in range(1, max(3, questions) + 1)],
    )
    flashcards = [
        Flashcard(
            front=f"Front {i} <script>f()</script> & {{x}} ~ = # :" if hostile else f"What is term {i}?",
            back=f"Back {i} <b>bold</b> & 'q'\nline two" if hostile else f"Definition of term {i}.",
            module_id=f"m{1 + i % modules}",
        )
        for i in range(1, 5)
    ]
    outline = Outline(
        title=title,
        description="A course & its <description>." if hostile else "How plants turn light into sugar.",
        objectives=[Objective(id="o1", text="Explain <why> & how {it} works" if hostile else "Explain the light reactions")],
        modules=module_plans,
    )
    return Course(
        title=title,
        description=outline.description,
        topic="Hostile <topic>" if hostile else "Photosynthesis",
        level=Level.BEGINNER,
        language="Deutsch" if hostile else "English",
        generator="offline",
        outline=outline,
        lessons=lesson_list,
        quizzes=quizzes,
        exam=exam,
        flashcards=flashcards,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
