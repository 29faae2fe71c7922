"""Plain text (also reStructuredText, and extracted PDF text) into paragraphs, lists, code
blocks and heuristic headings."""

from __future__ import annotations

import re

from coursegen_desktop.core.material.blocks import (
    BULLET,
    Block,
    collect_list,
    ends_sentence,
    join_lines,
    normalise_newlines,
    starts_upper,
    typical_length,
)
from coursegen_desktop.core.material.code import (
    SESSION_LANG,
    collect_indented,
    collect_session,
    is_prompt,
    looks_like_code,
    tidy_code,
)
from coursegen_desktop.core.material.headings import (
    SETEXT,
    Levels,
    clean_heading,
    heading_style,
)

# reStructuredText: underlines beyond Markdown's = and -, directives, literal blocks, roles.
_UNDERLINE = re.compile(r"^\s{0,3}([=\-~^\"'`#*+])\1{2,}\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)")
_DIRECTIVE = re.compile(r"^\.\.\s+([\w:-]+)::\s*(.*)$")
_CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "doctest", "testcode", "testoutput", "highlight"})
_SILENT_DIRECTIVES = frozenset({"index", "toctree", "image", "figure", "meta", "raw", "include", "literalinclude", "only", "contents"})
_COMMENT = re.compile(r"^\.\.(?:\s|$)")
_INDENTED = re.compile(r"^[ \t]+\S")
_DOUBLE_BACKTICKS = re.compile(r"``(.+?)``")
_ROLE = re.compile(r":(?:[\w-]+:)*([\w-]+):`([^`]+)`")
_TEXT_ROLES = frozenset({"ref", "doc", "term", "abbr", "dfn", "title", "pep", "rfc", "emphasis", "strong", "numref"})


def plain_blocks(text: str, *, page_of_line: list[int] | None = None, strict: bool = False) -> list[Block]:
    """Paragraphs, lists, code and heuristic headings of plain text (also used for PDF pages,
    with `strict`: no blank lines there, and code arrives fenced by the PDF reader)."""
    lines = normalise_newlines(text).split("\n")
    levels = Levels()
    blocks: list[Block] = []
    para: list[str] = []
    para_page: list[int | None] = [None]
    typical = typical_length(lines)
    literal = [False]  # the last paragraph ended with "::": the indented block after it is code

    def page(i: int) -> int | None:
        return page_of_line[i] if page_of_line else None

    def flush() -> None:
        if para:
            joined = join_lines(para, text)
            literal[0] = not strict and joined.endswith("::")
            if literal[0]:
                joined = joined[:-3].rstrip() if joined.endswith(" ::") or joined == "::" else joined[:-1]
            if joined.strip():
                blocks.append(Block(_inline_rst(joined), page=para_page[0]))
            para.clear()

    def add_code(code: str, lang: str, i: int) -> None:
        if code.strip():
            blocks.append(Block(code, page=page(i), code=True, lang=SESSION_LANG if not lang and is_prompt(code) else lang))

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
        prev_blank = i == 0 or not lines[i - 1].strip()
        if not line.strip():
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            code, i = _collect_fence(lines, i, fence.group(1))
            add_code(code, fence.group(2), i - 1)
            continue
        if is_prompt(line) and (prev_blank or strict or not para):
            flush()
            start = i
            session, i = collect_session(lines, i, until_blank=not strict)
            add_code(session, SESSION_LANG, start)
            continue
        if strict and looks_like_code(line) and looks_like_code(nxt):  # code in the prose's font
            flush()
            start = i
            while i < len(lines) and lines[i].strip() and looks_like_code(lines[i]):
                i += 1
            add_code(tidy_code("\n".join(lines[start:i])), "", start)
            continue
        if not strict and not para:
            handled = _rst_markup(lines, i, prev_blank, literal[0], add_code)
            if handled is not None:
                literal[0] = False
                i = handled
                continue
        setext = SETEXT.match(nxt) or (_UNDERLINE.match(nxt) if not strict and len(nxt.strip()) >= len(line.strip()) - 1 else None)
        if setext and prev_blank and not BULLET.match(line) and len(line.strip()) <= 100:
            flush()
            style = f"setext{setext.group(1)[0]}"
            blocks.append(Block(_inline_rst(line.strip(), keep_code=False), level=levels.level(style), page=page(i)))
            i += 2
            continue
        if SETEXT.match(line) or (not strict and _UNDERLINE.match(line) and prev_blank):  # a rule line on its own: a separator
            flush()
            i += 1
            continue
        isolated = prev_blank and not nxt.strip()
        after_heading = bool(blocks) and blocks[-1].is_heading and not para
        at_start = prev_blank or (strict and (ends_sentence(lines[i - 1]) or after_heading))
        style = heading_style(line, isolated=isolated or (strict and at_start and starts_upper(nxt)), strict=strict) if at_start else None
        if style:
            flush()
            blocks.append(Block(clean_heading(line), level=levels.level(style), page=page(i)))
            i += 1
            continue
        if BULLET.match(line):
            flush()
            items, i = collect_list(lines, i)
            blocks.append(Block("\n".join(_inline_rst(item) for item in items), page=page(i - 1)))
            continue
        if not para:
            para_page[0] = page(i)
        para.append(line.strip())
        if strict and ends_sentence(line) and len(line.strip()) < 0.8 * typical:
            flush()  # PDF text has no blank lines: a short line that ends a sentence ends its paragraph
        i += 1
    flush()
    return blocks


def _collect_fence(lines: list[str], i: int, marker: str) -> tuple[str, int]:
    body: list[str] = []
    i += 1
    while i < len(lines) and not (lines[i].strip().startswith(marker) and not lines[i].strip().strip(marker[0])):
        body.append(lines[i])
        i += 1
    return tidy_code("\n".join(body)), i + 1


def _rst_markup(lines: list[str], i: int, prev_blank: bool, literal: bool, add_code) -> int | None:  # noqa: ANN001
    """Directives, comments, literal blocks after `::` and indented code; returns the next line
    when line i started one of them, else None."""
    line = lines[i]
    directive = _DIRECTIVE.match(line)
    if directive or _COMMENT.match(line):
        name = directive.group(1).lower() if directive else ""
        j = i + 1
        while j < len(lines) and re.match(r"^\s+:[\w-]+:", lines[j]):  # directive options
            j += 1
        while j < len(lines) and not lines[j].strip() and j + 1 < len(lines) and _INDENTED.match(lines[j + 1]):
            j += 1
        if j < len(lines) and _INDENTED.match(lines[j]):
            body, end = collect_indented(lines, j, _INDENTED)
            if name in _CODE_DIRECTIVES:
                add_code(body, directive.group(2).strip() if directive else "", j)
                return end
            if not directive or name in _SILENT_DIRECTIVES:
                return end  # a comment, an index entry, a table of contents: nothing to learn from
            return j  # an admonition (note, warning…): its body is ordinary text
        return j
    if _INDENTED.match(line) and prev_blank:
        body, end = collect_indented(lines, i, _INDENTED)
        if literal or any(looks_like_code(row) for row in body.split("\n")):
            add_code(body, "", i)
            return end
    return None


def _inline_rst(text: str, *, keep_code: bool = True) -> str:
    """reStructuredText inline markup as the rest of the app writes it: ``code`` and code roles
    as `code`, text roles (:ref:`Title <label>`) as their words."""

    def role(match: re.Match[str]) -> str:
        body = re.sub(r"\s*<[^>]*>$", "", match.group(2)).strip() or match.group(2)
        if match.group(1) in _TEXT_ROLES or not keep_code:
            return body.lstrip("~!")
        return f"`{body.lstrip('~!')}`"

    text = _ROLE.sub(role, text)
    return _DOUBLE_BACKTICKS.sub(lambda m: f"`{m.group(1)}`" if keep_code else m.group(1), text)
