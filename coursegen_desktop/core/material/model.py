"""The material as the generators see it: chunks of text with their source and headings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from coursegen_desktop.core.material.bm25 import BM25
from coursegen_desktop.core.material.words import content_words


@dataclass(frozen=True)
class Chunk:
    """A piece of one file's text with where it came from, so every use of it can be cited."""

    source: str  # the file's name as the user knows it
    heading: str  # nearest section heading, "" when the text has none
    text: str
    page: int | None = None
    # The enclosing headings, outermost first (ends with `heading`): lets a planner group
    # sections into modules even when a parent heading has no text of its own.
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Material:
    """All the chunks of a course's files, in the order the user added them."""

    chunks: tuple[Chunk, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.chunks

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(chunk.source for chunk in self.chunks))

    @property
    def char_count(self) -> int:
        return sum(len(chunk.text) for chunk in self.chunks)

    def select(self, query: str, max_chars: int) -> list[Chunk]:
        """The chunks most relevant to `query` (BM25) that fit in `max_chars`, in source order.

        Used when the material is larger than a model's context: ranking is deterministic, and
        keeping source order lets the reader follow the original flow.
        """
        if max_chars <= 0 or not self.chunks:
            return []
        if self.char_count <= max_chars:
            return list(self.chunks)
        scores = self._bm25.scores(content_words(query))
        order = sorted(range(len(self.chunks)), key=lambda i: (-scores[i], i))
        chosen: list[int] = []
        used = 0
        for i in order:
            size = len(self.chunks[i].text)
            if used + size <= max_chars:
                chosen.append(i)
                used += size
        return [self.chunks[i] for i in sorted(chosen)]

    @cached_property
    def _bm25(self) -> BM25:
        return BM25([content_words(f"{chunk.heading} {chunk.text}") for chunk in self.chunks])
