"""A single self-contained web page with the whole course and quizzes that check themselves.

It must work from a USB stick or an e-mail attachment: no remote assets, CSS and JS inline,
quizzes scored in the page. A Content-Security-Policy forbids every remote load, and allows
only our own script (by hash), so even markup that slipped through escaping could not run.
The SCORM export reuses `page`, `interactive_quiz` and `QUIZ_JS`.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from coursegen_desktop.core.export import html_parts
from coursegen_desktop.core.export.course_parts import letter, module_views
from coursegen_desktop.core.export.text import esc, esc_lines, language_code
from coursegen_desktop.core.models import Course, Question

CSS = """
:root { --fg: #1d232a; --muted: #5b6670; --bg: #fdfdfc; --panel: #f1f3f5; --accent: #2456a6;
        --ok: #1e7b34; --bad: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8ea; --muted: #a3acb5; --bg: #15181b; --panel: #22272c; --accent: #8ab4f8;
          --ok: #7bd88f; --bad: #f28b82; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); display: flex; }
nav.toc { position: sticky; top: 0; height: 100vh; overflow: auto; width: 18rem; flex: none; padding: 1rem;
          background: var(--panel); font-size: 0.9rem; }
nav.toc ul { padding-left: 1rem; margin: 0.2rem 0; } nav.toc a { color: inherit; text-decoration: none; }
nav.toc a:hover { color: var(--accent); text-decoration: underline; }
main { max-width: 48rem; padding: 1rem 2rem 4rem; margin: 0 auto; min-width: 0; }
h1, h2, h3, h4 { line-height: 1.25; } h2 { border-bottom: 2px solid var(--panel); padding-bottom: 0.3rem; margin-top: 3rem; }
a { color: var(--accent); }
.facts, .label { color: var(--muted); } .label { font-weight: 600; margin-bottom: 0; }
pre { background: var(--panel); padding: 0.8rem; overflow: auto; border-radius: 6px; }
code { font-family: ui-monospace, "Cascadia Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid var(--muted); padding: 0.3rem 0.6rem; }
blockquote { margin-left: 0; padding-left: 1rem; border-left: 4px solid var(--panel); color: var(--muted); }
.quiz { background: var(--panel); border-radius: 8px; padding: 0.5rem 1.2rem 1rem; margin: 2rem 0; }
.quiz .questions > li { margin: 1rem 0; } .stem { margin: 0 0 0.4rem; font-weight: 600; }
.quiz .options { list-style: none; padding: 0; margin: 0; }
.quiz .options label { display: block; padding: 0.25rem 0.5rem; border-radius: 4px; cursor: pointer; }
.quiz .options label:hover { background: var(--bg); }
.quiz .checked .key label { outline: 2px solid var(--ok); }
.verdict { font-weight: 600; margin: 0.4rem 0 0; } .right .verdict { color: var(--ok); } .wrong .verdict { color: var(--bad); }
.explanation { margin: 0.2rem 0 0; }
.controls button { font: inherit; padding: 0.35rem 0.9rem; margin-right: 0.5rem; border-radius: 4px;
                   border: 1px solid var(--accent); background: var(--bg); color: var(--fg); cursor: pointer; }
.controls .check { background: var(--accent); color: var(--bg); }
.score { font-weight: 600; }
details.card { background: var(--panel); border-radius: 6px; padding: 0.5rem 1rem; margin: 0.5rem 0; }
details.card summary { cursor: pointer; font-weight: 600; } details.card p { margin: 0.4rem 0; }
@media (max-width: 50rem) { body { display: block; } nav.toc { position: static; height: auto; width: auto; } }
@media print { nav.toc, .controls { display: none; } body { display: block; } .feedback[hidden] { display: block; } }
"""

QUIZ_JS = """
(function () {
  "use strict";
  function check(quiz) {
    var questions = quiz.querySelectorAll(".question"), right = 0;
    questions.forEach(function (question) {
      var answer = question.getAttribute("data-answer");
      var chosen = question.querySelector("input:checked");
      var ok = chosen !== null && chosen.value === answer;
      if (ok) { right += 1; }
      question.classList.add("checked");
      question.classList.toggle("right", ok);
      question.classList.toggle("wrong", !ok);
      question.querySelectorAll(".options li").forEach(function (item, index) {
        item.classList.toggle("key", String(index) === answer);
      });
      var key = "ABCDEF".charAt(Number(answer));
      question.querySelector(".verdict").textContent = ok ? "Correct."
        : (chosen ? "Not quite." : "No answer chosen.") + " The answer is " + key + ".";
      question.querySelector(".feedback").hidden = false;
    });
    var total = questions.length;
    quiz.querySelector(".score").textContent = "Score: " + right + " / " + total;
    quiz.dispatchEvent(new CustomEvent("quizchecked", { bubbles: true, detail: { right: right, total: total } }));
  }
  function reset(quiz) {
    quiz.querySelectorAll("input").forEach(function (input) { input.checked = false; });
    quiz.querySelectorAll(".question").forEach(function (question) {
      question.classList.remove("checked", "right", "wrong");
      question.querySelector(".feedback").hidden = true;
    });
    quiz.querySelector(".score").textContent = "";
  }
  document.querySelectorAll(".quiz").forEach(function (quiz) {
    quiz.querySelector(".check").addEventListener("click", function () { check(quiz); });
    quiz.querySelector(".reset").addEventListener("click", function () { reset(quiz); });
  });
})();
"""


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def page(title: str, body: str, lang: str, scripts: tuple[str, ...] = (QUIZ_JS,)) -> str:
    """A complete HTML document; only `scripts` (trusted, ours) may run, nothing may be fetched."""
    hashes = " ".join(_script_hash(script) for script in scripts) or "'none'"
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {hashes}; base-uri 'none'; form-action 'none'"
    script_tags = "".join(f"<script>{script}</script>\n" for script in scripts)
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="CourseGen Desktop">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}{script_tags}</body>\n</html>\n"
    )


def _question_item(quiz_id: str, number: int, question: Question) -> str:
    name = f"{quiz_id}-q{number}"
    options = "".join(
        f'<li><label><input type="radio" name="{name}" value="{i}"> {letter(i)}. {esc(option)}</label></li>'
        for i, option in enumerate(question.options)
    )
    explanation = f'<p class="explanation">{esc_lines(question.explanation)}</p>' if question.explanation.strip() else ""
    return (
        f'<li class="question" data-answer="{question.answer_index}"><p class="stem">{esc_lines(question.stem)}</p>'
        f'<ul class="options">{options}</ul><div class="feedback" hidden><p class="verdict"></p>{explanation}</div></li>\n'
    )


def interactive_quiz(quiz_id: str, title: str, questions: list[Question], level: int) -> str:
    items = "".join(_question_item(quiz_id, n, question) for n, question in enumerate(questions, start=1))
    return (
        f'<section class="quiz" id="{quiz_id}">\n{html_parts.heading(level, title)}<ol class="questions">\n{items}</ol>\n'
        '<p class="controls"><button type="button" class="check">Check answers</button>'
        '<button type="button" class="reset">Try again</button> <span class="score" aria-live="polite"></span></p>\n'
        "</section>\n"
    )


def _flashcards(course: Course) -> str:
    if not course.flashcards:
        return ""
    cards = "".join(
        f'<details class="card"><summary>{esc_lines(card.front)}</summary><p>{esc_lines(card.back)}</p></details>\n'
        for card in course.flashcards
    )
    return html_parts.heading(2, "Flashcards", "flashcards") + cards


def course_html(course: Course) -> str:
    modules = module_views(course)
    extra_links = '<li><a href="#exam">Practice exam</a></li><li><a href="#answer-key">Answer key</a></li>'
    extra_links += '<li><a href="#flashcards">Flashcards</a></li>' if course.flashcards else ""
    nav = f'<nav class="toc" aria-label="Contents"><p class="label">Contents</p>{html_parts.outline_list(course, link=True)}<ul>{extra_links}</ul></nav>\n'
    parts = [html_parts.course_header(course)]
    for module in modules:
        parts.append(f'<section class="module">\n{html_parts.heading(2, module.heading, f"m{module.number}")}')
        parts.append(f"<p>{esc_lines(module.summary)}</p>\n" if module.summary.strip() else "")
        parts += [html_parts.lesson_section(module, i, lesson, 3) for i, lesson in enumerate(module.lessons, start=1)]
        if module.quiz is not None:
            parts.append(interactive_quiz(f"quiz-{module.number}", module.quiz.title, module.quiz.questions, 3))
        parts.append("</section>\n")
    parts.append(interactive_quiz("exam", course.exam.title, course.exam.questions, 2))
    parts.append(f'<details class="answer-key"><summary>Show the answer key</summary>\n{html_parts.answer_key(course, 2)}</details>\n')
    parts.append(_flashcards(course))
    return page(course.title, nav + "<main>\n" + "".join(parts) + "</main>\n", language_code(course.language))


def write_html(course: Course, path: Path) -> None:
    path.write_text(course_html(course), encoding="utf-8")
