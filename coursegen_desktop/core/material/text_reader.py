"""Plain text (and extracted PDF text) into paragraphs, lists and heuristic headings."""

from __future__ import annotations

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
from coursegen_desktop.core.material.headings import (
    SETEXT,
    Levels,
    clean_heading,
    heading_style,
)


def plain_blocks(text: str, *, page_of_line: list[int] | None = None, strict: bool = False) -> list[Block]:
    """Paragraphs, lists and heuristic headings of plain text (also used for PDF pages)."""
    lines = normalise_newlines(text).split("\n")
    levels = Levels()
    blocks: list[Block] = []
    para: list[str] = []
    para_page: list[int | None] = [None]
    typical = typical_length(lines)

    def page(i: int) -> int | None:
        return page_of_line[i] if page_of_line else None

    def flush() -> None:
        if para:
            blocks.append(Block(join_lines(para, text), page=para_page[0]))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
        prev_blank = i == 0 or not lines[i - 1].strip()
        if not line.strip():
            flush()
            i += 1
            continue
        setext = SETEXT.match(nxt)
        if setext and prev_blank and not BULLET.match(line) and len(line.strip()) <= 100:
            flush()
            style = "setext=" if setext.group(1)[0] == "=" else "setext-"
            blocks.append(Block(line.strip(), level=levels.level(style), page=page(i)))
            i += 2
            continue
        if SETEXT.match(line):  # a rule line on its own: a separator, not text
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
            blocks.append(Block("\n".join(items), page=page(i - 1)))
            continue
        if not para:
            para_page[0] = page(i)
        para.append(line.strip())
        if strict and ends_sentence(line) and len(line.strip()) < 0.8 * typical:
            flush()  # PDF text has no blank lines: a short line that ends a sentence ends its paragraph
        i += 1
    flush()
    return blocks
