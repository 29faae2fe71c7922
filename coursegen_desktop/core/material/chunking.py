"""Grouping blocks into ~2-3k character chunks under their heading path, so the planner can
follow the material's structure and citations can name a section."""

from __future__ import annotations

from collections.abc import Iterable

from coursegen_desktop.core.material.blocks import Block
from coursegen_desktop.core.material.code import fence, tidy_code
from coursegen_desktop.core.material.model import Chunk
from coursegen_desktop.core.material.sentences import split_sentences

CHUNK_TARGET = 2000  # flush a chunk once it is this long ...
CHUNK_MAX = 3000  # ... and never let one grow past this


def chunk_blocks(source: str, blocks: Iterable[Block]) -> list[Chunk]:
    """Group body blocks under their nearest heading into ~2-3k character chunks."""
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    parts: list[str] = []
    state = {"size": 0, "page": None}

    def flush() -> None:
        if parts:
            path = tuple(title for _, title in stack)
            chunks.append(Chunk(source=source, heading=path[-1] if path else "", text="\n\n".join(parts), page=state["page"], path=path))
        parts.clear()
        state["size"] = 0

    for block in blocks:
        text = tidy_code(block.text) if block.code else block.text.strip()
        if not text.strip():
            continue
        if block.is_heading:
            flush()
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, text))
            continue
        for piece in _split_code(text, block.lang) if block.code else _split_long(text):
            if parts and state["size"] + len(piece) > CHUNK_MAX:
                flush()
            if not parts:
                state["page"] = block.page
            parts.append(piece)
            state["size"] += len(piece) + 2
            if state["size"] >= CHUNK_TARGET:
                flush()
    flush()
    return chunks


def _split_code(code: str, lang: str) -> list[str]:
    """A code block as fenced pieces, cut between lines only when it is longer than CHUNK_MAX."""
    pieces: list[str] = []
    current: list[str] = []
    for line in code.split("\n"):
        if current and sum(len(x) + 1 for x in current) + len(line) > CHUNK_MAX - 20:
            pieces.append(fence("\n".join(current), lang))
            current = []
        current.append(line[: CHUNK_MAX - 20])
    if current:
        pieces.append(fence("\n".join(current), lang))
    return pieces


def _split_long(text: str) -> list[str]:
    """Split a block longer than CHUNK_MAX at line, then sentence, then word boundaries."""
    if len(text) <= CHUNK_MAX:
        return [text]
    units = text.split("\n") if "\n" in text else split_sentences(text)
    if len(units) == 1:
        units = text.split(" ")
    pieces: list[str] = []
    current = ""
    joiner = "\n" if "\n" in text else " "
    for unit in units:
        while len(unit) > CHUNK_MAX:  # a single giant "word": hard cut
            pieces.append(unit[:CHUNK_MAX])
            unit = unit[CHUNK_MAX:]
        if current and len(current) + len(unit) + 1 > CHUNK_MAX:
            pieces.append(current)
            current = ""
        current = f"{current}{joiner}{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces
