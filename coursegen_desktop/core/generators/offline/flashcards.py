"""Flashcards: term-to-definition cards plus cloze cards on key sentences of a lesson."""

from __future__ import annotations

from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.items import ItemWriter
from coursegen_desktop.core.generators.offline.text import capitalise, close_inline
from coursegen_desktop.core.models import Flashcard


def cards_for(index: Index, writer: ItemWriter, ids: list[int], module_id: str) -> list[Flashcard]:
    """Term → definition cards plus cloze cards on key sentences (SuperMemo rules 4, 5, 16)."""
    cards = []
    for d in index.defined_terms(ids)[:5]:
        back = _short_definition(d.text)
        if back:
            cards.append(Flashcard(front=d.question(), back=back, module_id=module_id, source=index.cite(index.sentences[d.sentence])))
    used: set[int] = set()
    for item in writer.pool(ids):
        sentence = index.sentences[item.sentence]
        if item.kind == "cloze" and sentence.n_words <= 16 and not sentence.definition and sentence.index not in used:
            cards.append(Flashcard(front=item.stem, back=item.key, module_id=module_id, source=index.cite(sentence)))
            used.add(sentence.index)
            if len(used) == 2:
                break
    return cards


def _short_definition(text: str, limit: int = 25) -> str | None:
    """The definition, cut at a clause boundary to at most `limit` words, or None."""
    words_ = text.split()
    if len(words_) > limit:
        cut = text.rfind(",", 0, len(" ".join(words_[:limit])))
        if cut < 20:
            return None
        text = text[:cut]
    return close_inline(capitalise(text.rstrip(" ,;"))) + "."
