"""The offline generator: an extractive course builder from the user's own material.

No network and no model. Every sentence in a lesson and every quiz key is taken from the
material, so the course is grounded by construction (COURSE_QUALITY.md, "Offline generator").
The pipeline follows Agarwal & Mannem (2011): split sentences, score them (keyword centrality,
definitional cues), choose key terms that occur in them, and take distractors of the same shape
from the same material, rejecting any that would make the sentence true.

Deterministic: the same material, request and job id give the same course, so a resumed job
continues exactly where it stopped. The text index is built once per material object.
"""

from __future__ import annotations

import difflib
import functools
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.material import STOPWORDS, Material, light_stem, split_sentences
from coursegen_desktop.core.models import (
    BloomLevel,
    Exam,
    Flashcard,
    FlashcardDeck,
    GlossaryEntry,
    Lesson,
    LessonPlan,
    ModulePlan,
    Objective,
    Outline,
    Question,
    Quiz,
    Usage,
)
from coursegen_desktop.core.review import balanced_positions, is_numeric_option, normalise_option, numeric_value, place_key

NO_MATERIAL = "The offline generator builds a course from your own material; add a file (or set an API key to let Claude write it)."

_TOKEN = re.compile(r"(?P<w>[^\W_]*[^\W\d_][^\W_]*(?:['’-][^\W_]+)*)|(?P<n>\d+(?:[.,]\d+)*)|(?P<p>[^\w\s])")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•·▪‣◦]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+")
_HEADING_NUMBER = re.compile(r"^(?:(?:chapter|part|section|unit|module|lesson)\s+)?(?:\d{1,2}(?:\.\d{1,2})*[.:)]?|(?:[ivxlc]+|[a-z])[.:)])\s+(?=\S)", re.I)
_PRONOUN_START = frozenset("it this they these those he she such that there here we you its their his her both".split())
_NOT_TERM = frozenset("it this that these those they there here such each every some most many much all both one its their our his her which what who how when where why another other any no".split())
_GENERIC = frozenset(
    """process processes example examples way ways part parts type types kind kinds form forms amount number numbers
    use case cases time times result results fact facts thing things lot side end order place set series word words
    name level step steps stage stages idea ideas people course notes note section chapter page figure table first
    second third other same different many several various certain main new large small little big high low long short
    good well much few own whole total rest share effect effects role summary description reason reasons
    point points question questions answer answers term terms way something someone everything anything
    two three four five six seven eight nine ten eleven twelve hundred thousand million billion half""".split()
)
_META_DEF = frozenset("summary example description result reason question answer point idea thing lot way bit case matter story".split())
_DETERMINERS = frozenset("the a an its their this these each every some many most such both his her our your".split())
_PARTICLES = frozenset("over into from to through back out up down away off onto the a an its their".split())
_NEGATIVE = re.compile(r"\b(?:not|never|except|false|least|n't|cannot)\b", re.I)
_TRIGGERS = frozenset("the a an of in into from by with and or called as on at for between through during than its their this these each every some many most such both".split())
_STEP_CUE = re.compile(r"^(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|after (?:that|this)|afterwards|finally|lastly|step \d+)\b", re.I)
_FIRST_STEP = re.compile(r",\s+first\b", re.I)
_CUES = re.compile(r"\b(?:because|consists? of|is called|are called|refers? to|is defined as|therefore|so that|which is why|as a result)\b", re.I)
_DEFINITIONS = (
    re.compile(r"^(?:(?:the|a|an)\s+)?(?P<term>[\w’'()\- ]{2,60}?)\s+(?P<cop>is|are)\s+(?:defined as\s+)?(?P<def>(?:a|an|the|any|one of the)\s.{8,}?)\s*[.!]$", re.I),
    re.compile(r"^(?:(?:the|a|an)\s+)?(?P<term>[\w’'()\- ]{2,60}?)\s+(?P<cop>is|are)\s+(?P<def>[\w\-, ]{3,60}?\s(?:that|which|who|where|in which|by which|on which)\s.{5,}?)\s*[.!]$", re.I),
    re.compile(r"^(?:(?:the|a|an)\s+)?(?P<term>[\w’'()\- ]{2,60}?)\s+(?P<cop>refers to|means)\s+(?P<def>.{8,}?)\s*[.!]$", re.I),
    re.compile(r"^(?P<def>.{8,}?),?\s+(?P<cop>is|are)\s+(?:called|known as|termed|named)\s+(?P<term>[\w’'\- ]{2,50}?)(?:,\s*or\s+[\w’'\- ]{2,40})?\s*[.!]$", re.I),
    re.compile(r"^(?P<term>[A-Z][\w’'\- ]{1,40}):\s+(?P<def>.{8,}?)\s*[.!]?$"),
)
_FILL = "Fill in the blank: "
_BLANK = "____"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _stems(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(light_stem(t) for t in tokens if t not in STOPWORDS and len(t) > 1 and not t[0].isdigit())


# ---------------------------------------------------------------------------------------------
# The text index: sections, sentences, definitions and key terms of one material


@dataclass
class _Definition:
    term: str  # as written in the sentence
    key: tuple[str, ...]
    text: str  # the defining phrase
    plural: bool
    sentence: int
    article: str = ""  # "the" when the material says "The stroma is …"
    stems: frozenset[str] = frozenset()

    @property
    def named(self) -> str:
        """The term as a noun phrase: 'the Calvin cycle', 'stomata', 'a photosystem'."""
        return f"{self.article} {self.term}" if self.article else self.term

    def question(self) -> str:
        return f"What {'are' if self.plural else 'is'} {self.named}?"


@dataclass
class _Sentence:
    index: int
    text: str
    section: int
    para: int
    marker: str  # list marker ("1.", "-") when the sentence starts a list item
    page: int | None
    low: list[str]  # lower-case tokens, "|" for punctuation
    spans: list[tuple[int, int]]  # character span of each token in `text`
    stems: frozenset[str]
    n_words: int
    qok: bool = False  # fit to quote in a question (length, no dangling pronoun)
    score: float = 0.0
    occurrences: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    definition: _Definition | None = None
    step: bool = False
    joined: str = ""  # the tokens joined by spaces and padded, for whole-phrase searches


@dataclass
class _Section:
    index: int
    source: str
    path: tuple[str, ...]
    sentences: list[int] = field(default_factory=list)
    document: str = ""  # the file's title heading, dropped from `path` for planning

    @property
    def title(self) -> str:
        return self.path[-1] if self.path else ""

    @property
    def cited(self) -> str:
        """The heading to cite: the section's own, else the document's title."""
        return self.title or self.document


@dataclass
class _Term:
    key: tuple[str, ...]
    surface: str
    tf: int
    numeric: str | None = None  # "year", "percent" or "number"
    proper: bool = False
    definition: _Definition | None = None
    score: float = 0.0
    sentences: list[int] = field(default_factory=list)
    section_set: set[int] = field(default_factory=set)
    noun: bool = False  # seen as a whole noun phrase after a determiner (not a verb)
    stems: frozenset[str] = frozenset()

    @property
    def plural(self) -> bool:
        if self.definition:
            return self.definition.plural
        last = self.key[-1]
        return last.endswith("s") and not last.endswith(("ss", "us", "is"))


class _Index:
    """Everything the generator needs to know about one material, computed once."""

    def __init__(self, material: Material) -> None:
        self.sections: list[_Section] = []
        self.sentences: list[_Sentence] = []
        self.word_case: dict[str, str] = {}
        self._read(material)
        self.small = len(self.sentences) < 60
        for sentence in self.sentences:
            sentence.definition = self._definition(sentence)
        self.terms: dict[tuple[str, ...], _Term] = self._find_terms()
        self._link_terms()
        self._score_sentences()
        numeric_classes = Counter(t.numeric for t in self.terms.values() if t.numeric and t.sentences)
        self.keyable = sorted((t for t in self.terms.values() if self._keyable(t, numeric_classes)), key=lambda t: (-t.score, t.key))
        self.keyable_keys = {t.key for t in self.keyable}
        # Every run of up to 8 tokens in the material: "would this option make the sentence
        # true?" becomes one set lookup instead of a scan of every sentence with the term.
        self.phrases: set[tuple[str, ...]] = {
            tuple(sentence.low[start : start + length])
            for sentence in self.sentences
            for start in range(len(sentence.low))
            for length in range(1, min(8, len(sentence.low) - start) + 1)
        }
        self.terms_by_section: dict[int, list[_Term]] = defaultdict(list)
        for term in self.keyable:
            for section in sorted(term.section_set):
                self.terms_by_section[section].append(term)

    # -- reading -------------------------------------------------------------------------

    def _read(self, material: Material) -> None:
        titles = _document_titles(material)
        for chunk in material.chunks:
            path = chunk.path or ((chunk.heading,) if chunk.heading else ())
            if titles.get(chunk.source) and path[:1] == (titles[chunk.source],):
                path = path[1:]
            last = self.sections[-1] if self.sections else None
            if last is None or (last.source, last.path) != (chunk.source, path):
                last = _Section(len(self.sections), chunk.source, path, document=titles.get(chunk.source, ""))
                self.sections.append(last)
            self._read_chunk(last, chunk.text, chunk.page)
        for section in self.sections:  # after reading: the case of words is known by now
            section.path = tuple(self._display_heading(h) for h in section.path)
            section.document = self._display_heading(section.document) if section.document else ""

    def _read_chunk(self, section: _Section, text: str, page: int | None) -> None:
        for para in text.split("\n\n"):
            lines = [line.strip() for line in para.split("\n") if line.strip()]
            if not lines:
                continue
            if len(lines) == 1 and not _LIST_MARKER.match(lines[0]):
                self._add_paragraph(section, " ".join(lines[0].split()), "", page)
                continue
            for line in lines:
                if " | " in line:  # a table row is not a sentence
                    continue
                marker = _LIST_MARKER.match(line)
                body = " ".join((line[marker.end() :] if marker else line).split())
                self._add_paragraph(section, body, marker.group(0).strip() if marker else "", page)

    def _add_paragraph(self, section: _Section, text: str, marker: str, page: int | None) -> None:
        para = (self.sentences[section.sentences[-1]].para + 1) if section.sentences else 0
        numbered_list = bool(marker) and marker[0].isdigit()
        for k, sentence_text in enumerate(split_sentences(text)):
            low, spans, raw = _tokens(sentence_text)
            n_words = sum(1 for t in low if t != "|")
            if n_words < 2:
                continue
            sentence = _Sentence(
                index=len(self.sentences),
                text=sentence_text,
                section=section.index,
                para=para,
                marker=marker if k == 0 else "",
                page=page,
                low=low,
                spans=spans,
                stems=_stems(t for t in low if t != "|"),
                n_words=n_words,
                step=(numbered_list and k == 0) or bool(_STEP_CUE.match(sentence_text) or _FIRST_STEP.search(sentence_text)),
                joined=f" {' '.join(low)} ",
            )
            self._note_case(raw, low)
            self.sentences.append(sentence)
            section.sentences.append(sentence.index)

    def _note_case(self, raw: list[str], low: list[str]) -> None:
        for i, (word, lower) in enumerate(zip(raw, low)):
            if i > 0 and low[i - 1] != "|" and lower not in self.word_case and word != lower:
                self.word_case[lower] = word

    def _display_heading(self, heading: str) -> str:
        """A heading as a course title: numbering dropped, ALL CAPS turned into sentence case."""
        text = _HEADING_NUMBER.sub("", heading, count=1).strip(" :.-") or heading.strip()
        letters = [ch for ch in text if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters) and len(letters) > 3:
            text = _cap(" ".join(self._case_of(w) for w in text.lower().split()))
        return text

    def _case_of(self, word: str) -> str:
        core = re.sub(r"['’]s$", "", word)
        cased = self.word_case.get(core)
        return word.replace(core, cased, 1) if cased else word

    # -- definitions ---------------------------------------------------------------------

    def _definition(self, sentence: _Sentence) -> _Definition | None:
        if sentence.n_words > 45 or sentence.text.endswith("?"):
            return None
        for pattern in _DEFINITIONS:
            match = pattern.match(sentence.text)
            if not match:
                continue
            article = re.match(r"^(the|a|an)\s+", sentence.text, flags=re.I) if match.start("term") <= 4 else None
            term = re.sub(r"^(?:the|a|an)\s+", "", match.group("term").strip(), flags=re.I).strip(" ,")
            definition = match.group("def").strip(" ,")
            key = tuple(t for t in _tokens(term)[0] if t != "|")
            if not self._good_term(key) or not _good_definition(definition, key):
                continue
            if term[:1].isupper() and match.start("term") == 0 and self.word_case.get(key[0]) is None and term[1:2].islower():
                term = term[0].lower() + term[1:]
            if definition[1:2].islower():
                definition = definition[0].lower() + definition[1:]
            copula = (match.groupdict().get("cop") or "is").lower()
            plural = copula == "are" or (copula not in ("is",) and key[-1].endswith("s") and not key[-1].endswith("ss"))
            named_article = article.group(1).lower() if article else ""  # keep the material's own article
            if named_article in ("a", "an"):
                named_article = "an" if term[:1].lower() in "aeiou" else "a"
            stems = _stems(t for t in _tokens(definition)[0] if t != "|")
            return _Definition(term=term, key=key, text=definition, plural=plural, sentence=sentence.index, article=named_article, stems=stems)
        return None

    @staticmethod
    def _good_term(key: tuple[str, ...]) -> bool:
        if not 1 <= len(key) <= 4 or key[0] in _NOT_TERM or key[0] in STOPWORDS or key[-1] in STOPWORDS:
            return False
        if any(t in ("is", "are", "was", "were", "that", "which") for t in key):
            return False
        return not (len(key) == 1 and (key[0] in _GENERIC or len(key[0]) < 3 or key[0][0].isdigit()))

    # -- key terms -----------------------------------------------------------------------

    def _find_terms(self) -> dict[tuple[str, ...], _Term]:
        """Noun-phrase-like candidates: runs of content words after a determiner or preposition
        (a cheap stand-in for a POS tagger), capitalised names, defined terms and numbers."""
        trig: Counter[tuple[str, ...]] = Counter()
        ngrams = _NgramCounts()
        surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        proper: Counter[tuple[str, ...]] = Counter()
        nouns: set[tuple[str, ...]] = set()
        verb_like: Counter[tuple[str, ...]] = Counter()
        numbers: dict[tuple[str, ...], str] = {}
        for sentence in self.sentences:
            low = sentence.low
            ngrams.add(low)
            for start, end in _candidate_runs(low, sentence.text, sentence.spans):
                capital = sentence.text[sentence.spans[start][0]].isupper() and start > 0
                if start > 0 and low[start - 1] in _DETERMINERS:
                    nouns.add(tuple(low[start:end]))
                if _ends_in_verb(low, start, end):
                    verb_like[tuple(low[start:end])] += 1
                for n in range(1, end - start + 1):
                    gram = tuple(low[start : start + n])
                    trig[gram] += 1
                    surfaces[gram][sentence.text[sentence.spans[start][0] : sentence.spans[start + n - 1][1]]] += 1
                    if capital and all(sentence.text[sentence.spans[start + j][0]].isupper() for j in range(n)):
                        proper[gram] += 1
            for i, token in enumerate(low):
                if token[0].isdigit():
                    numbers[(token,)] = _number_class(token, low[i + 1] if i + 1 < len(low) else "")
        definitions = {s.definition.key: s.definition for s in self.sentences if s.definition}
        terms: dict[tuple[str, ...], _Term] = {}
        min_tf = 1 if self.small else 2
        for gram, count in trig.items():
            tf = max(ngrams[gram], count)
            verbish = _verb_pair(gram) or 2 * verb_like[gram] >= count
            if gram in definitions or (self._good_term(gram) and _wordlike(gram) and not verbish and (tf >= min_tf if len(gram) == 1 else tf >= 2 or proper[gram])):
                terms[gram] = _Term(key=gram, surface=_best_surface(surfaces[gram]), tf=tf, proper=proper[gram] > 0, noun=gram in nouns or proper[gram] > 0)
        for gram, definition in definitions.items():
            term = terms.get(gram) or _Term(key=gram, surface=definition.term, tf=max(1, ngrams[gram]))
            term.definition = definition
            terms[gram] = term
        for gram, kind in numbers.items():
            terms.setdefault(gram, _Term(key=gram, surface=gram[0], tf=ngrams[gram], numeric=kind))
        self._drop_subsumed(terms, trig)
        return terms

    def _drop_subsumed(self, terms: dict[tuple[str, ...], _Term], trig: Counter[tuple[str, ...]]) -> None:
        """'carbon' is not a term of its own when it nearly always appears as 'carbon dioxide'."""
        longer: dict[tuple[str, ...], int] = defaultdict(int)
        for gram in terms:
            if len(gram) > 1:
                for part in (gram[:-1], gram[1:]):
                    longer[part] = max(longer[part], trig[gram])
        for gram in list(terms):
            term = terms[gram]
            if term.definition or term.numeric:
                continue
            if longer.get(gram, 0) >= 0.6 * max(1, trig[gram]):
                del terms[gram]

    def _link_terms(self) -> None:
        """Record each term's maximal occurrences in each sentence (longest match first)."""
        for sentence in self.sentences:
            low = sentence.low
            i = 0
            while i < len(low):
                for n in (4, 3, 2, 1):
                    gram = tuple(low[i : i + n])
                    if len(gram) == n and gram in self.terms:
                        sentence.occurrences.append((i, i + n, gram))
                        term = self.terms[gram]
                        if not term.sentences or term.sentences[-1] != sentence.index:
                            term.sentences.append(sentence.index)
                        term.section_set.add(sentence.section)
                        i += n
                        break
                else:
                    i += 1
        n_sections = max(1, len(self.sections))
        for term in self.terms.values():
            term.stems = _stems(term.key) or frozenset(term.key)
            idf = math.log(1 + n_sections / max(1, len(term.section_set)))
            term.score = (1 + math.log(max(1, term.tf))) * idf * (1.3 if len(term.key) > 1 else 1.0) * (2.0 if term.definition else 1.0) * (0.4 if term.numeric else 1.0)

    @staticmethod
    def _keyable(term: _Term, numeric_classes: Counter[str | None]) -> bool:
        if not term.sentences:
            return False
        if term.numeric:
            return numeric_classes[term.numeric] >= 3
        return term.definition is not None or term.noun

    # -- sentence scores ------------------------------------------------------------------

    def _score_sentences(self) -> None:
        """Keyword centrality within the section, key-term density and definitional cues."""
        df: Counter[str] = Counter()
        for section in self.sections:
            df.update(set().union(*(self.sentences[i].stems for i in section.sentences)) if section.sentences else set())
        n_sections = max(1, len(self.sections))
        for section in self.sections:
            tf: Counter[str] = Counter()
            for i in section.sentences:
                tf.update(self.sentences[i].stems)
            raw = {}
            for i in section.sentences:
                s = self.sentences[i]
                weight = sum(tf[w] * math.log(1 + n_sections / df[w]) for w in s.stems)
                raw[i] = weight / math.sqrt(len(s.stems) + 3)
            top = max(raw.values(), default=1.0) or 1.0
            for position, i in enumerate(section.sentences):
                s = self.sentences[i]
                density = min(1.0, len(s.occurrences) / math.sqrt(s.n_words))
                s.qok = _quotable(s, 5 if self.small else 8)
                s.score = (
                    0.5 * raw[i] / top
                    + 0.3 * density
                    + (0.5 if s.definition else 0.0)
                    + (0.2 if position == 0 else 0.0)
                    + (0.15 if _CUES.search(s.text) else 0.0)
                    - (0.4 if s.low[0] in _PRONOUN_START else 0.0)
                )

    # -- helpers used by the planner and the item writer ---------------------------------

    def sentences_of(self, pieces: Sequence[_Piece]) -> list[int]:
        seen: dict[int, None] = {}
        for piece in pieces:
            for i in self.sections[piece.section].sentences[piece.start : piece.end]:
                seen[i] = None
        return list(seen)

    def cite(self, sentence: _Sentence) -> str:
        section = self.sections[sentence.section]
        parts = [section.source]
        if sentence.page:
            parts.append(f"p. {sentence.page}")
        if section.cited:
            parts.append(f"§{section.cited}")
        return ", ".join(parts)

    def defined_terms(self, sentence_ids: Iterable[int]) -> list[_Definition]:
        seen: dict[tuple[str, ...], _Definition] = {}
        for i in sentence_ids:
            definition = self.sentences[i].definition
            if definition and definition.key not in seen:
                seen[definition.key] = definition
        return list(seen.values())


class _NgramCounts:
    """How often each 1-3 word sequence occurs (Counter over zip runs in C: fast on 100 pages)."""

    def __init__(self) -> None:
        self.counts: list[Counter] = [Counter(), Counter(), Counter()]

    def add(self, low: list[str]) -> None:
        self.counts[0].update(low)
        self.counts[1].update(zip(low, low[1:]))
        self.counts[2].update(zip(low, low[1:], low[2:]))

    def __getitem__(self, gram: tuple[str, ...]) -> int:
        if not 1 <= len(gram) <= 3:
            return 0
        return self.counts[len(gram) - 1][gram[0] if len(gram) == 1 else gram]


def _document_titles(material: Material) -> dict[str, str]:
    """A heading that wraps a whole file is its title, not a part: drop it from the paths."""
    titles: dict[str, str] = {}
    for source in material.sources:
        paths = [c.path for c in material.chunks if c.source == source]
        firsts = {p[0] if p else "" for p in paths}
        if len(firsts) == 1 and "" not in firsts and any(len(p) > 1 for p in paths):
            titles[source] = next(iter(firsts))
    return titles


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]], list[str]]:
    low, spans, raw = [], [], []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        low.append("|" if match.lastgroup == "p" else word.casefold().replace("’", "'"))
        spans.append(match.span())
        raw.append(word)
    return low, spans, raw


def _candidate_runs(low: list[str], text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token ranges that look like noun phrases: up to 3 content words after a trigger word, or a
    run of capitalised words inside the sentence."""
    runs = []
    for i, token in enumerate(low):
        start = i + 1
        if token in _TRIGGERS:
            end = start
            while end < len(low) and end - start < 3 and _content_token(low[end]):
                end += 1
            if end > start:
                runs.append((start, end))
        elif i > 0 and low[i - 1] not in _TRIGGERS and _content_token(token) and text[spans[i][0]].isupper() and not (_content_token(low[i - 1]) and text[spans[i - 1][0]].isupper()):
            end = i
            while end < len(low) and end - i < 3 and _content_token(low[end]) and text[spans[end][0]].isupper():
                end += 1
            runs.append((i, end))
    return runs


def _content_token(token: str) -> bool:
    return token != "|" and token not in STOPWORDS and token not in _TRIGGERS and not token[0].isdigit() and not token.endswith("ly") and len(token) > 1


def _verb_pair(gram: tuple[str, ...]) -> bool:
    """'plants comes': a plural noun followed by an -s word is a subject and its verb."""
    return len(gram) == 2 and gram[0].endswith("s") and not gram[0].endswith(("ss", "us", "is")) and gram[1].endswith("s") and not gram[1].endswith("ss")


_VERB_FOLLOWERS = frozenset("to into from over below above through back down up out away on the a an its their".split())


def _ends_in_verb(low: list[str], start: int, end: int) -> bool:
    """'the air cools to …': a run whose last word ends in -s after a singular word and is
    followed by a preposition or determiner is a noun and its verb."""
    if end - start < 2:
        return False
    last, before = low[end - 1], low[end - 2]
    following = low[end] if end < len(low) else "|"
    return last.endswith("s") and not last.endswith(("ss", "us", "is")) and not before.endswith("s") and following in _VERB_FOLLOWERS


def _wordlike(gram: tuple[str, ...]) -> bool:
    return all(any(ch.isalpha() for ch in t) for t in gram)


def _number_class(token: str, following: str) -> str:
    digits = token.replace(",", "")
    if following in ("percent", "per", "%") or following.startswith("percent"):
        return "percent"
    if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", digits):
        return "year"
    return "number"


def _best_surface(counts: Counter[str]) -> str:
    """The commonest written form; a lower-case form wins over sentence-initial capitals."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    best = ranked[0][0]
    lower = next((form for form, _ in ranked if form[:1].islower()), None)
    if lower and lower.casefold() == best.casefold():
        return lower
    return best


def _good_definition(definition: str, key: tuple[str, ...]) -> bool:
    tokens = [t for t in _tokens(definition)[0] if t != "|"]
    if not 3 <= len(tokens) <= 40 or _NEGATIVE.search(definition) or {"this", "these", "those", "such"} & set(tokens):
        return False  # "in this way" points at a sentence the reader has not seen
    head = next((t for t in tokens if t not in STOPWORDS), "")
    if head in _META_DEF:
        return False  # "The equation is a summary, …" describes, it does not define
    return len([t for t in tokens if t not in STOPWORDS]) >= 2 and not (_stems(key) and _stems(key) <= _stems(tokens))


def _quotable(sentence: _Sentence, min_words: int) -> bool:
    text = sentence.text
    return (
        min_words <= sentence.n_words <= 35
        and text[-1] in ".!"
        and (text[0].isupper() or text[0].isdigit())
        and sentence.low[0] not in _PRONOUN_START
        and " | " not in text
    )


# ---------------------------------------------------------------------------------------------
# Planning: modules and lessons from the material's structure


@dataclass(frozen=True)
class _Piece:
    """Sentences start..end (exclusive) of one section."""

    section: int
    start: int
    end: int


@dataclass
class _Layout:
    """The planned outline plus, for each lesson id, its title and the material it covers."""

    outline: Outline
    lessons: dict[str, tuple[str, list[_Piece]]]


_MAX_DP_ITEMS = 120


class _Planner:
    """Splits the material into exactly modules × lessons parts, cutting at its own headings
    where it can (a contiguous partition that balances size and prefers high-level cuts)."""

    def __init__(self, index: _Index) -> None:
        self.index = index

    def plan(self, modules: int, lessons: int) -> list[list[list[_Piece]]]:
        pieces = [_Piece(s.index, 0, len(s.sentences)) for s in self.index.sections if s.sentences]
        return [self.partition(group, lessons) for group in self.partition(pieces, modules)]

    def partition(self, pieces: list[_Piece], k: int) -> list[list[_Piece]]:
        items = self._items(pieces, k)
        if len(items) < k:
            total = len(items)
            return [list(items[i * total // k]) for i in range(k)]  # tiny material: parts repeat
        cuts = self._cuts(items, k)
        groups, start = [], 0
        for cut in [*cuts, len(items)]:
            groups.append([piece for item in items[start:cut] for piece in item])
            start = cut
        return groups

    def _items(self, pieces: list[_Piece], k: int) -> list[list[_Piece]]:
        """Units to partition: pieces grouped at the deepest heading level that still gives at
        most _MAX_DP_ITEMS units; split further when there are fewer than k."""
        depth = max((len(self.index.sections[p.section].path) for p in pieces), default=0)
        items = [[p] for p in pieces]
        for d in range(depth, 0, -1):  # the finest grouping the DP can afford
            grouped = self._group(pieces, d)
            if len(grouped) <= _MAX_DP_ITEMS:
                items = grouped
                break
        while len(items) > _MAX_DP_ITEMS:
            items = _merge_pairs(items)
        while len(items) < k and self._split_one(items):
            pass
        return items

    def _group(self, pieces: list[_Piece], depth: int) -> list[list[_Piece]]:
        groups: list[list[_Piece]] = []
        last_key = None
        for piece in pieces:
            section = self.index.sections[piece.section]
            key = (section.source, section.path[:depth]) if section.path else ("", piece.section)
            if groups and key == last_key:
                groups[-1].append(piece)
            else:
                groups.append([piece])
            last_key = key
        return groups

    def _split_one(self, items: list[list[_Piece]]) -> bool:
        """Split the largest unit: between its pieces, else at a paragraph near the middle."""
        order = sorted(range(len(items)), key=lambda i: (-self._weight(items[i]), i))
        for i in order:
            item = items[i]
            if len(item) > 1:
                half = len(item) // 2
                items[i : i + 1] = [item[:half], item[half:]]
                return True
            piece = item[0]
            if piece.end - piece.start >= 2:
                middle = self._middle(piece)
                items[i : i + 1] = [[_Piece(piece.section, piece.start, middle)], [_Piece(piece.section, middle, piece.end)]]
                return True
        return False

    def _middle(self, piece: _Piece) -> int:
        ids = self.index.sections[piece.section].sentences
        mid = (piece.start + piece.end) // 2
        for offset in range(0, (piece.end - piece.start) // 2):
            for candidate in (mid - offset, mid + offset):
                if piece.start < candidate < piece.end and self.index.sentences[ids[candidate]].para != self.index.sentences[ids[candidate - 1]].para:
                    return candidate
        return max(piece.start + 1, mid)

    def _weight(self, item: list[_Piece]) -> float:
        return float(sum(len(self.index.sentences[i].text) for i in self.index.sentences_of(item)))

    def _cuts(self, items: list[list[_Piece]], k: int) -> list[int]:
        """Dynamic programme: k contiguous groups, cost = squared relative imbalance + penalty
        for each cut that falls inside a heading rather than between top-level ones."""
        n = len(items)
        weights = [self._weight(item) for item in items]
        prefix = [0.0]
        for w in weights:
            prefix.append(prefix[-1] + w)
        target = prefix[-1] / k or 1.0
        penalty = [self._cut_penalty(items[i - 1], items[i]) for i in range(1, n)]
        inf = float("inf")
        best = [[inf] * (n + 1) for _ in range(k + 1)]
        back = [[0] * (n + 1) for _ in range(k + 1)]
        best[0][0] = 0.0
        for g in range(1, k + 1):
            for j in range(g, n - (k - g) + 1):
                for i in range(g - 1, j):
                    if best[g - 1][i] == inf:
                        continue
                    size = (prefix[j] - prefix[i] - target) / target
                    cost = best[g - 1][i] + size * size + (penalty[i - 1] if i > 0 else 0.0)
                    if cost < best[g][j] - 1e-12:
                        best[g][j], back[g][j] = cost, i
        cuts, j = [], n
        for g in range(k, 0, -1):
            j = back[g][j]
            cuts.append(j)
        return sorted(cuts)[1:]

    def _cut_penalty(self, left: list[_Piece], right: list[_Piece]) -> float:
        a, b = left[-1], right[0]
        sa, sb = self.index.sections[a.section], self.index.sections[b.section]
        if sa.source != sb.source:
            return 0.0
        if a.section == b.section:
            return 1.0
        if not sa.path and not sb.path:  # no headings: cut where the vocabulary changes
            return 0.2 + 0.8 * _overlap(self._stems(left), self._stems(right))
        if not sa.path:
            return 1.0  # an untitled lead-in belongs with the section after it
        common = 0
        while common < min(len(sa.path), len(sb.path)) and sa.path[common] == sb.path[common]:
            common += 1
        return (0.0, 0.3, 0.6)[min(common, 2)]

    def _stems(self, item: list[_Piece]) -> Counter[str]:
        counts: Counter[str] = Counter()
        for i in self.index.sentences_of(item):
            counts.update(self.index.sentences[i].stems)
        return counts


def _overlap(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two bags of words."""
    dot = sum(a[w] * b[w] for w in a if w in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _merge_pairs(items: list[list[_Piece]]) -> list[list[_Piece]]:
    """Halve the number of units by joining neighbours (used only for very long material)."""
    return [items[i] + (items[i + 1] if i + 1 < len(items) else []) for i in range(0, len(items), 2)]


# ---------------------------------------------------------------------------------------------
# Items: definitional, cloze and true-statement questions


@dataclass
class _Item:
    kind: str  # "definition", "cloze" or "statement"
    stem: str
    key: str
    distractors: list[str]
    sentence: int
    score: float

    @property
    def numeric(self) -> bool:
        return all(is_numeric_option(o) for o in [self.key, *self.distractors])


class _ItemWriter:
    """Turns sentences into one-best-answer items (COURSE_QUALITY.md offline steps 3-7)."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self._pool_cache: dict[tuple[int, ...], list[_Item]] = {}

    def pool(self, sentence_ids: Sequence[int]) -> list[_Item]:
        """Candidate items from these sentences, best first (cached: quiz and exam share them)."""
        key = tuple(dict.fromkeys(sentence_ids))
        if key not in self._pool_cache:
            self._pool_cache[key] = self._build_pool(key)
        return self._pool_cache[key]

    def _build_pool(self, sentence_ids: Sequence[int]) -> list[_Item]:
        near = {self.index.sentences[i].section for i in sentence_ids}
        ranked = sorted(sentence_ids, key=lambda i: (-self.index.sentences[i].score, i))
        items: list[_Item] = []
        for i in ranked[:40]:
            sentence = self.index.sentences[i]
            if sentence.definition:
                item = self.definition_item(sentence.definition, near)
                if item:
                    items.append(item)
            if sentence.qok and not _NEGATIVE.search(sentence.text):
                items.extend(self.cloze_items(sentence, near, limit=2))
        items.sort(key=lambda item: (-item.score, item.sentence, item.stem))
        return items

    def definition_item(self, definition: _Definition, near: set[int]) -> _Item | None:
        term = self.index.terms.get(definition.key)
        text = definition.text
        if term is None or len(text.split()) > 30:
            return None
        stem = f"Which term is described as “{text}”?"
        distractors = self.distractors(term, stem, near, context=None)
        if len(distractors) < 2:
            return None
        options = [_cap(term.surface)] + [_cap(d.surface) for d in distractors]
        sentence = self.index.sentences[definition.sentence]
        clang = term.stems & definition.stems
        for d in distractors:
            clang -= d.stems
        score = sentence.score + 0.4 - (1.0 if clang else 0.0) - self._commonness(term)
        return _Item("definition", stem, options[0], options[1:], sentence.index, score)

    def _commonness(self, term: _Term) -> float:
        """A term found in most sections (the topic itself) makes a weak key."""
        sections = len(self.index.sections)
        return 0.5 if sections >= 4 and len(term.section_set) > 0.5 * sections else 0.0

    def cloze_items(self, sentence: _Sentence, near: set[int], limit: int) -> list[_Item]:
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

    def _cloze(self, sentence: _Sentence, start: int, end: int, term: _Term, near: set[int]) -> _Item | None:
        text = sentence.text
        if not term.numeric and not _noun_position(sentence.low, start, end):
            return None
        a, b = sentence.spans[start][0], sentence.spans[end - 1][1]
        if text[:a].count("(") > text[:a].count(")"):
            return None  # text in parentheses is an aside, not a key idea
        if text[a - 1 : a] in ("-", "/") or text[b : b + 1] in ("-", "/") or (text[b : b + 1].isalnum()):
            return None  # part of a longer token such as "3-PGA"
        before, after = text[:a], text[b:]
        article = re.search(r"\b(a|an|A|An)\s$", before)
        if article:
            before = before[: article.start()] + ("A(n) " if article.group(1)[0] == "A" else "a(n) ")
        blanked = f"{before}{_BLANK}{after}"
        if _stems(_tokens(blanked)[0]) & term.stems:
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
            options = [_cap(o) for o in options]
        score = sentence.score + 0.1 * min(term.score, 3) - self._commonness(term)
        return _Item("cloze", stem, options[0], options[1:], sentence.index, score)

    def distractors(self, key: _Term, stem: str, near: set[int], context: tuple[list[str], list[str]] | None, want: int = 3) -> list[_Term]:
        """Other key terms of the same material and the same shape; none that would also be
        true, that contains the key, or that the stem already shows. `context` is the two
        tokens left and right of a cloze blank."""
        stem_tokens = _tokens(stem)[0]
        stem_low = f" {' '.join(stem_tokens)} "
        clang = _stems(key.key) & _stems(stem_tokens)
        ranked = sorted(self._candidates(key, near), key=lambda c: (-self._similarity(c, key, near, context, clang), c.key))
        accepted: list[_Term] = []
        chosen: list[_Term] = []
        for candidate in ranked[:80]:  # the best-matching 80 are plenty; the tail is off-class
            if len(accepted) >= want + 8:
                break
            if not self._acceptable(candidate, key, stem_low, context):
                continue
            accepted.append(candidate)
            if len(chosen) < want and all(_distinct(candidate, other) for other in chosen):
                chosen.append(candidate)
        return _fix_length_cue(key, chosen, accepted)

    def _candidates(self, key: _Term, near: set[int]) -> list[_Term]:
        """Same-class terms: every number of its kind, or nearby terms plus the top of the rest."""
        if key.numeric:
            return [t for t in self.index.keyable if t.numeric == key.numeric and t.key != key.key]
        pool: dict[tuple[str, ...], _Term] = {}
        for section in sorted(near):
            for term in self.index.terms_by_section.get(section, [])[:60]:
                pool.setdefault(term.key, term)
        for term in self.index.keyable[:60]:
            pool.setdefault(term.key, term)
        return [t for t in pool.values() if not t.numeric and t.key != key.key]

    def _acceptable(self, candidate: _Term, key: _Term, stem_low: str, context: tuple[list[str], list[str]] | None) -> bool:
        if not _distinct(candidate, key):
            return False
        if f" {' '.join(candidate.key)} " in stem_low:
            return False  # an option quoted in the stem is no option
        if key.definition and candidate.definition and _jaccard(key.definition.stems, candidate.definition.stems) >= 0.5:
            return False  # two terms defined alike: both would be right
        if context and self._would_be_true(candidate, context):
            return False
        return True

    def _would_be_true(self, candidate: _Term, context: tuple[list[str], list[str]]) -> bool:
        """The sentence with the candidate in the blank already appears in the material."""
        left, right = context
        return (*left, *candidate.key, *right) in self.index.phrases

    def _similarity(self, candidate: _Term, key: _Term, near: set[int], context: tuple[list[str], list[str]] | None, clang: frozenset[str]) -> float:
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

    def statement_items(self, sentence_ids: Sequence[int], used: set[str]) -> list[_Item]:
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
            items.append(_Item("statement", stem, sentence.text, others, i, sentence.score - 1.0))
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
    return previous in _TRIGGERS


def _distinct(a: _Term, b: _Term) -> bool:
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


def _fix_length_cue(key: _Term, chosen: list[_Term], ranked: list[_Term]) -> list[_Term]:
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


# ---------------------------------------------------------------------------------------------
# The generator


class OfflineGenerator:
    """Builds a whole course from the user's material, deterministically and without a network."""

    name = "offline"
    model: str | None = None
    warm_cache_first = False

    def __init__(self) -> None:
        self._material: Material | None = None
        self._index: _Index | None = None
        self._writer: _ItemWriter | None = None
        self._layouts: dict[tuple, _Layout] = {}
        self._quiz_cache: dict[tuple, list[_Item]] = {}

    # -- protocol --------------------------------------------------------------------------

    async def outline(self, ctx: GenerationContext) -> Outline:
        ctx.cancel.raise_if_cancelled()
        if ctx.request.language.casefold() not in ("english", "en"):
            ctx.on_note("The offline generator copies your material as it is; only its headings and prompts are in English.")
        return self._layout(ctx).outline

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        ctx.cancel.raise_if_cancelled()
        index = self._prepare(ctx.material)
        pieces = self._pieces_for(ctx, plan)
        ids = index.sentences_of(pieces)
        objectives = self._objectives(ctx)
        parts, key_points, glossary = _LessonWriter(index, self._writer).write(plan, ids, [objectives[o] for o in plan.objective_ids if o in objectives])  # type: ignore[arg-type]
        for part in parts:
            ctx.cancel.raise_if_cancelled()
            on_text(part)
        sources = _source_labels(index, [p.section for p in pieces])
        return Lesson(
            id=plan.id,
            module_id=module.id,
            title=plan.title,
            markdown="".join(parts).strip() + "\n",
            key_points=key_points,
            objectives_covered=[o for o in plan.objective_ids if o in objectives] or list(plan.objective_ids),
            glossary=glossary,
            sources=sources,
        )

    async def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> Quiz:
        ctx.cancel.raise_if_cancelled()
        items = self._quiz_items(ctx, module)
        seed = f"{ctx.job_id}/{module.id}/quiz"
        questions = self._questions(items, seed, f"{module.id}q", self._objective_map(ctx, [module]))
        return Quiz(module_id=module.id, title=f"Quiz: {module.title}", questions=questions)

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam:
        ctx.cancel.raise_if_cancelled()
        modules = self._modules(ctx)
        items = self._exam_items(ctx, modules)
        questions = self._questions(items, f"{ctx.job_id}/exam", "eq", self._objective_map(ctx, modules))
        title = ctx.outline.title if ctx.outline else ctx.request.topic
        return Exam(title=f"Practice exam: {title}", questions=questions)

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck:
        ctx.cancel.raise_if_cancelled()
        index = self._prepare(ctx.material)
        cards: list[Flashcard] = []
        fronts: set[str] = set()
        for module in self._modules(ctx):
            for plan in module.lessons:
                for card in _cards_for(index, self._writer, index.sentences_of(self._pieces_for(ctx, plan)), module.id):  # type: ignore[arg-type]
                    if card.front.casefold() not in fronts:
                        fronts.add(card.front.casefold())
                        cards.append(card)
        if not cards:
            raise MaterialError("The material has too few complete sentences to make flashcards from; add a longer file.")
        return FlashcardDeck(cards=cards)

    def usage(self) -> Usage:
        return Usage()

    async def aclose(self) -> None:
        self._layouts.clear()
        self._quiz_cache.clear()

    # -- shared state ------------------------------------------------------------------------

    def _prepare(self, material: Material) -> _Index:
        """The index of this material object, built once (the methods then take milliseconds)."""
        if material is None or material.is_empty:
            raise MaterialError(NO_MATERIAL)
        if self._material is not material:
            index = _Index(material)
            if sum(1 for s in index.sentences if s.n_words >= 5) < 3:
                names = ", ".join(material.sources)
                raise MaterialError(f"{names} has too little text to build a course from; add at least a few paragraphs of study text.")
            self._material, self._index, self._writer = material, index, _ItemWriter(index)
            self._layouts.clear()
            self._quiz_cache.clear()
        return self._index  # type: ignore[return-value]

    def _layout(self, ctx: GenerationContext) -> _Layout:
        index = self._prepare(ctx.material)
        request = ctx.request
        key = (request.modules, request.lessons_per_module, request.questions_per_quiz, request.exam_questions, request.topic)
        if key not in self._layouts:
            self._layouts[key] = _build_layout(index, request.topic, request.modules, request.lessons_per_module, _objectives_per_module(request))
        return self._layouts[key]

    def _modules(self, ctx: GenerationContext) -> list[ModulePlan]:
        return list((ctx.outline or self._layout(ctx).outline).modules)

    def _objectives(self, ctx: GenerationContext) -> dict[str, Objective]:
        outline = ctx.outline or self._layout(ctx).outline
        return {o.id: o for o in outline.objectives}

    def _pieces_for(self, ctx: GenerationContext, plan: LessonPlan) -> list[_Piece]:
        """The layout's pieces for a lesson it planned; for a foreign outline, the best match."""
        planned = self._layout(ctx).lessons.get(plan.id)
        if planned and planned[0] == plan.title:
            return planned[1]
        return _search_pieces(self._index, f"{plan.title} {plan.summary}")  # type: ignore[arg-type]

    def _objective_map(self, ctx: GenerationContext, modules: list[ModulePlan]) -> dict[int, str]:
        """Sentence → objective id, from the lessons (of these modules first) that teach it."""
        result: dict[int, str] = {}
        for module in [*modules, *self._modules(ctx)]:
            for plan in module.lessons:
                if not plan.objective_ids:
                    continue
                for i in self._index.sentences_of(self._pieces_for(ctx, plan)):  # type: ignore[union-attr]
                    result.setdefault(i, plan.objective_ids[0])
        return result

    # -- quizzes and exam ----------------------------------------------------------------------

    def _module_sentences(self, ctx: GenerationContext, module: ModulePlan) -> dict[str, list[int]]:
        """Objective id → the sentences of the module's lessons that serve it."""
        by_objective: dict[str, list[int]] = {}
        for plan in module.lessons:
            objective = plan.objective_ids[0] if plan.objective_ids else plan.id
            ids = by_objective.setdefault(objective, [])
            ids.extend(i for i in self._index.sentences_of(self._pieces_for(ctx, plan)) if i not in ids)  # type: ignore[union-attr]
        return by_objective

    def _quiz_items(self, ctx: GenerationContext, module: ModulePlan) -> list[_Item]:
        self._prepare(ctx.material)
        key = (module.id, tuple(p.id for p in module.lessons), ctx.request.questions_per_quiz)
        if key not in self._quiz_cache:
            backup = [i for m in self._modules(ctx) if m.id != module.id for ids in self._module_sentences(ctx, m).values() for i in ids]
            self._quiz_cache[key] = self._select(self._module_sentences(ctx, module), ctx.request.questions_per_quiz, backup=backup)
        return self._quiz_cache[key]

    def _exam_items(self, ctx: GenerationContext, modules: list[ModulePlan]) -> list[_Item]:
        """Items per module in proportion to its objectives, avoiding the sentences its quiz
        used, independent across the whole exam, interleaved by module (Dunlosky et al. 2013)."""
        counts = _allocate(ctx.request.exam_questions, [max(1, len({o for p in m.lessons for o in p.objective_ids})) for m in modules])
        per_module: list[list[_Item]] = []
        so_far: list[_Item] = []
        for module, count in zip(modules, counts):
            quiz_sentences = {item.sentence for item in self._quiz_items(ctx, module)}
            items = self._select(self._module_sentences(ctx, module), count, avoid=quiz_sentences, context=so_far)
            per_module.append(items)
            so_far.extend(items)
        return [items[k] for k in range(max(counts, default=0)) for items in per_module if k < len(items)]

    def _select(self, by_objective: dict[str, list[int]], count: int, avoid: set[int] | None = None, context: Sequence[_Item] = (), backup: Sequence[int] = ()) -> list[_Item]:
        """Pick `count` independent items: one per objective first, then the best of the rest,
        alternating definitional and cloze items.

        Relaxes step by step when the material is thin (sentences used elsewhere, true-statement
        items, other modules, finally repeats), so a quiz is never short or empty."""
        writer = self._writer
        assert writer is not None
        avoid = avoid or set()
        all_ids = list(dict.fromkeys(i for ids in by_objective.values() for i in ids))
        pools = {objective: [item for item in writer.pool(ids) if item.sentence not in avoid] for objective, ids in by_objective.items()}
        chosen: list[_Item] = []
        for pool in pools.values():
            if len(chosen) < count:
                _take(chosen, _interleave(pool), 1, strict=True, context=context)
        fresh = _interleave(sorted((item for pool in pools.values() for item in pool), key=_item_order))
        fallbacks: list[tuple[Callable[[], list[_Item]], bool]] = [
            (lambda: fresh, True),
            (lambda: fresh, False),
            (lambda: _interleave(writer.pool(all_ids)), False),
            (lambda: writer.statement_items(all_ids, {c.key for c in [*context, *chosen]}), False),
            (lambda: writer.pool(list(backup)) if backup else [], False),
        ]
        for make, strict in fallbacks:  # built lazily: rich material never needs the later ones
            if len(chosen) < count:
                _take(chosen, make(), count - len(chosen), strict=strict, context=context)
        if len(chosen) < count:
            repeats = writer.pool(all_ids) + writer.statement_items(all_ids, set()) + (writer.pool(list(backup)) if backup else [])
            for k in range(count - len(chosen) if repeats else 0):
                chosen.append(repeats[k % len(repeats)])
        if not chosen:
            raise MaterialError("The material has too few complete sentences to write quiz questions from; add a longer file.")
        return chosen[:count]

    def _questions(self, items: list[_Item], seed: str, prefix: str, objective_of: dict[int, str]) -> list[Question]:
        positions = balanced_positions(len(items), seed)
        questions = []
        for n, (item, position) in enumerate(zip(items, positions), start=1):
            options = _distinct_options(item.key, item.distractors)[:4]
            if len(options) < 3:
                continue  # repetitive material can leave a statement item without real alternatives
            if item.numeric:
                options.sort(key=numeric_value)
                answer = options.index(item.key)
            else:
                options, answer = place_key(item.key, options[1:], position % len(options), random.Random(f"{seed}/{n}"))
            sentence = self._index.sentences[item.sentence]  # type: ignore[union-attr]
            questions.append(
                Question(
                    id=f"{prefix}{n}",
                    stem=item.stem,
                    options=options,
                    answer_index=answer,
                    explanation=_explanation(self._index, item, sentence),  # type: ignore[arg-type]
                    objective_id=objective_of.get(item.sentence),
                    evidence_quote=sentence.text,
                )
            )
        return questions


def _distinct_options(key: str, distractors: Sequence[str]) -> list[str]:
    """The key first, then distractors that differ from it and from each other once normalised."""
    seen = {normalise_option(key)}
    options = [key]
    for distractor in distractors:
        if normalise_option(distractor) not in seen:
            seen.add(normalise_option(distractor))
            options.append(distractor)
    return options


def _take(chosen: list[_Item], pool: list[_Item], count: int, strict: bool, context: Sequence[_Item] = ()) -> None:
    """Add up to `count` items from `pool` that keep the set independent (HDR #4): no repeated
    or near-identical stem and, when strict, no reused sentence and no key that shows up in
    another item's stem. `context` holds items already placed elsewhere in the same test."""
    added = 0
    for item in pool:
        if added >= count:
            return
        placed = [*context, *chosen]
        if any(item.stem == c.stem or _near_duplicate(item.stem, c.stem) for c in placed):
            continue
        if strict and any(item.sentence == c.sentence or _key_in(c.key, item.stem) or _key_in(item.key, c.stem) for c in placed):
            continue
        chosen.append(item)
        added += 1


def _item_order(item: _Item) -> tuple:
    return (-item.score, item.sentence, item.stem)


def _interleave(items: list[_Item]) -> list[_Item]:
    """Alternate the kinds of item (definitional, cloze, …), each kind kept best first."""
    by_kind: dict[str, list[_Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    queues = list(by_kind.values())
    result: list[_Item] = []
    while queues:
        for queue in list(queues):
            result.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
    return result


def _key_in(key: str, stem: str) -> bool:
    return bool(re.search(rf"(?<![\w]){re.escape(key.casefold())}(?![\w])", stem.casefold()))


def _near_duplicate(a: str, b: str) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() > 0.8 and matcher.quick_ratio() > 0.8 and matcher.ratio() > 0.8


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of `total` items over modules, at least one each when possible."""
    if not weights:
        return []
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    for i, c in enumerate(counts):  # every module represented (check 17) when there is room
        if c == 0 and total >= len(weights):
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            counts[donor] -= 1
            counts[i] = 1
    return counts


def _explanation(index: _Index, item: _Item, sentence: _Sentence) -> str:
    where = index.cite(sentence)
    if item.kind == "statement":
        return f"The correct answer is “{item.key}” because it is quoted word for word from {where}; the other statements negate what the material says."
    return f"The correct answer is “{item.key}”. The material says so in {where}: “{sentence.text}”"


def _objectives_per_module(request) -> int:
    """Few enough objectives that every one can get a quiz item and an exam item (check 20)."""
    return max(1, min(request.lessons_per_module, request.questions_per_quiz, request.exam_questions // request.modules))


def _search_pieces(index: _Index, query: str) -> list[_Piece]:
    """Sections that best match a lesson title written by someone else (e.g. a resumed outline)."""
    wanted = _stems(t for t in _tokens(query)[0] if t != "|")
    scored = []
    for section in index.sections:
        if not section.sentences:
            continue
        title = _stems(_tokens(section.title)[0])
        body: Counter[str] = Counter()
        for i in section.sentences:
            body.update(index.sentences[i].stems & wanted)
        scored.append((-(3 * len(title & wanted) + sum(body.values()) / math.sqrt(len(section.sentences))), section.index))
    scored.sort()
    return [_Piece(s, 0, len(index.sections[s].sentences)) for _, s in scored[:2]] or [_Piece(0, 0, len(index.sections[0].sentences))]


def _source_labels(index: _Index, sections: Iterable[int]) -> list[str]:
    """'notes.md, §Heading' for each section; a bare file name only when it has no headings."""
    labels: dict[str, None] = {}
    titled: set[str] = set()
    for i in sections:
        section = index.sections[i]
        if section.cited:
            labels[f"{section.source}, §{section.cited}"] = None
            titled.add(section.source)
        else:
            labels[section.source] = None
    return [label for label in labels if label not in titled]


# ---------------------------------------------------------------------------------------------
# Outline


def _build_layout(index: _Index, topic: str, modules: int, lessons: int, objectives_per_module: int) -> _Layout:
    """Plan the outline: modules and lessons from the material, objectives per lesson group."""
    plan = _Planner(index).plan(modules, lessons)
    titler = _Titler(index)
    module_titles = titler.titles([[p for lesson in module for p in lesson] for module in plan], set(), module=True)
    lesson_taken: set[str] = set()
    objectives: list[Objective] = []
    module_plans: list[ModulePlan] = []
    covered: dict[str, tuple[str, list[_Piece]]] = {}
    for m, (module_pieces, module_title) in enumerate(zip(plan, module_titles), start=1):
        module_id = f"m{m}"
        lesson_titles = titler.titles(module_pieces, lesson_taken)
        lesson_objective: list[str] = []
        for group in _even_groups(len(module_pieces), objectives_per_module):
            objective = _objective(index, f"o{len(objectives) + 1}", [p for g in group for p in module_pieces[g]], [lesson_titles[g] for g in group])
            objectives.append(objective)
            lesson_objective.extend(objective.id for _ in group)
        plans = []
        for n, (pieces, title, objective_id) in enumerate(zip(module_pieces, lesson_titles, lesson_objective), start=1):
            lesson_id = f"{module_id}l{n}"
            covered[lesson_id] = (title, pieces)
            plans.append(LessonPlan(id=lesson_id, title=title, summary=_lesson_summary(index, pieces), objective_ids=[objective_id]))
        module_plans.append(ModulePlan(id=module_id, title=module_title, summary=f"Covers {_title_join(lesson_titles)}.", lessons=plans))
    sources = _join(list(dict.fromkeys(section.source for section in index.sections)))
    outline = Outline(
        title=topic,
        description=f"A course built from {sources} without a language model: every lesson quotes the material, and every answer comes with the sentence it is based on.",
        objectives=objectives,
        modules=module_plans,
    )
    return _Layout(outline=outline, lessons=covered)


def _even_groups(count: int, groups: int) -> list[list[int]]:
    groups = max(1, min(groups, count))
    return [list(range(g * count // groups, (g + 1) * count // groups)) for g in range(groups)]


def _objective(index: _Index, objective_id: str, pieces: list[_Piece], titles: list[str]) -> Objective:
    """A measurable objective with one Bloom verb, honest about what the offline items test."""
    ids = index.sentences_of(pieces)
    terms = sorted(index.defined_terms(ids), key=lambda d: (-index.terms[d.key].score if d.key in index.terms else 0, d.sentence))
    title = _join([f"“{t}”" for t in titles[:2]])
    if len(terms) >= 2:
        names = [t.named if t.article == "the" else t.term for t in sorted(terms[:3], key=lambda d: d.sentence)]
        return Objective(id=objective_id, text=f"Define {_join(names)}", bloom_level=BloomLevel.REMEMBER)
    if sum(1 for i in ids if index.sentences[i].step) >= 2:
        return Objective(id=objective_id, text=f"List in order the steps described in {title}", bloom_level=BloomLevel.REMEMBER)
    return Objective(id=objective_id, text=f"Explain the key ideas of {title}", bloom_level=BloomLevel.UNDERSTAND)


def _lesson_summary(index: _Index, pieces: list[_Piece]) -> str:
    ids = index.sentences_of(pieces)
    counts: Counter[tuple[str, ...]] = Counter()
    for i in ids:
        counts.update(gram for _, _, gram in index.sentences[i].occurrences if not index.terms[gram].numeric)
    ranked = sorted(counts, key=lambda g: (-counts[g] * index.terms[g].score, g))[:4]
    return f"Key terms: {_join([index.terms[g].surface for g in ranked])}." if ranked else ""


class _Titler:
    """Titles from the material's headings; key terms when it has none; never two the same."""

    def __init__(self, index: _Index) -> None:
        self.index = index

    def titles(self, groups: list[list[_Piece]], taken: set[str], module: bool = False) -> list[str]:
        """One title per group; `taken` (shared by the caller) keeps them unique course-wide."""
        result = []
        for n, pieces in enumerate(groups, start=1):
            title = self._title(pieces, module)
            if not title or title.casefold() in taken:
                title = self._distinct(pieces, title, taken, n)
            taken.add(title.casefold())
            result.append(title)
        return result

    def _title(self, pieces: list[_Piece], module: bool) -> str:
        """A module is named by the heading its sections share, a lesson by its own one or two
        section headings; otherwise the shared heading, else the headings below it."""
        paths = [path for path in (self.index.sections[p.section].path for p in pieces) if path]
        if not paths:
            return ""
        common = _common_prefix(paths)
        leaves = list(dict.fromkeys(p[-1] for p in paths))
        if not module and len(leaves) <= 2 and len(_title_join(leaves)) <= 80:
            return _title_join(leaves)
        if common:
            return common[-1]
        heads = list(dict.fromkeys(p[0] for p in paths))
        if len(heads) <= 3 and len(_title_join(heads)) <= 80:
            return _title_join(heads)
        return f"{heads[0]} to {_lower_article(heads[-1])}"

    def _distinct(self, pieces: list[_Piece], title: str, taken: set[str], n: int) -> str:
        counts: Counter[tuple[str, ...]] = Counter()
        for i in self.index.sentences_of(pieces):
            counts.update(gram for _, _, gram in self.index.sentences[i].occurrences if not self.index.terms[gram].numeric)
        for gram in sorted(counts, key=lambda g: (-counts[g] * self.index.terms[g].score, g)):
            surface = _cap(self.index.terms[gram].surface)
            candidate = f"{title}: {surface}" if title else surface
            if candidate.casefold() not in taken and surface.casefold() not in title.casefold():
                return candidate
        base = title or "Part"
        k = n
        while f"{base} ({k})".casefold() in taken:
            k += 1
        return f"{base} ({k})"


def _lower_article(title: str) -> str:
    """'The light reactions' inside a longer title reads 'the light reactions'."""
    first, _, rest = title.partition(" ")
    return f"{first.lower()} {rest}" if first in ("The", "A", "An") and rest else title


def _title_join(titles: list[str]) -> str:
    return _join([titles[0], *(_lower_article(t) for t in titles[1:])]) if titles else ""


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        k = 0
        while k < min(len(prefix), len(path)) and prefix[k] == path[k]:
            k += 1
        prefix = prefix[:k]
    return prefix


# ---------------------------------------------------------------------------------------------
# Lessons and flashcards


class _LessonWriter:
    """Assembles a lesson from its sentences: objectives, explanation, worked example, key
    points, glossary and retrieval questions (COURSE_QUALITY.md check 22)."""

    def __init__(self, index: _Index, writer: _ItemWriter) -> None:
        self.index = index
        self.writer = writer

    def write(self, plan: LessonPlan, ids: list[int], objectives: list[Objective]) -> tuple[list[str], list[str], list[GlossaryEntry]]:
        """The lesson's markdown in sections (streamed one by one), its key points and glossary."""
        steps = self._steps(ids)
        key_points = self._key_points(ids)
        definitions = self.index.defined_terms(ids)
        glossary = [GlossaryEntry(term=_cap(d.term), definition=_cap(d.text) + ".") for d in definitions]
        parts = [self._objectives(plan, objectives), self._explanation(ids, skip=set(steps))]
        if len(steps) >= 2:
            parts.append(self._worked_example(steps))
        parts.append("## Key points\n\n" + "".join(f"- {point}\n" for point in key_points) + "\n")
        if glossary:
            parts.append("## Glossary\n\n" + "".join(f"- **{g.term}**: {g.definition}\n" for g in glossary) + "\n")
        parts.append(self._check_yourself(ids, definitions, key_points))
        return parts, key_points, glossary

    def _objectives(self, plan: LessonPlan, objectives: list[Objective]) -> str:
        lines = [f"- {o.text}." if not o.text.endswith(".") else f"- {o.text}" for o in objectives] or [f"- Explain the key ideas of “{plan.title}”."]
        return "## What you will learn\n\nBy the end of this lesson you will be able to:\n\n" + "\n".join(lines) + "\n\n"

    def _explanation(self, ids: list[int], skip: set[int]) -> str:
        chosen = self._explanation_sentences(ids, skip)
        out = ["## Explanation\n\n"]
        sections = list(dict.fromkeys(self.index.sentences[i].section for i in chosen))
        show_headings = len(sections) > 1
        last_section, last_para, paragraph = None, None, []
        for i in chosen:
            s = self.index.sentences[i]
            if (s.section, s.para) != (last_section, last_para) and paragraph:
                out.append(" ".join(paragraph) + "\n\n")
                paragraph = []
            if s.section != last_section and show_headings and self.index.sections[s.section].title:
                out.append(f"### {self.index.sections[s.section].title}\n\n")
            paragraph.append(f"{'-' if not s.marker[:1].isdigit() else s.marker} {s.text}" if s.marker else s.text)
            last_section, last_para = s.section, s.para
        if paragraph:
            out.append(" ".join(paragraph) + "\n\n")
        out.append(f"*Source: {'; '.join(_source_labels(self.index, [self.index.sentences[i].section for i in chosen]))}.*\n\n")
        return "".join(out)

    def _explanation_sentences(self, ids: list[int], skip: set[int]) -> list[int]:
        """The best ~half of the lesson's sentences (6-20), in source order, each with the
        sentence before it when it opens with a pronoun that needs an antecedent."""
        usable = [i for i in ids if i not in skip and any(ch.isalpha() for ch in self.index.sentences[i].text)]
        if not usable:  # a lesson that is nothing but steps explains them here too
            usable = list(ids)
        if len(usable) <= 8:
            return usable
        count = max(6, min(20, round(len(usable) * 0.5)))
        top = set(sorted(usable, key=lambda i: (-self.index.sentences[i].score, i))[:count])
        position = {i: k for k, i in enumerate(usable)}
        for i in list(top):
            k = position[i]
            if self.index.sentences[i].low[0] in _PRONOUN_START and k > 0:
                top.add(usable[k - 1])
        return [i for i in usable if i in top]

    def _steps(self, ids: list[int]) -> list[int]:
        """A run of at least two consecutive step sentences (numbered items, first/then/finally)."""
        best: list[int] = []
        run: list[int] = []
        for i in ids:
            s = self.index.sentences[i]
            last = self.index.sentences[run[-1]] if run else None
            if s.step:
                run = [*run, i] if last and last.section == s.section else [i]
            elif not (last and (last.section, last.para) == (s.section, s.para)):
                run = []  # a later sentence of the same list item keeps the run going
            if len(run) > len(best):
                best = run
        return best if len(best) >= 2 else []

    def _worked_example(self, steps: list[int]) -> str:
        where = self.index.cite(self.index.sentences[steps[0]])
        lines = [f"{n}. {_cap(_STEP_WORD.sub('', self.index.sentences[i].text))}" for n, i in enumerate(steps, start=1)]
        return (
            "## Worked example\n\n"
            f"The material ({where}) sets out this process step by step:\n\n"
            + "\n".join(lines)
            + "\n\nWork through it once with the text closed: say each step and what it produces, then check the order against the list.\n\n"
        )

    def _key_points(self, ids: list[int]) -> list[str]:
        """TextRank (Mihalcea & Tarau 2004) over the lesson's best sentences, kept in source order."""
        candidates = [i for i in sorted(ids, key=lambda i: (-self.index.sentences[i].score, i)) if self.index.sentences[i].qok][:30]
        if not candidates:
            candidates = sorted(ids, key=lambda i: (-self.index.sentences[i].score, i))[:30]
        ranks = _textrank([self.index.sentences[i].stems for i in candidates])
        top_rank = max(ranks, default=1.0) or 1.0
        top_score = max((self.index.sentences[i].score for i in candidates), default=1.0) or 1.0
        combined = {i: 0.5 * r / top_rank + 0.5 * self.index.sentences[i].score / top_score for i, r in zip(candidates, ranks)}
        count = max(3, min(6, len(ids) // 6))
        chosen = sorted(sorted(combined, key=lambda i: (-combined[i], i))[:count])
        return [self.index.sentences[i].text for i in chosen]

    def _check_yourself(self, ids: list[int], definitions: list[_Definition], key_points: list[str]) -> str:
        """Two or three retrieval questions with hidden answers (Roediger & Karpicke 2006)."""
        pairs: list[tuple[str, str]] = []
        for d in definitions[:2]:
            pairs.append((d.question(), _cap(d.text) + "."))
        for item in self.writer.pool(ids):
            if len(pairs) >= 3:
                break
            if item.kind == "cloze" and all(item.key.casefold() not in q.casefold() for q, _ in pairs):
                pairs.append((item.stem, item.key))
        for point in key_points:
            if len(pairs) >= 2:
                break
            pairs.append((f"In one sentence, what does the material say about “{_headline(point)}”?", point))
        out = ["## Check yourself\n\n"]
        for n, (question, answer) in enumerate(pairs[:3], start=1):
            out.append(f"**{n}. {question}**\n\n<details><summary>Show answer</summary>\n\n{answer}\n\n</details>\n\n")
        return "".join(out)


_STEP_WORD = re.compile(r"^(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|after that|finally|lastly),?\s+", re.I)


def _headline(sentence: str) -> str:
    words_ = sentence.rstrip(".!").split()
    return " ".join(words_[:6]) + ("…" if len(words_) > 6 else "")


def _textrank(stem_sets: list[frozenset[str]], damping: float = 0.85, iterations: int = 30) -> list[float]:
    n = len(stem_sets)
    if n == 0:
        return []
    weights: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(stem_sets[i] & stem_sets[j])
            if shared:
                w = shared / (math.log(len(stem_sets[i]) + 1) + math.log(len(stem_sets[j]) + 1))
                weights[i].append((j, w))
                weights[j].append((i, w))
    totals = [sum(w for _, w in edges) or 1.0 for edges in weights]
    rank = [1.0 / n] * n
    for _ in range(iterations):
        rank = [(1 - damping) / n + damping * sum(rank[j] * w / totals[j] for j, w in weights[i]) for i in range(n)]
    return rank


def _cards_for(index: _Index, writer: _ItemWriter, ids: list[int], module_id: str) -> list[Flashcard]:
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
    return _cap(text.rstrip(" ,;")) + "."
