"""Markdown into headings, paragraphs, lists, tables and code, with inline markup stripped."""

from __future__ import annotations

import re

from coursegen_desktop.core.material.blocks import (
    BULLET,
    Block,
    collect_list,
    join_lines,
    normalise_newlines,
)
from coursegen_desktop.core.material.headings import SETEXT

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
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
            code, i = _collect_fence(lines, i)
            if code.strip():
                blocks.append(Block(code))
            continue
        atx = _ATX.match(stripped)
        if atx:
            flush()
            blocks.append(Block(_inline_markdown(atx.group(2)), level=len(atx.group(1))))
        elif not stripped.strip():
            flush()
        elif para == [] and SETEXT.match(nxt) and not BULLET.match(stripped) and not SETEXT.match(stripped):
            blocks.append(Block(_inline_markdown(stripped.strip()), level=1 if nxt.strip()[0] == "=" else 2))
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


def _collect_fence(lines: list[str], i: int) -> tuple[str, int]:
    fence = _FENCE.match(lines[i]).group(1)
    body: list[str] = []
    i += 1
    while i < len(lines) and not lines[i].strip().startswith(fence):
        body.append(lines[i].rstrip())
        i += 1
    return "\n".join(body), i + 1


def _collect_table(lines: list[str], i: int) -> tuple[list[str], int]:
    rows: list[str] = []
    while i < len(lines) and lines[i].strip().startswith("|"):
        if not _TABLE_RULE.match(lines[i]):
            cells = [_inline_markdown(cell.strip()) for cell in lines[i].strip().strip("|").split("|")]
            rows.append(" | ".join(cell for cell in cells if cell))
        i += 1
    return [row for row in rows if row], i


_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!])"), r"\1"),
)


def _inline_markdown(text: str) -> str:
    """Strip inline Markdown (links, emphasis, code, HTML) down to the words a reader sees."""
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text
