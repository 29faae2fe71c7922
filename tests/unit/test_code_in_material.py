"""Code in study material stays code, from every reader to the offline course and its exports.

The material is a code-heavy tutorial shaped like the Python tutorial's control-flow chapter
(prose with inline code, indented blocks, `>>>` sessions, fenced blocks), written as Markdown,
reStructuredText, Word and PDF by `tests/helpers/make_docs.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.export.markdown import course_markdown
from coursegen_desktop.core.generators.offline import OfflineGenerator
from coursegen_desktop.core.material import load_material
from coursegen_desktop.core.material.code import split_fenced
from coursegen_desktop.core.models import Course, GeneratorKind, JobStatus, make_request
from coursegen_desktop.core.store import Store
from tests.helpers.make_docs import (
    CONTROL_FLOW,
    control_flow_code_blocks,
    control_flow_markdown,
    control_flow_rst,
    write_control_flow_docx,
    write_control_flow_pdf,
)

WRITERS: dict[str, Callable[[Path], Path]] = {
    "md": lambda path: _write_text(path, control_flow_markdown()),
    "rst": lambda path: _write_text(path, control_flow_rst()),
    "txt": lambda path: _write_text(path, control_flow_rst()),  # reStructuredText saved as .txt
    "docx": write_control_flow_docx,
    "pdf": write_control_flow_pdf,
}
MAIN_HEADINGS = [text for kind, text in CONTROL_FLOW if kind in ("h2", "h3")]


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _code_of(text: str) -> list[str]:
    return [segment.text for segment in split_fenced(text) if segment.code]


def _without_blank_lines(code: str) -> str:
    return "\n".join(line for line in code.split("\n") if line.strip())


def _expected(suffix: str, code: str) -> str:
    """PDF text has no blank lines, so a blank line inside code cannot survive there."""
    return _without_blank_lines(code) if suffix == "pdf" else code


@pytest.fixture(scope="module", params=list(WRITERS))
def tutorial(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return WRITERS[request.param](tmp_path_factory.mktemp("tutorial") / f"control-flow.{request.param}")


@pytest.fixture(scope="module")
def course(tutorial: Path, tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The offline course, built by the real pipeline (review step included)."""
    store = Store.open(tmp_path_factory.mktemp("data"))
    try:
        request = make_request(topic="Python control flow", modules=3, lessons_per_module=3, questions_per_quiz=5, exam_questions=10)
        request = request.model_copy(update={"material": (tutorial,), "generator": GeneratorKind.OFFLINE})
        record = pipeline.run(request, OfflineGenerator(), store, lambda event: None, CancelToken())
        assert record.status == JobStatus.COMPLETED, record.error_message
        built = store.get_course(record.id)
        assert built is not None
        return built
    finally:
        store.close()


def test_every_reader_keeps_each_code_block_whole(tutorial: Path) -> None:
    chunks = load_material([tutorial]).chunks
    found = [code for chunk in chunks for code in _code_of(chunk.text)]
    assert found == [_expected(tutorial.suffix[1:], code) for code in control_flow_code_blocks()]
    prose = " ".join(segment.text for chunk in chunks for segment in split_fenced(chunk.text) if not segment.code)
    assert ">>>" not in prose and ">> " not in prose


def test_lessons_show_the_code_blocks_with_their_line_breaks(course: Course, tutorial: Path) -> None:
    lesson_code = [code for lesson in course.lessons for code in _code_of(lesson.markdown)]
    for code in control_flow_code_blocks():
        assert _expected(tutorial.suffix[1:], code) in lesson_code, f"missing or flattened:\n{code}"
    for lesson in course.lessons:
        for segment in split_fenced(lesson.markdown):
            if not segment.code:
                assert not re.search(r"^>", segment.text, re.M), f"prose line read as a quote in {lesson.title}"
                assert ">>>" not in segment.text and "... " not in segment.text.replace("…", "")


def _code_only_words(course: Course) -> set[str]:
    """Words that occur in the tutorial's code but nowhere in its prose or headings."""
    prose = " ".join(text for kind, text in CONTROL_FLOW if kind not in ("code", "session", "fenced"))
    code = " ".join(control_flow_code_blocks())

    def words(text: str) -> set[str]:
        return {w.casefold() for w in re.findall(r"[A-Za-z_]{3,}", text)}

    return words(code) - words(prose)


def test_no_question_or_flashcard_is_made_from_code(course: Course) -> None:
    code_lines = {line.strip() for code in control_flow_code_blocks() for line in code.split("\n") if len(line.strip()) >= 8}
    code_words = _code_only_words(course)
    questions = [q for quiz in course.quizzes for q in quiz.questions] + list(course.exam.questions)
    assert questions and course.flashcards
    texts = [q.stem for q in questions] + [o for q in questions for o in q.options] + [q.evidence_quote or "" for q in questions]
    texts += [t for card in course.flashcards for t in (card.front, card.back)]
    texts += [point for lesson in course.lessons for point in lesson.key_points]
    texts += [f"{g.term} {g.definition}" for lesson in course.lessons for g in lesson.glossary]
    for text in texts:
        for line in code_lines:
            assert line not in text, f"a code line in {text!r}"
    for option in [o for q in questions for o in q.options]:
        option_words = {w.casefold() for w in re.findall(r"[A-Za-z_]{3,}", option)}
        assert not option_words or not option_words <= code_words, f"option {option!r} comes from code"


def test_inline_code_stays_balanced(course: Course, tutorial: Path) -> None:
    questions = [q for quiz in course.quizzes for q in quiz.questions] + list(course.exam.questions)
    texts = [q.stem for q in questions] + [o for q in questions for o in q.options] + [q.explanation for q in questions]
    texts += [t for card in course.flashcards for t in (card.front, card.back)]
    texts += [point for lesson in course.lessons for point in lesson.key_points]
    texts += [g.definition for lesson in course.lessons for g in lesson.glossary]
    for lesson in course.lessons:
        texts += [line for segment in split_fenced(lesson.markdown) if not segment.code for line in segment.text.split("\n")]
    if tutorial.suffix != ".pdf":  # (a PDF's inline code cannot be told apart from the prose)
        assert any("`" in text for text in texts)  # the inline code of the prose is still there
    unbalanced = [text for text in texts if text.count("`") % 2]
    assert unbalanced == []


def test_module_titles_name_what_their_lessons_share(course: Course) -> None:
    titles = [module.title for module in course.outline.modules]
    assert len(set(titles)) == len(titles)
    lesson_titles = [plan.title for _, plan in course.outline.lesson_plans()]
    assert len(set(lesson_titles)) == len(lesson_titles)
    material = " ".join(text for _, text in CONTROL_FLOW).casefold()
    for title in titles:
        assert not re.search(r"\S \bto\b \S", title), f"a range, not a name: {title!r}"
        assert title.casefold().rstrip("s") in material, f"{title!r} is neither a heading nor a term of the material"
        assert title.count(" and ") + title.count(", ") == 0 or title in MAIN_HEADINGS, f"a list of lessons: {title!r}"


def test_markdown_export_keeps_code_and_quotes_nothing(course: Course) -> None:
    rendered = MarkdownIt("commonmark").render(course_markdown(course))
    assert "<blockquote>" not in rendered
    blocks = re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", rendered, re.S)
    assert len(blocks) >= len(control_flow_code_blocks())
    assert any(">>> for i in range(5):" in block.replace("&gt;", ">") for block in blocks)


def test_a_document_set_wholly_in_a_monospace_font_is_read_as_prose(tmp_path: Path) -> None:
    """A text file printed to PDF in Courier, notes typed in Consolas: the font tells nothing."""
    from tests.helpers.make_docs import MONO_FONT, write_pdf

    prose = [text for kind, text in CONTROL_FLOW if kind == "p"][:6]
    pdf = write_pdf(tmp_path / "typed.pdf", [[("F2", line) for text in prose for line in (text.replace("`", ""), "")]])
    import docx

    document = docx.Document()
    for text in prose:
        document.add_paragraph().add_run(text.replace("`", "")).font.name = MONO_FONT
    document.save(str(tmp_path / "typed.docx"))
    for path in (pdf, tmp_path / "typed.docx"):
        chunks = load_material([path]).chunks
        assert not [code for chunk in chunks for code in _code_of(chunk.text)], path.name
        assert "control flow statement decides which part of a program runs next" in " ".join(c.text for c in chunks)


def test_code_in_the_prose_font_is_kept_apart_where_it_reads_as_code(tmp_path: Path) -> None:
    """Without a monospace font, lines that read as code (and `>>>` sessions) still become code."""
    from tests.helpers.make_docs import write_pdf

    lines = ["A for loop is a loop that iterates over the items of any sequence. For example:",
             "words = ['cat', 'window', 'defenestrate']", "for w in words:", "print(w, len(w))",
             "Code that changes a collection while iterating over it can be tricky to get right."]
    chunks = load_material([write_pdf(tmp_path / "plain.pdf", [lines])]).chunks
    assert [code for chunk in chunks for code in _code_of(chunk.text)] == ["\n".join(lines[1:4])]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("for w in words:", True), ("print(w, len(w))", True), ("x = 0", True), ("def f(x):", True), ("pass", True),
        (">>> f(1)", True), ("else:", True), ("for example:", False), ("pass the salt to the left.", False),
        ("The result = 5 in most cases.", False), ("Here is an example:", False), ("return to the start of the cycle", False),
    ],
)
def test_what_reads_as_code(line: str, code: bool) -> None:
    """The fallback for code that no font or markup marks: prose is never taken for code."""
    from coursegen_desktop.core.material.code import looks_like_code

    assert looks_like_code(line) is code


def test_a_section_of_nothing_but_code_still_reaches_a_lesson(tmp_path: Path) -> None:
    text = control_flow_markdown().replace("## pass Statements", "## pass Statements\n\n### Example\n\n```python\nwhile True:\n    pass  # busy-wait\n```\n\n### Usage")
    material = _write_text(tmp_path / "notes.md", text)
    store = Store.open(tmp_path / "data")
    try:
        request = make_request(topic="Control flow", modules=2, lessons_per_module=2).model_copy(update={"material": (material,), "generator": GeneratorKind.OFFLINE})
        record = pipeline.run(request, OfflineGenerator(), store, lambda event: None, CancelToken())
        course = store.get_course(record.id)
    finally:
        store.close()
    assert course is not None
    assert "while True:\n    pass  # busy-wait" in [code for lesson in course.lessons for code in _code_of(lesson.markdown)]
