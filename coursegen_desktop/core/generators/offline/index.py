"""The text index: sections, sentences, definitions, key terms and sentence scores of one
material, computed once so every lesson, quiz and exam reads from the same analysis."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from coursegen_desktop.core.generators.offline.records import (
    CodeBlock,
    Definition,
    Piece,
    Section,
    Sentence,
    Term,
)
from coursegen_desktop.core.generators.offline.terms import (
    NgramCounts,
    best_surface,
    candidate_runs,
    ends_in_verb,
    good_definition,
    number_class,
    verb_pair,
    wordlike,
)
from coursegen_desktop.core.generators.offline.text import (
    PRONOUN_START,
    capitalise,
    stem_set,
    tokenise,
)
from coursegen_desktop.core.material import STOPWORDS, Material, split_sentences
from coursegen_desktop.core.material.code import looks_like_code, split_fenced

_LIST_MARKER = re.compile(r"^\s*(?:[-*+•·▪‣◦]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+")
_HEADING_NUMBER = re.compile(r"^(?:(?:chapter|part|section|unit|module|lesson)\s+)?(?:\d{1,2}(?:\.\d{1,2})*[.:)]?|(?:[ivxlc]+|[a-z])[.:)])\s+(?=\S)", re.I)


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


_DETERMINERS = frozenset("the a an its their this these each every some many most such both his her our your".split())


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


class Index:
    """Everything the generator needs to know about one material, computed once."""

    def __init__(self, material: Material) -> None:
        self.sections: list[Section] = []
        self.sentences: list[Sentence] = []
        self.code_blocks: list[CodeBlock] = []
        self.word_case: dict[str, str] = {}
        self._read(material)
        self.small = len(self.sentences) < 60
        for sentence in self.sentences:
            sentence.definition = self._definition(sentence)
        self.terms: dict[tuple[str, ...], Term] = self._find_terms()
        self._link_terms()
        self._score_sentences()
        numeric_classes = Counter(t.numeric for t in self.terms.values() if t.numeric and t.sentences)
        self.keyable = sorted((t for t in self.terms.values() if self._keyable(t, numeric_classes)), key=lambda t: (-t.score, t.key))
        self.keyable_keys = {t.key for t in self.keyable}
        # Every run of up to 8 tokens in the material: "would this option make the sentence
        # true?" becomes one set lookup instead of a scan of every sentence with the term.
        self.phrases: set[str] = {  # strings, not tuples: the garbage collector never scans them
            " ".join(sentence.low[start : start + length])
            for sentence in self.sentences
            for start in range(len(sentence.low))
            for length in range(1, min(8, len(sentence.low) - start) + 1)
        }
        self.terms_by_section: dict[int, list[Term]] = defaultdict(list)
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
                last = Section(len(self.sections), chunk.source, path, document=titles.get(chunk.source, ""))
                self.sections.append(last)
            self._read_chunk(last, chunk.text, chunk.page)
        for section in self.sections:  # after reading: the case of words is known by now
            section.path = tuple(self._display_heading(h) for h in section.path)
            section.document = self._display_heading(section.document) if section.document else ""

    def _read_chunk(self, section: Section, text: str, page: int | None) -> None:
        for segment in split_fenced(text):
            if segment.code:
                self._add_code(section, segment.text, segment.lang)
            else:
                self._read_prose(section, segment.text, page)

    def _add_code(self, section: Section, text: str, lang: str) -> None:
        if not section.sentences:  # a section of nothing but code: it goes with the text before it
            earlier = next((s for s in reversed(self.sections[: section.index]) if s.source == section.source and s.sentences), None)
            section = earlier or section
        after = section.sentences[-1] if section.sentences else None
        last = self.code_blocks[-1] if self.code_blocks else None
        if last and (last.section, last.after, last.lang) == (section.index, after, lang):  # one block cut in two by chunking
            self.code_blocks[-1] = CodeBlock(section.index, after, f"{last.text}\n{text}", lang)
        else:
            self.code_blocks.append(CodeBlock(section.index, after, text, lang))

    def _read_prose(self, section: Section, text: str, page: int | None) -> None:
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

    def _add_paragraph(self, section: Section, text: str, marker: str, page: int | None) -> None:
        para = (self.sentences[section.sentences[-1]].para + 1) if section.sentences else 0
        numbered_list = bool(marker) and marker[0].isdigit()
        for k, sentence_text in enumerate(split_sentences(text)):
            if looks_like_code(sentence_text):  # code the reader could not tell apart: show it, never quiz it
                self._add_code(section, sentence_text, "")
                continue
            low, spans, raw = tokenise(sentence_text)
            n_words = sum(1 for t in low if t != "|")
            if n_words < 2:
                continue
            sentence = Sentence(
                index=len(self.sentences),
                text=sentence_text,
                section=section.index,
                para=para,
                marker=marker if k == 0 else "",
                page=page,
                low=low,
                spans=spans,
                stems=stem_set(t for t in low if t != "|"),
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
            text = capitalise(" ".join(self._case_of(w) for w in text.lower().split()))
        return text

    def _case_of(self, word: str) -> str:
        core = re.sub(r"['’]s$", "", word)
        cased = self.word_case.get(core)
        return word.replace(core, cased, 1) if cased else word

    # -- definitions ---------------------------------------------------------------------

    def _definition(self, sentence: Sentence) -> Definition | None:
        if sentence.n_words > 45 or sentence.text.endswith("?"):
            return None
        for pattern in _DEFINITIONS:
            match = pattern.match(sentence.text)
            if not match:
                continue
            article = re.match(r"^(the|a|an)\s+", sentence.text, flags=re.I) if match.start("term") <= 4 else None
            term = re.sub(r"^(?:the|a|an)\s+", "", match.group("term").strip(), flags=re.I).strip(" ,")
            definition = match.group("def").strip(" ,")
            key = tuple(t for t in tokenise(term)[0] if t != "|")
            if not self._good_term(key) or not good_definition(definition, key):
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
            stems = stem_set(t for t in tokenise(definition)[0] if t != "|")
            return Definition(term=term, key=key, text=definition, plural=plural, sentence=sentence.index, article=named_article, stems=stems)
        return None

    @staticmethod
    def _good_term(key: tuple[str, ...]) -> bool:
        if not 1 <= len(key) <= 4 or key[0] in _NOT_TERM or key[0] in STOPWORDS or key[-1] in STOPWORDS:
            return False
        if any(t in ("is", "are", "was", "were", "that", "which") for t in key):
            return False
        return not (len(key) == 1 and (key[0] in _GENERIC or len(key[0]) < 3 or key[0][0].isdigit()))

    # -- key terms -----------------------------------------------------------------------

    def _find_terms(self) -> dict[tuple[str, ...], Term]:
        """Noun-phrase-like candidates: runs of content words after a determiner or preposition
        (a cheap stand-in for a POS tagger), capitalised names, defined terms and numbers."""
        trig: Counter[tuple[str, ...]] = Counter()
        ngrams = NgramCounts()
        surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        proper: Counter[tuple[str, ...]] = Counter()
        nouns: set[tuple[str, ...]] = set()
        verb_like: Counter[tuple[str, ...]] = Counter()
        numbers: dict[tuple[str, ...], str] = {}
        for sentence in self.sentences:
            low = sentence.low
            ngrams.add(low)
            for start, end in candidate_runs(low, sentence.text, sentence.spans):
                capital = sentence.text[sentence.spans[start][0]].isupper() and start > 0
                if start > 0 and low[start - 1] in _DETERMINERS:
                    nouns.add(tuple(low[start:end]))
                if ends_in_verb(low, start, end):
                    verb_like[tuple(low[start:end])] += 1
                for n in range(1, end - start + 1):
                    gram = tuple(low[start : start + n])
                    trig[gram] += 1
                    surfaces[gram][sentence.text[sentence.spans[start][0] : sentence.spans[start + n - 1][1]]] += 1
                    if capital and all(sentence.text[sentence.spans[start + j][0]].isupper() for j in range(n)):
                        proper[gram] += 1
            for i, token in enumerate(low):
                if token[0].isdigit():
                    numbers[(token,)] = number_class(token, low[i + 1] if i + 1 < len(low) else "")
        definitions = {s.definition.key: s.definition for s in self.sentences if s.definition}
        terms: dict[tuple[str, ...], Term] = {}
        min_tf = 1 if self.small else 2
        for gram, count in trig.items():
            tf = max(ngrams[gram], count)
            verbish = verb_pair(gram) or 2 * verb_like[gram] >= count
            if gram in definitions or (self._good_term(gram) and wordlike(gram) and not verbish and (tf >= min_tf if len(gram) == 1 else tf >= 2 or proper[gram])):
                terms[gram] = Term(key=gram, surface=best_surface(surfaces[gram]), tf=tf, proper=proper[gram] > 0, noun=gram in nouns or proper[gram] > 0)
        for gram, definition in definitions.items():
            term = terms.get(gram) or Term(key=gram, surface=definition.term, tf=max(1, ngrams[gram]))
            term.definition = definition
            terms[gram] = term
        for gram, kind in numbers.items():
            terms.setdefault(gram, Term(key=gram, surface=gram[0], tf=ngrams[gram], numeric=kind))
        self._drop_subsumed(terms, trig)
        return terms

    def _drop_subsumed(self, terms: dict[tuple[str, ...], Term], trig: Counter[tuple[str, ...]]) -> None:
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
            term.stems = stem_set(term.key) or frozenset(term.key)
            idf = math.log(1 + n_sections / max(1, len(term.section_set)))
            term.score = (1 + math.log(max(1, term.tf))) * idf * (1.3 if len(term.key) > 1 else 1.0) * (2.0 if term.definition else 1.0) * (0.4 if term.numeric else 1.0)

    @staticmethod
    def _keyable(term: Term, numeric_classes: Counter[str | None]) -> bool:
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
                weight = math.fsum(tf[w] * math.log(1 + n_sections / df[w]) for w in s.stems)  # exact: the same in any set order
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
                    - (0.4 if s.low[0] in PRONOUN_START else 0.0)
                )

    # -- helpers used by the planner and the item writer ---------------------------------

    def sentences_of(self, pieces: Sequence[Piece]) -> list[int]:
        seen: dict[int, None] = {}
        for piece in pieces:
            for i in self.sections[piece.section].sentences[piece.start : piece.end]:
                seen[i] = None
        return list(seen)

    def code_for(self, sentence_ids: Sequence[int]) -> dict[int | tuple[int], list[CodeBlock]]:
        """The code blocks that belong with these sentences, keyed by the sentence they follow,
        or by (section,) for code at the start of a section whose first sentence is here."""
        wanted = set(sentence_ids)
        starts = {self.sentences[i].section for i in wanted if self.sections[self.sentences[i].section].sentences[:1] == [i]}
        result: dict[int | tuple[int], list[CodeBlock]] = {}
        for block in self.code_blocks:
            if block.after is None:
                if block.section in starts:
                    result.setdefault((block.section,), []).append(block)
            elif block.after in wanted:
                result.setdefault(block.after, []).append(block)
        return result

    def cite(self, sentence: Sentence) -> str:
        section = self.sections[sentence.section]
        parts = [section.source]
        if sentence.page:
            parts.append(f"p. {sentence.page}")
        if section.cited:
            parts.append(f"§{section.cited}")
        return ", ".join(parts)

    def defined_terms(self, sentence_ids: Iterable[int]) -> list[Definition]:
        seen: dict[tuple[str, ...], Definition] = {}
        for i in sentence_ids:
            definition = self.sentences[i].definition
            if definition and definition.key not in seen:
                seen[definition.key] = definition
        return list(seen.values())


def _document_titles(material: Material) -> dict[str, str]:
    """A heading that wraps a whole file is its title, not a part: drop it from the paths."""
    titles: dict[str, str] = {}
    for source in material.sources:
        paths = [c.path for c in material.chunks if c.source == source]
        firsts = {p[0] if p else "" for p in paths}
        if len(firsts) == 1 and "" not in firsts and any(len(p) > 1 for p in paths):
            titles[source] = next(iter(firsts))
    return titles


def _quotable(sentence: Sentence, min_words: int) -> bool:
    text = sentence.text
    return (
        min_words <= sentence.n_words <= 35
        and text[-1] in ".!"
        and (text[0].isupper() or text[0].isdigit())
        and sentence.low[0] not in PRONOUN_START
        and " | " not in text
    )
