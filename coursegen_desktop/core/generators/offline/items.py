"""Question items: definitional, cloze and true-statement items with distractors taken from
the same material, rejecting any that would also make the sentence true."""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.records import Definition, Sentence, Term
from coursegen_desktop.core.generators.offline.text import (
    NEGATIVE,
    TRIGGERS,
    capitalise,
    close_inline,
    in_code_span,
    stem_set,
    tokenise,
)
from coursegen_desktop.core.options import is_numeric_option

_PARTICLES = frozenset("over into from to through back out up down away off onto the a an its their".split())


_FILL = "Fill in the blank: "
_BLANK = "____"


@dataclass
class Item:
    """A one-best-answer question before its options are shuffled into place."""

    kind: str  # "definition", "cloze" or "statement"
    stem: str
    key: str
    distractors: list[str]
    sentence: int
    score: float

    @property
    def numeric(self) -> bool:
        return all(is_numeric_option(o) for o in [self.key, *self.distractors])


class ItemWriter:
    """Turns sentences into one-best-answer items (docs/course-quality.md, offline steps 3-7)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._pool_cache: dict[tuple[int, ...], list[Item]] = {}

    def pool(self, sentence_ids: Sequence[int]) -> list[Item]:
        """Candidate items from these sentences, best first (cached: quiz and exam share them)."""
        key = tuple(dict.fromkeys(sentence_ids))
        if key not in self._pool_cache:
            self._pool_cache[key] = self._build_pool(key)
        return self._pool_cache[key]

    def _build_pool(self, sentence_ids: Sequence[int]) -> list[Item]:
        near = {self.index.sentences[i].section for i in sentence_ids}
        ranked = sorted(sentence_ids, key=lambda i: (-self.index.sentences[i].score, i))
        items: list[Item] = []
        for i in ranked[:40]:
            sentence = self.index.sentences[i]
            if sentence.definition:
                item = self.definition_item(sentence.definition, near)
                if item:
                    items.append(item)
            if sentence.qok and not NEGATIVE.search(sentence.text):
                items.extend(self.cloze_items(sentence, near, limit=2))
        items.sort(key=lambda item: (-item.score, item.sentence, item.stem))
        return items

    def definition_item(self, definition: Definition, near: set[int]) -> Item | None:
        term = self.index.terms.get(definition.key)
        text = definition.text
        if term is None or len(text.split()) > 30:
            return None
        stem = f"Which term is described as “{close_inline(text)}”?"
        distractors = self.distractors(term, stem, near, context=None)
        if len(distractors) < 2:
            return None
        options = [capitalise(term.surface)] + [capitalise(d.surface) for d in distractors]
        sentence = self.index.sentences[definition.sentence]
        clang = term.stems & definition.stems
        for d in distractors:
            clang -= d.stems
        score = sentence.score + 0.4 - (1.0 if clang else 0.0) - self._commonness(term)
        return Item("definition", stem, options[0], options[1:], sentence.index, score)

    def _commonness(self, term: Term) -> float:
        """A term found in most sections (the topic itself) makes a weak key."""
        sections = len(self.index.sections)
        return 0.5 if sections >= 4 and len(term.section_set) > 0.5 * sections else 0.0

    def cloze_items(self, sentence: Sentence, near: set[int], limit: int) -> list[Item]:
        items = []
        counts = Counter(gram for _, _, gram in sentence.occurrences)
        candidates = [o for o in sentence.occurrences if counts[o[2]] == 1 and o[2] in self.index.keyable_keys]
        candidates.sort(key=lambda o: (-self.index.terms[o[2]].score, o[0]))
        for start, end, gram in candidates[: limit + 2]:
            item = self._cloze(sentence, start, end, self.index.terms[gram], near)
            if item:
                items.append(item)
                if len(items) >= limit:
                    break
        numbers = [o for o in candidates if self.index.terms[o[2]].numeric][:1]  # a date or amount as well
        for start, end, gram in numbers:
            item = self._cloze(sentence, start, end, self.index.terms[gram], near)
            if item and all(item.stem != other.stem for other in items):
                items.append(item)
        return items

    def _cloze(self, sentence: Sentence, start: int, end: int, term: Term, near: set[int]) -> Item | None:
        text = sentence.text
        if not term.numeric and not _noun_position(sentence.low, start, end):
            return None
        a, b = sentence.spans[start][0], sentence.spans[end - 1][1]
        if in_code_span(text, a, b):
            return None  # a blank inside `code` asks for syntax, not for an idea
        if text[:a].count("(") > text[:a].count(")"):
            return None  # text in parentheses is an aside, not a key idea
        if text[a - 1 : a] in ("-", "/") or text[b : b + 1] in ("-", "/") or (text[b : b + 1].isalnum()):
            return None  # part of a longer token such as "3-PGA"
        before, after = text[:a], text[b:]
        article = re.search(r"\b(a|an|A|An)\s$", before)
        if article:
            before = before[: article.start()] + ("A(n) " if article.group(1)[0] == "A" else "a(n) ")
        blanked = f"{before}{_BLANK}{after}"
        if stem_set(tokenise(blanked)[0]) & term.stems:
            return None  # a word of the key left in the stem gives the answer away
        stem = _FILL + blanked
        context = (sentence.low[max(0, start - 2) : start], sentence.low[end : end + 2])
        distractors = self.distractors(term, stem, near, context=context)
        if len(distractors) < 2:
            return None
        at_start = a == 0
        key = text[a:b]
        options = [key] + [d.surface for d in distractors]
        if at_start:
            options = [capitalise(o) for o in options]
        score = sentence.score + 0.1 * min(term.score, 3) - self._commonness(term)
        return Item("cloze", stem, options[0], options[1:], sentence.index, score)

    def distractors(self, key: Term, stem: str, near: set[int], context: tuple[list[str], list[str]] | None, want: int = 3) -> list[Term]:
        """Other key terms of the same material and the same shape; none that would also be
        true, that contains the key, or that the stem already shows. `context` is the two
        tokens left and right of a cloze blank."""
        stem_tokens = tokenise(stem)[0]
        stem_low = f" {' '.join(stem_tokens)} "
        clang = stem_set(key.key) & stem_set(stem_tokens)
        ranked = sorted(self._candidates(key, near), key=lambda c: (-self._similarity(c, key, near, context, clang), c.key))
        accepted: list[Term] = []
        chosen: list[Term] = []
        for candidate in ranked[:80]:  # the best-matching 80 are plenty; the tail is off-class
            if len(accepted) >= want + 8:
                break
            if not self._acceptable(candidate, key, stem_low, context):
                continue
            accepted.append(candidate)
            if len(chosen) < want and all(_distinct(candidate, other) for other in chosen):
                chosen.append(candidate)
        return _fix_length_cue(key, chosen, accepted)

    def _candidates(self, key: Term, near: set[int]) -> list[Term]:
        """Same-class terms: every number of its kind, or nearby terms plus the top of the rest."""
        if key.numeric:
            return [t for t in self.index.keyable if t.numeric == key.numeric and t.key != key.key]
        pool: dict[tuple[str, ...], Term] = {}
        for section in sorted(near):
            for term in self.index.terms_by_section.get(section, [])[:60]:
                pool.setdefault(term.key, term)
        for term in self.index.keyable[:60]:
            pool.setdefault(term.key, term)
        return [t for t in pool.values() if not t.numeric and t.key != key.key]

    def _acceptable(self, candidate: Term, key: Term, stem_low: str, context: tuple[list[str], list[str]] | None) -> bool:
        if not _distinct(candidate, key):
            return False
        if f" {' '.join(candidate.key)} " in stem_low:
            return False  # an option quoted in the stem is no option
        if key.definition and candidate.definition and _jaccard(key.definition.stems, candidate.definition.stems) >= 0.5:
            return False  # two terms defined alike: both would be right
        if context and self._would_be_true(candidate, context):
            return False
        return True

    def _would_be_true(self, candidate: Term, context: tuple[list[str], list[str]]) -> bool:
        """The sentence with the candidate in the blank already appears in the material."""
        left, right = context
        return " ".join((*left, *candidate.key, *right)) in self.index.phrases

    def _similarity(self, candidate: Term, key: Term, near: set[int], context: tuple[list[str], list[str]] | None, clang: frozenset[str]) -> float:
        """How well a candidate matches the key's class (HDR #29-30; Agarwal & Mannem 2011)."""
        score = 2.0 if clang and candidate.stems & clang else 0.0  # share the stem's word too: no clang cue
        score += 2.0 if bool(candidate.definition) == bool(key.definition) else 0.0
        score += 1.0 if candidate.plural == key.plural else -1.0
        score += 1.0 if candidate.proper == key.proper else -0.5
        score += 1.0 if abs(len(candidate.key) - len(key.key)) <= 1 else -1.0
        ratio = len(candidate.surface) / max(1, len(key.surface))
        score += 1.0 if 0.6 <= ratio <= 1.6 else 0.0
        score += 1.0 if candidate.key[-1][-3:] == key.key[-1][-3:] else 0.0
        score += 0.0 if candidate.section_set.isdisjoint(near) else 1.5
        if context and context[1][:1] and context[1][0] in ("is", "are", "was", "were"):
            score += 1.0 if candidate.plural == key.plural else -2.0  # the verb after the blank fixes the number
        return score + 0.2 * min(candidate.score, 5.0)

    def statement_items(self, sentence_ids: Sequence[int], used: set[str]) -> list[Item]:
        """Fallback for thin material: the true sentence among negated versions of others."""
        quotable = [i for i in sorted(dict.fromkeys(sentence_ids), key=lambda i: (-self.index.sentences[i].score, i)) if self.index.sentences[i].qok and self.index.sentences[i].n_words <= 25]
        negatable = [(i, _negate(self.index.sentences[i].text)) for i in quotable]
        negatable = [(i, text) for i, text in negatable if text]
        items = []
        for i in quotable:
            others = [text for j, text in negatable if j != i][:3]
            sentence = self.index.sentences[i]
            if len(others) < 2 or sentence.text in used:
                continue
            stem = "According to the material, which of these statements is true?"
            items.append(Item("statement", stem, sentence.text, others, i, sentence.score - 1.0))
        return items


def _noun_position(low: list[str], start: int, end: int) -> bool:
    """The key stands where a noun phrase stands: first, or after a determiner or preposition
    ("People ____ the water cycle" blanks a verb; "flows over" after "or" is a verb too)."""
    if start == 0:
        return True
    previous = low[start - 1]
    following = low[end] if end < len(low) else "|"
    if previous in ("and", "or", "|"):
        return following not in _PARTICLES
    return previous in TRIGGERS


def _distinct(a: Term, b: Term) -> bool:
    """Neither contains the other, not two forms of one word, not near-duplicates (check 3)."""
    return _distinct_parts(a.key, a.stems, a.surface, b.key, b.stems, b.surface)


@functools.lru_cache(maxsize=65536)  # the same pairs come up for every item of a quiz and the exam
def _distinct_parts(a_key: tuple[str, ...], a_stems: frozenset[str], a_surface: str, b_key: tuple[str, ...], b_stems: frozenset[str], b_surface: str) -> bool:
    if a_stems <= b_stems or b_stems <= a_stems:
        return False
    if _singulars(a_key[-1]) & _singulars(b_key[-1]) and a_key[:-1] == b_key[:-1]:
        return False
    matcher = difflib.SequenceMatcher(None, a_surface.casefold(), b_surface.casefold())
    return matcher.real_quick_ratio() <= 0.85 or matcher.quick_ratio() <= 0.85 or matcher.ratio() <= 0.85


def _singulars(word: str) -> set[str]:
    """Possible singular forms: 'leaves' → leaf/leave, 'ions' → ion, 'bodies' → body."""
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("ves"):
        forms |= {word[:-3] + "f", word[:-3] + "fe"}
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
    return forms


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _fix_length_cue(key: Term, chosen: list[Term], ranked: list[Term]) -> list[Term]:
    """Avoid the key being by far the longest option (a classic cue, HDR #24)."""
    if len(chosen) < 2:
        return chosen
    lengths = sorted(len(t.surface) for t in chosen)
    median = lengths[len(lengths) // 2]
    if len(key.surface) <= 1.5 * median:
        return chosen
    longer = [t for t in ranked if all(t is not c and _distinct(t, c) for c in chosen) and len(t.surface) >= len(key.surface) * 0.7]
    if longer:
        shortest = min(chosen, key=lambda t: (len(t.surface), t.key))
        chosen = [longer[0] if t is shortest else t for t in chosen]
    return chosen


_NEGATABLE = re.compile(r"\b(is|are|was|were|can|will|must|should|could|may)\b")


def _negate(text: str) -> str | None:
    """'X is Y' → 'X is not Y': false according to the material that says 'X is Y'."""
    if re.search(r"\b(not|no|never|n't|cannot|nor)\b", text, re.I):
        return None
    match = _NEGATABLE.search(text)
    if not match or match.start() == 0:
        return None
    return f"{text[: match.end()]} not{text[match.end():]}"
