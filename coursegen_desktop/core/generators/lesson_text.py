"""Lesson answers as text: the evidence quotes written before a lesson, the streamed preview
that hides them, and the `Lesson` built from the markdown. Shared by the network generators."""

from __future__ import annotations

import re

from coursegen_desktop.core.generators.base import TEXT_RESTART, TextSink
from coursegen_desktop.core.material import Chunk
from coursegen_desktop.core.models import Lesson, LessonPlan, ModulePlan

_QUOTES = re.compile(r"^\s*<quotes>(.*?)</quotes>\s*", re.S)
_OPEN = "<quotes>"


def split_quotes(text: str) -> tuple[list[str], str]:
    """(evidence quotes, lesson markdown) from a lesson answer that may begin with <quotes>…</quotes>."""
    match = _QUOTES.match(text)
    if not match:
        return [], text
    quotes = [line.strip().strip('"“”').strip() for line in match.group(1).splitlines()]
    return [q for q in quotes if q], text[match.end() :]


class LessonText:
    """Forwards streamed lesson text to the preview, holding back a leading <quotes> block."""

    def __init__(self, sink: TextSink) -> None:
        self._sink = sink
        self._buffer = ""
        self._state = "start"  # start → quotes → body
        self.emitted = False

    def feed(self, delta: str) -> None:
        if self._state == "body":
            self._emit(delta)
            return
        self._buffer += delta
        if self._state == "start":
            head = self._buffer.lstrip()
            if head.startswith(_OPEN):
                self._state = "quotes"
            elif _OPEN.startswith(head):
                return  # could still become "<quotes>"
            else:
                self._state = "body"
                self._flush(self._buffer)
                return
        end = self._buffer.find("</quotes>")
        if end >= 0:
            self._state = "body"
            self._flush(self._buffer[end + len("</quotes>") :].lstrip())

    def restart(self) -> None:
        """A new attempt begins: tell the preview if it already showed text from the failed one."""
        if self.emitted:
            self._sink(TEXT_RESTART)
        self._buffer, self._state, self.emitted = "", "start", False

    def _flush(self, text: str) -> None:
        self._buffer = ""
        if text:
            self._emit(text)

    def _emit(self, text: str) -> None:
        self.emitted = True
        self._sink(text)


def _sections(markdown: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
    return sections


def key_points(markdown: str) -> list[str]:
    """Bullets of the "Key points" section: found by name, else by position (second to last),
    because headings are written in the course language."""
    sections = _sections(markdown)
    named = [body for title, body in sections if re.search(r"key\s*points|summary", title, re.I)]
    body = named[0] if named else sections[-2][1] if len(sections) >= 2 else []
    points = [re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip() for line in body if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line)]
    return [p for p in points if p][:8]


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def sources_for(quotes: list[str], chunks: list[Chunk]) -> list[str]:
    """Files that contain at least one of the lesson's quotes (unverifiable quotes name none)."""
    found: list[str] = []
    for chunk in chunks:
        text = _normal(chunk.text)
        if chunk.source not in found and any(len(q) > 8 and _normal(q) in text for q in quotes):
            found.append(chunk.source)
    return found


def make_lesson(module: ModulePlan, plan: LessonPlan, raw: str, chunks: list[Chunk]) -> Lesson | None:
    """The lesson written in `raw` (quotes first, then markdown), or None when it is empty."""
    quotes, markdown = split_quotes(raw)
    if not markdown.strip():
        return None
    return Lesson(
        id=plan.id,
        module_id=module.id,
        title=plan.title,
        markdown=markdown.strip(),
        key_points=key_points(markdown),
        objectives_covered=list(plan.objective_ids),
        sources=sources_for(quotes, chunks),
    )
