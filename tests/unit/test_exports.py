"""Every export format, read back with an independent reader, with a normal and a hostile course.

"Hostile" means a course whose text tries to break each format: markup that would run as
script, GIFT/markdown syntax, a title that is a path, unsafe links and a tracking image.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from coursegen_desktop.core.errors import BadInput, ErrorKind, StorageError
from coursegen_desktop.core.export import FORMATS, default_export_name, export_course, safe_filename
from coursegen_desktop.core.export.html_page import QUIZ_JS
from coursegen_desktop.core.export.markdown_render import render_markdown_safe, shift_headings
from coursegen_desktop.core.export.scorm import SCORM_JS
from coursegen_desktop.core.export.text import md_escape, one_line
from coursegen_desktop.core.models import Course, Lesson, Question, Quiz
from coursegen_desktop.gui.pdf_format import register_pdf_format
from tests.helpers.course_factory import make_course

ROOT = Path(__file__).resolve().parents[2]
NON_PDF = [name for name in FORMATS if name != "pdf"]


@pytest.fixture(params=[False, True], ids=["plain", "hostile"])
def course(request: pytest.FixtureRequest) -> Course:
    return make_course(hostile=request.param)


@pytest.fixture
def hostile() -> Course:
    return make_course(hostile=True)


def all_questions(course: Course) -> list[Question]:
    return [q for quiz in course.quizzes for q in quiz.questions] + course.exam.questions


def first_line(text: str) -> str:
    return one_line(text.strip().splitlines()[0])


class PageReader(HTMLParser):
    """Collects what matters for safety (scripts, URLs, handlers) and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.handlers: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")
        for name, value in values.items():
            if name.startswith("on"):
                self.handlers.append(f"{tag}.{name}")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                self.urls.append((tag, name, value))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def read_page(markup: str) -> PageReader:
    reader = PageReader()
    reader.feed(markup)
    reader.close()
    return reader


def assert_no_active_content(page: PageReader, allowed_scripts: tuple[str, ...] = ()) -> None:
    assert sorted(page.scripts) == sorted(allowed_scripts)
    assert not page.handlers
    for tag, name, value in page.urls:
        scheme = re.match(r"([a-z][a-z0-9+.-]*):", re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower())
        assert scheme is None or scheme[1] in ("http", "https", "mailto"), (tag, name, value)
        if tag == "img":
            assert not value.lower().startswith(("http:", "https:", "//")), value


# ---------------------------------------------------------------------------------------------
# Registry, names and atomic writes


def test_registry_lists_every_format() -> None:
    assert [name for name in FORMATS if name != "pdf"] == ["markdown", "markdown-folder", "html", "anki", "moodle", "gift", "scorm", "epub"]
    register_pdf_format()  # what the app and the CLI do: PDF needs Qt, which core may not import
    register_pdf_format()
    assert list(FORMATS) == ["markdown", "markdown-folder", "html", "pdf", "anki", "moodle", "gift", "scorm", "epub"]
    for name, spec in FORMATS.items():
        assert spec.name == name and spec.label
        assert spec.is_folder == (name == "markdown-folder")
        assert spec.suffix.startswith(".") or spec.is_folder
        assert spec.file_filter.startswith(spec.label)


@pytest.mark.parametrize(
    "title",
    [
        "../../x",
        "..",
        "...",
        "",
        "   ",
        "a/b\\c",
        "nul\x00byte",
        "CON",
        "con.txt",
        "LPT1",
        "Aux.tar.gz",
        ".hidden",
        "x" * 400,
        "日本語 " * 80,
        'a:b*c?d"e<f>g|h',
        "\u202eevil\u202c.exe",
    ],
)
def test_safe_filename_is_one_harmless_name(title: str) -> None:
    name = safe_filename(title)
    assert name and len(name.encode()) <= 120
    assert "/" not in name and "\\" not in name and "\x00" not in name and "\u202e" not in name
    assert not name.startswith((".", " ")) and not name.endswith((".", " "))
    assert not re.search(r'[<>:"|?*\x00-\x1f]', name)
    assert not re.fullmatch(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", name, re.IGNORECASE)
    assert Path(name).name == name and name not in (".", "..")


def test_safe_filename_keeps_readable_titles() -> None:
    assert safe_filename("Intro to Python: Basics") == "Intro to Python Basics"
    assert safe_filename("Über 日本語") == "Über 日本語"
    assert safe_filename("../../x") == "x"


def test_default_export_name(hostile: Course) -> None:
    for name, spec in FORMATS.items():
        file_name = default_export_name(hostile, name)
        assert file_name.endswith(spec.suffix) and "/" not in file_name and ".." not in file_name


def test_unknown_format_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not an export format"):
        export_course(make_course(), "docx", tmp_path / "x.docx")


def test_export_into_a_folder_uses_the_default_name(tmp_path: Path, hostile: Course) -> None:
    written = export_course(hostile, "html", tmp_path)
    assert written.parent == tmp_path and written.name == default_export_name(hostile, "html")
    assert os.listdir(tmp_path) == [written.name]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = export_course(make_course(), "html", tmp_path / "course.html")
    before = target.read_bytes()

    def half_then_full_disk(course: Course, path: Path) -> None:
        path.write_text("<html><body>half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("coursegen_desktop.core.export.html_page.write_html", half_then_full_disk)
    with pytest.raises(StorageError) as caught:
        export_course(make_course(), "html", target)
    assert caught.value.kind == ErrorKind.DISK_FULL
    assert re.fullmatch(r"The disk is full, [^\n]*; free some space and export again\.", caught.value.message)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["course.html"]


def test_a_bug_in_a_writer_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("coursegen_desktop.core.export.gift.write_gift", lambda course, path: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        export_course(make_course(), "gift", tmp_path / "q.txt")
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"^The folder .* does not exist; choose an existing folder\.$"):
        export_course(make_course(), "markdown", tmp_path / "nope" / "course.md")


def test_read_only_folder_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*args: object, **kwargs: object) -> int:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("coursegen_desktop.core.export.atomic.os.open", read_only)
    with pytest.raises(StorageError, match=r"^CourseGen may not write to .*; choose another folder\.$"):
        export_course(make_course(), "anki", tmp_path / "deck.apkg")


def test_folder_export_replaces_an_earlier_export_only(tmp_path: Path) -> None:
    out = tmp_path / "course"
    export_course(make_course(lessons=3), "markdown-folder", out)
    export_course(make_course(lessons=1), "markdown-folder", out)
    assert len([name for name in os.listdir(out) if re.match(r"\d\d-\d\d-", name)]) == 2  # 2 modules x 1 lesson
    assert os.listdir(tmp_path) == ["course"]

    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.docx").write_text("precious")
    written = export_course(make_course(), "markdown-folder", documents)
    assert written.parent == documents and (documents / "thesis.docx").read_text() == "precious"

    (written / "notes.txt").write_text("mine")
    with pytest.raises(StorageError, match="holds other files"):
        export_course(make_course(), "markdown-folder", documents)


@pytest.mark.parametrize("fmt", NON_PDF)
def test_a_sparse_course_loses_nothing(tmp_path: Path, fmt: str) -> None:
    """Lessons or quizzes the outline does not place are exported too; missing parts are skipped."""
    course = make_course(modules=3)
    orphan = Lesson(id="zz", module_id="nowhere", title="Orphan lesson", markdown="Orphan text")
    six = Question(stem="Six options?", options=[f"Option {n}" for n in "uvwxyz"], answer_index=5)
    sparse = course.model_copy(
        update={
            "lessons": [*course.lessons[1:], orphan],
            "quizzes": [course.quizzes[0], Quiz(module_id="gone", title="Stray quiz", questions=[six])],
            "flashcards": [],
        }
    )
    written = export_course(sparse, fmt, tmp_path / f"sparse{FORMATS[fmt].suffix}")
    if fmt == "markdown":
        text = written.read_text(encoding="utf-8")
        assert "Orphan lesson" in text and "Six options?" in text and "**F. Option z**" in text
        assert course.lessons[0].title not in text and "## Flashcards" not in text


def test_core_export_never_imports_qt(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from tests.helpers.course_factory import make_course\n"
        "from coursegen_desktop.core.export import FORMATS, export_course\n"
        f"for name in FORMATS:\n    name != 'pdf' and export_course(make_course(), name, Path({str(tmp_path)!r}))\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'coursegen_desktop.gui'))]\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)


# ---------------------------------------------------------------------------------------------
# The safe renderer


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt&#58;alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](%6Aavascript:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        "![p](https://tracker.example/p.png)",
        "![p](//tracker.example/p.png)",
        "![p](file:///etc/passwd)",
        "![p](data:image/svg+xml;base64,PHN2Zz4=)",
        "[x](ms-msdt:/id%20PCWDiagnostic)",
        "[x](search-ms:query=x)",
        "<ms-officecmd:launch>",
    ],
)
def test_render_markdown_safe_neutralises(markdown: str) -> None:
    assert_no_active_content(read_page(render_markdown_safe(markdown)))
    assert "<img" not in render_markdown_safe(markdown)


def test_render_markdown_safe_keeps_what_is_safe() -> None:
    rendered = render_markdown_safe(
        "# T\n\n[docs](https://example.org/a?b=1&c=2) [mail](mailto:a@example.org) [rel](#part)\n\n"
        "![dot](data:image/png;base64,iVBORw0KGgo=)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert 'href="https://example.org/a?b=1&amp;c=2"' in rendered and 'href="mailto:a@example.org"' in rendered
    assert 'href="#part"' in rendered and '<img src="data:image/png;base64,' in rendered and "<table>" in rendered
    assert '<a href="https://tracker.example/p.png"' in render_markdown_safe("![pixel](https://tracker.example/p.png)")


def test_shift_headings_moves_headings_not_code() -> None:
    shifted = shift_headings("## A\n\n```\n# code\n```\n\nB\n===\n\n#### C\n", 4)
    assert shifted.split("\n")[0] == "##### A" and "# code" in shifted and "#### B" in shifted and "###### C" in shifted


@pytest.mark.parametrize(
    "text",
    [
        "1. not a list", "- no", "> no", "# no", "a <b>x</b> & &amp; `c` *d* _e_ [f](g) ~h~ | i", "C# and F#", "\\ back",
        ">>> print(x)", ">> quoted", "---", "===", "- - -", "+ plus", "* star", "2) second", "1999. A year", "```", "~~~ tilde",
    ],
)
def test_md_escape_renders_as_the_same_text(text: str) -> None:
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md_escape(text))
    assert rendered.startswith("<p>") and html.unescape(re.sub(r"</?p>\n?", "", rendered)) == text


# ---------------------------------------------------------------------------------------------
# Markdown


def test_markdown_document(tmp_path: Path, course: Course) -> None:
    text = export_course(course, "markdown", tmp_path / "c.md").read_text(encoding="utf-8")
    for lesson in course.lessons:
        assert md_escape(lesson.title) in text
    for question in all_questions(course):
        assert md_escape(question.stem) in text
    for card in course.flashcards:
        assert md_escape(card.front) in text
    assert text.index(md_escape(course.exam.title)) < text.index("## Answer key") < text.index("## Flashcards")
    # Rendered by a markdown viewer that allows HTML, titles and stems still read as written:
    # `<b>tag</b>` in a stem shows as text, it does not become bold.
    rendered = read_page(MarkdownIt("commonmark", {"html": True}).enable("strikethrough").render(text)).plain
    for item in [course.title, *(lesson.title for lesson in course.lessons), *(q.stem for q in all_questions(course))]:
        assert one_line(item) in rendered


def test_markdown_folder(tmp_path: Path, course: Course) -> None:
    folder = export_course(course, "markdown-folder", tmp_path / "out")
    names = sorted(os.listdir(folder))
    lesson_files = [name for name in names if name not in ("index.md", "quizzes.md", "flashcards.md")]
    assert {"index.md", "quizzes.md", "flashcards.md"} <= set(names) and len(lesson_files) == len(course.lessons)
    assert all(re.fullmatch(r"\d\d-\d\d-[a-z0-9-]+\.md", name) for name in lesson_files)
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert set(re.findall(r"\]\(([^)]+\.md)\)", index)) == set(names) - {"index.md"}
    quizzes = (folder / "quizzes.md").read_text(encoding="utf-8")
    assert "## Answer key" in quizzes and all(md_escape(q.stem) in quizzes for q in all_questions(course))
    bodies = "".join((folder / name).read_text(encoding="utf-8") for name in lesson_files)
    assert all(md_escape(lesson.title) in bodies for lesson in course.lessons)


# ---------------------------------------------------------------------------------------------
# HTML


def test_html_page(tmp_path: Path, course: Course) -> None:
    markup = export_course(course, "html", tmp_path / "c.html").read_text(encoding="utf-8")
    page = read_page(markup)
    assert_no_active_content(page, allowed_scripts=(QUIZ_JS,))
    assert not [src for tag, _, src in page.urls if tag in ("link", "script", "iframe", "img")]
    csp = next(attrs["content"] for tag, attrs in page.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256(QUIZ_JS.encode()).digest()).decode()
    assert "default-src 'none'" in csp and f"'sha256-{digest}'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    for text in [course.title, *(lesson.title for lesson in course.lessons)] + [first_line(q.stem) for q in all_questions(course)]:
        assert one_line(text) in page.plain
    questions = [attrs for tag, attrs in page.tags if tag == "li" and attrs.get("class") == "question"]
    assert [int(attrs["data-answer"]) for attrs in questions] == [q.answer_index for q in all_questions(course)]
    radios = [attrs for tag, attrs in page.tags if tag == "input"]
    assert len(radios) == sum(len(q.options) for q in all_questions(course))


# ---------------------------------------------------------------------------------------------
# The page scripts, run in node against a minimal fake DOM

NODE_HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const [quizJs, scormJs] = JSON.parse(fs.readFileSync(0, "utf8"));
function classes() { const s = new Set(); return { set: s,
  add: (...c) => c.forEach(x => s.add(x)), remove: (...c) => c.forEach(x => s.delete(x)),
  toggle: (c, on) => (on ? s.add(c) : s.delete(c)) }; }
function question(answer, chosen) {
  const inputs = [0, 1, 2].map(i => ({ value: String(i), checked: i === chosen }));
  const options = inputs.map(() => ({ classList: classes() }));
  const parts = { ".verdict": { textContent: "" }, ".feedback": { hidden: true } };
  return { classList: classes(), inputs, options, parts, getAttribute: () => String(answer),
    querySelector: s => s === "input:checked" ? (inputs.find(i => i.checked) || null) : parts[s],
    querySelectorAll: s => s === ".options li" ? options : inputs };
}
const listeners = {};
const questions = [question(1, 1), question(2, 0), question(0, -1)];
const quiz = { events: [], parts: { ".score": { textContent: "" } },
  querySelectorAll: s => s === ".question" ? questions : questions.flatMap(q => q.inputs),
  querySelector: s => quiz.parts[s] || (quiz.parts[s] = { addEventListener: (n, f) => { quiz.parts[s].click = f; } }),
  dispatchEvent: e => { quiz.events.push(e.detail); (listeners[e.type] || []).forEach(f => f(e)); } };
const status = { textContent: "" };
const calls = [];
const api = {};
for (const name of ["LMSInitialize", "LMSSetValue", "LMSCommit", "LMSFinish", "LMSGetValue"]) {
  api[name] = (a, b) => { calls.push([name, a, b]); return name === "LMSGetValue" ? "" : "true"; };
}
const top = { API: api }; top.parent = top;
const frame = { parent: top, addEventListener: (n, f) => { (listeners[n] = listeners[n] || []).push(f); } };
const document = { querySelectorAll: () => [quiz], querySelector: () => quiz, getElementById: () => status,
  addEventListener: (n, f) => { (listeners[n] = listeners[n] || []).push(f); } };
class CustomEvent { constructor(type, init) { this.type = type; this.detail = init.detail; } }
const context = vm.createContext({ window: frame, document, CustomEvent });
vm.runInContext(quizJs, context);
vm.runInContext(scormJs, context);
quiz.parts[".check"].click();
const afterCheck = { score: quiz.parts[".score"].textContent, events: quiz.events.slice(),
  verdicts: questions.map(q => q.parts[".verdict"].textContent),
  shown: questions.map(q => !q.parts[".feedback"].hidden),
  keys: questions.map(q => q.options.map(o => o.classList.set.has("key"))) };
quiz.parts[".reset"].click();
(listeners["pagehide"] || []).forEach(f => f());
console.log(JSON.stringify({ afterCheck, afterReset: { score: quiz.parts[".score"].textContent,
  checked: questions.flatMap(q => q.inputs).filter(i => i.checked).length,
  hidden: questions.every(q => q.parts[".feedback"].hidden) }, calls, status: status.textContent }));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_quiz_and_scorm_scripts_score_and_report() -> None:
    run = subprocess.run(["node", "-e", NODE_HARNESS], input=json.dumps([QUIZ_JS, SCORM_JS]), capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    check = result["afterCheck"]
    assert check["score"] == "Score: 1 / 3" and check["events"] == [{"right": 1, "total": 3}]
    assert check["verdicts"] == ["Correct.", "Not quite. The answer is C.", "No answer chosen. The answer is A."]
    assert all(check["shown"]) and check["keys"][1] == [False, False, True]
    assert result["afterReset"] == {"score": "", "checked": 0, "hidden": True}
    names = [call[0] for call in result["calls"]]
    assert names[0] == "LMSInitialize" and names[-1] == "LMSFinish"
    sets = {call[1]: call[2] for call in result["calls"] if call[0] == "LMSSetValue"}
    assert sets["cmi.core.score.raw"] == "33" and sets["cmi.core.lesson_status"] == "failed"
    assert "learning platform records" in result["status"]


# ---------------------------------------------------------------------------------------------
# Anki


def read_notes(apkg: Path, tmp_path: Path) -> tuple[list[tuple[str, str, str]], dict[str, object]]:
    with zipfile.ZipFile(apkg) as archive:
        assert set(archive.namelist()) == {"collection.anki2", "media"}
        database = tmp_path / f"{apkg.stem}.anki2"
        database.write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(database)
    try:
        notes = connection.execute("select guid, tags, flds from notes order by id").fetchall()
        decks = json.loads(connection.execute("select decks from col").fetchone()[0])
    finally:
        connection.close()
    return notes, decks


def test_anki_deck(tmp_path: Path, course: Course) -> None:
    first = export_course(course, "anki", tmp_path / "a.apkg")
    notes, decks = read_notes(first, tmp_path)
    assert len(notes) == len(all_questions(course)) + len(course.flashcards)
    assert one_line(course.title) in [deck["name"] for deck in decks.values()]
    fields = "\n".join(flds for _, _, flds in notes)
    assert "<script" not in fields
    for question in all_questions(course):
        assert html.escape(first_line(question.stem)) in fields
    for card in course.flashcards:
        assert html.escape(first_line(card.front)) in fields
    assert all(len(flds.split("\x1f")) == 2 for _, _, flds in notes)

    again, decks_again = read_notes(export_course(course, "anki", tmp_path / "b.apkg"), tmp_path)
    assert [guid for guid, _, _ in again] == [guid for guid, _, _ in notes]  # an update, not duplicates
    assert decks_again.keys() == decks.keys()


def test_anki_reexport_of_an_edited_course_updates_notes(tmp_path: Path, course: Course) -> None:
    notes, _ = read_notes(export_course(course, "anki", tmp_path / "a.apkg"), tmp_path)
    guids = {flds.split("\x1f")[0]: guid for guid, _, flds in notes}
    edited = course.model_copy(deep=True)
    edited.flashcards[0] = edited.flashcards[0].model_copy(update={"front": "  " + edited.flashcards[0].front.upper() + " ", "back": "A better answer."})
    edited.flashcards.append(edited.flashcards[1].model_copy(update={"front": "A brand-new card?"}))
    edited.exam.questions[0] = edited.exam.questions[0].model_copy(update={"explanation": "Explained again."})
    again, _ = read_notes(export_course(edited, "anki", tmp_path / "b.apkg"), tmp_path)
    assert len(again) == len(notes) + 1  # only the new card is a new note
    assert {guid for guid, _, _ in notes} < {guid for guid, _, _ in again}
    edited_note = next(flds for guid, _, flds in again if guid == guids[html.escape(course.flashcards[0].front)])
    assert edited_note.endswith("A better answer.")


def test_anki_fields_escape_markup(tmp_path: Path, hostile: Course) -> None:
    notes, _ = read_notes(export_course(hostile, "anki", tmp_path / "h.apkg"), tmp_path)
    for _, _, flds in notes:
        for field in flds.split("\x1f"):
            page = read_page(field)
            assert_no_active_content(page)
            assert {tag for tag, _ in page.tags} <= {"div", "ol", "li", "p", "br"}


# ---------------------------------------------------------------------------------------------
# Moodle XML and GIFT


def html_text(fragment: str) -> str:
    page = read_page(fragment)
    assert_no_active_content(page)
    assert {tag for tag, _ in page.tags} <= {"p", "br"}
    return page.plain


def test_moodle_xml(tmp_path: Path, course: Course) -> None:
    root = ET.parse(export_course(course, "moodle", tmp_path / "q.xml")).getroot()
    assert root.tag == "quiz"
    categories = [q.findtext("category/text") for q in root.iter("question") if q.get("type") == "category"]
    assert len(categories) == len(course.quizzes) + 1
    assert all(path.startswith("$course$/top/") and "\n" not in path for path in categories)
    items = [q for q in root.iter("question") if q.get("type") == "multichoice"]
    assert len(items) == len(all_questions(course))
    for element, question in zip(items, all_questions(course), strict=True):
        assert html_text(element.findtext("questiontext/text")) == " ".join(question.stem.split())
        answers = element.findall("answer")
        assert [html_text(a.findtext("text")) for a in answers] == [" ".join(o.split()) for o in question.options]
        assert [a.get("fraction") for a in answers].count("100") == 1
        assert answers[question.answer_index].get("fraction") == "100"
        assert all(html_text(a.findtext("feedback/text")) for a in answers)
        assert html_text(element.findtext("generalfeedback/text")) == " ".join(question.explanation.split())


GIFT_SPECIAL = set("~=#{}:")


def gift_unescape(text: str) -> str:
    """Undo GIFT escapes, failing on any special character left unescaped."""
    out, chars = [], iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following == "n" else following)
        else:
            assert char not in GIFT_SPECIAL, f"unescaped {char!r} in {text!r}"
            out.append(char)
    return "".join(out)


def parse_gift(text: str) -> tuple[list[str], list[dict[str, object]]]:
    """A small GIFT reader for what the exporter writes: categories and multiple choice."""
    categories, questions = [], []
    for block in text.split("\n\n"):
        block = block.strip()
        if block.startswith("//"):
            continue
        if block.startswith("$CATEGORY:"):
            categories.append(block.removeprefix("$CATEGORY:").strip())
            continue
        match = re.fullmatch(r"::((?:\\.|[^\\])*?)::\[html\]((?:\\.|[^\\{])*) \{\n(.*)\n\}", block, re.DOTALL)
        assert match, block
        title, stem, body = match.groups()
        answers, general = [], ""
        for line in body.split("\n"):
            assert line.startswith("\t")
            if line.startswith("\t####"):
                general = gift_unescape(line[5:])
                continue
            parts = re.fullmatch(r"\t([=~])((?:\\.|[^\\#])*)#((?:\\.|[^\\])*)", line)
            assert parts, line
            answers.append((parts[1] == "=", gift_unescape(parts[2]), gift_unescape(parts[3])))
        questions.append({"title": gift_unescape(title), "stem": gift_unescape(stem), "answers": answers, "general": general})
    return categories, questions


def test_gift(tmp_path: Path, course: Course) -> None:
    text = export_course(course, "gift", tmp_path / "q.txt").read_text(encoding="utf-8")
    categories, questions = parse_gift(text)
    assert len(categories) == len(course.quizzes) + 1
    assert len(questions) == len(all_questions(course))
    for parsed, question in zip(questions, all_questions(course), strict=True):
        assert html_text(parsed["stem"]) == " ".join(question.stem.split())
        answers = parsed["answers"]
        assert [correct for correct, _, _ in answers] == [i == question.answer_index for i in range(len(question.options))]
        assert [html_text(option) for _, option, _ in answers] == [" ".join(o.split()) for o in question.options]
        assert all(html_text(feedback) for _, _, feedback in answers)
        assert html_text(parsed["general"]) == " ".join(question.explanation.split())


# ---------------------------------------------------------------------------------------------
# SCORM


SCORM_NS = {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "adlcp": "http://www.adlnet.org/xsd/adlcp_rootv1p2"}


def test_scorm_package(tmp_path: Path, course: Course) -> None:
    with zipfile.ZipFile(export_course(course, "scorm", tmp_path / "s.zip")) as archive:
        names = set(archive.namelist())
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        pages = {name: archive.read(name).decode("utf-8") for name in names if name.endswith(".html")}
    assert all(re.fullmatch(r"[a-z0-9-]+\.html", name) for name in pages)
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=SCORM_NS) == "ADL SCORM"
    assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=SCORM_NS) == "1.2"
    organizations = manifest.find("cp:organizations", SCORM_NS)
    organization = organizations.find("cp:organization", SCORM_NS)
    assert organization.get("identifier") == organizations.get("default")
    items = organization.findall("cp:item", SCORM_NS)
    resources = {r.get("identifier"): r for r in manifest.findall("cp:resources/cp:resource", SCORM_NS)}
    assert len(items) == len(course.outline.modules) + 1 == len(resources)
    for item in items:
        resource = resources[item.get("identifierref")]
        assert resource.get(f"{{{SCORM_NS['adlcp']}}}scormtype") == "sco" and resource.get("type") == "webcontent"
        assert resource.get("href") in names and resource.find("cp:file", SCORM_NS).get("href") == resource.get("href")
    assert items[-1].findtext("cp:title", namespaces=SCORM_NS) == one_line(course.exam.title)

    text = ""
    for markup in pages.values():
        page = read_page(markup)
        assert_no_active_content(page, allowed_scripts=(QUIZ_JS, SCORM_JS))
        text += page.plain
    for item in [*(lesson.title for lesson in course.lessons), *(first_line(q.stem) for q in all_questions(course))]:
        assert one_line(item) in text


# ---------------------------------------------------------------------------------------------
# EPUB


def test_epub(tmp_path: Path, course: Course) -> None:
    with zipfile.ZipFile(export_course(course, "epub", tmp_path / "b.epub")) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"
        container = ET.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
        opf = ET.fromstring(archive.read(opf_path))
        base = opf_path.rsplit("/", 1)[0] + "/"
        ns = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
        assert opf.findtext("opf:metadata/dc:title", namespaces=ns) == one_line(course.title)
        assert opf.findtext("opf:metadata/dc:language", namespaces=ns) in ("en", "de")
        assert opf.findtext("opf:metadata/dc:identifier", namespaces=ns).startswith("urn:uuid:")
        manifest = opf.findall("opf:manifest/opf:item", ns)
        assert any(item.get("properties") == "nav" for item in manifest)
        documents = {}
        for item in manifest:
            assert re.fullmatch(r"[a-z0-9/-]+\.(xhtml|css|ncx)", item.get("href"))
            data = archive.read(base + item.get("href"))
            if item.get("media-type") == "application/xhtml+xml":
                documents[item.get("href")] = ET.fromstring(data)  # well-formed XML or this raises
    text = ""
    for document in documents.values():
        for element in document.iter():
            local = element.tag.rsplit("}", 1)[-1]
            assert local not in ("script", "img", "iframe", "object", "embed")
            assert not [name for name in element.attrib if name.startswith("on")]
            href = element.get("href", "")
            assert not re.match(r"\s*(javascript|data|vbscript):", href, re.IGNORECASE)
        text += " ".join(" ".join(document.itertext()).split())
    for item in [course.title, *(lesson.title for lesson in course.lessons), *(first_line(q.stem) for q in all_questions(course))]:
        assert one_line(item) in text
    assert "Answer key" in text


def _epubcheck() -> list[str] | None:
    """The command that runs epubcheck. Debian installs it as a bare jar behind a symlink, which
    runs only where binfmt_misc knows jars, so a jar is started with `java -jar`."""
    found = shutil.which("epubcheck")
    if found is None:
        return None
    real = os.path.realpath(found)
    if real.endswith(".jar"):
        java = shutil.which("java")
        return [java, "-jar", real] if java else None
    return [found]


def test_epub_passes_epubcheck(tmp_path: Path, hostile: Course) -> None:
    """The book is valid EPUB 3 as the reference checker sees it (Debian package `epubcheck`),
    even for a course full of markup, control characters and odd titles."""
    command = _epubcheck()
    if command is None:
        pytest.skip("epubcheck is not installed (Debian: apt-get install epubcheck; .ci/run installs it when run as root)")
    book = export_course(hostile, "epub", tmp_path / "b.epub")
    result = subprocess.run([*command, str(book)], capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "No errors or warnings detected" in output, output[-4000:]


def test_core_never_names_the_gui() -> None:
    """Core runs without Qt: no import of, and no registry string naming, a GUI module."""
    core = Path(__file__).resolve().parents[2] / "coursegen_desktop" / "core"
    offenders = [
        str(path.relative_to(core))
        for path in core.rglob("*.py")
        if re.search(r"^\s*(?:from|import)\s+(?:PySide6|coursegen_desktop\.gui)\b|[\"']coursegen_desktop\.gui\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []
