"""Markdown into headings, paragraphs, lists, tables and code blocks; inline markup is stripped
to the words a reader sees, except inline code, which keeps its backticks."""

from __future__ import annotations

import re

from coursegen_desktop.core.material.blocks import (
    BULLET,
    Block,
    collect_list,
    join_lines,
    normalise_newlines,
)
from coursegen_desktop.core.material.code import SESSION_LANG, collect_indented, collect_session, is_prompt, looks_like_code, tidy_code
from coursegen_desktop.core.material.headings import SETEXT

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def markdown_blocks(text: str) -> list[Block]:
    """ATX and setext headings, paragraphs, lists, tables and code of a Markdown file."""
    text = normalise_newlines(text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if 0 < end < 5000:
            text = text[end + 5 :]
    lines = text.split("\n")
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block(_inline_markdown(join_lines(para, text))))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = re.sub(r"^\s{0,3}>\s?", "", line)
        nxt = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
        if _FENCE.match(line):
            flush()
            code, lang, i = _collect_fence(lines, i)
            if code.strip():
                blocks.append(Block(code, code=True, lang=lang))
            continue
        if is_prompt(line) and not para:  # a `>>>` session, not a quote nested three deep
            session, i = collect_session(lines, i)
            blocks.append(Block(session, code=True, lang=SESSION_LANG))
            continue
        if _INDENTED.match(line) and not para and _indented_is_code(lines, i, blocks):
            code, i = _collect_indented(lines, i)
            blocks.append(Block(code, code=True, lang=SESSION_LANG if is_prompt(code) else ""))
            continue
        atx = _ATX.match(stripped)
        if atx:
            flush()
            blocks.append(Block(_inline_markdown(atx.group(2), keep_code=False), level=len(atx.group(1))))
        elif not stripped.strip():
            flush()
        elif para == [] and SETEXT.match(nxt) and not BULLET.match(stripped) and not SETEXT.match(stripped):
            blocks.append(Block(_inline_markdown(stripped.strip(), keep_code=False), level=1 if nxt.strip()[0] == "=" else 2))
            i += 1
        elif SETEXT.match(stripped) or re.fullmatch(r"\s*([*_])(\s*\1){2,}\s*", stripped):
            flush()  # thematic break
        elif stripped.lstrip().startswith("|"):
            flush()
            rows, i = _collect_table(lines, i)
            blocks.append(Block("\n".join(rows)))
            continue
        elif BULLET.match(stripped):
            flush()
            items, i = collect_list(lines, i)
            blocks.append(Block("\n".join(_inline_markdown(item) for item in items)))
            continue
        else:
            para.append(stripped.strip())
        i += 1
    flush()
    return blocks


def _collect_fence(lines: list[str], i: int) -> tuple[str, str, int]:
    """A fenced block: its code (indentation kept), the language of its info string, the next line."""
    opened = _FENCE.match(lines[i])
    fence = opened.group(1)
    lang = (lines[i].strip()[len(fence) :].strip().split() or [""])[0].strip("{}.")
    indent = len(lines[i]) - len(lines[i].lstrip())
    body: list[str] = []
    i += 1
    while i < len(lines) and not (lines[i].strip().startswith(fence) and not lines[i].strip().strip(fence[0])):
        line = lines[i].rstrip()
        body.append(line[min(indent, len(line) - len(line.lstrip())) :])
        i += 1
    return tidy_code("\n".join(body)), lang, i + 1


def _indented_is_code(lines: list[str], i: int, blocks: list[Block]) -> bool:
    """An indented block after a blank line is code, except the indented continuation of a
    list item (then it is code only when it reads like code)."""
    if i > 0 and lines[i - 1].strip():
        return False
    after_list = bool(blocks) and not blocks[-1].code and not blocks[-1].is_heading and bool(BULLET.match(blocks[-1].text))
    if not after_list:
        return True
    code, _ = _collect_indented(lines, i)
    return any(looks_like_code(line) for line in code.split("\n"))


def _collect_indented(lines: list[str], i: int) -> tuple[str, int]:
    return collect_indented(lines, i, _INDENTED)


def _collect_table(lines: list[str], i: int) -> tuple[list[str], int]:
    rows: list[str] = []
    while i < len(lines) and lines[i].strip().startswith("|"):
        if not _TABLE_RULE.match(lines[i]):
            cells = [_inline_markdown(cell.strip()) for cell in lines[i].strip().strip("|").split("|")]
            rows.append(" | ".join(cell for cell in cells if cell))
        i += 1
    return [row for row in rows if row], i


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!])"), r"\1"),
)


def _inline_markdown(text: str, *, keep_code: bool = True) -> str:
    """Strip inline Markdown (links, emphasis, HTML) down to the words a reader sees. Inline
    code stays code, `like this` (in headings, which become plain titles, just its text), and
    the other rules never reach inside it."""
    out: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_strip_inline(text[last : span.start()]))
        code = span.group(2).strip()
        out.append(code if not keep_code else f"`{code}`" if "`" not in code else span.group(0))
        last = span.end()
    out.append(_strip_inline(text[last:].replace("`", "")))  # an unmatched backtick is not markup
    return "".join(out)


def _strip_inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text
