"""The records the text index is made of: definitions, sentences, sections, key terms, and
the piece of a section a lesson covers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Definition:
    """A sentence of the form "X is a Y that …": the source of glossary entries and definition items."""

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
class Sentence:
    """One sentence of the material with everything the planner and item writer ask of it."""

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
    definition: Definition | None = None
    step: bool = False
    joined: str = ""  # the tokens joined by spaces and padded, for whole-phrase searches


@dataclass
class Section:
    """A run of sentences under one heading path of one file: the unit lessons are cut from."""

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
class Term:
    """A candidate key term: quiz keys and distractors are chosen among these."""

    key: tuple[str, ...]
    surface: str
    tf: int
    numeric: str | None = None  # "year", "percent" or "number"
    proper: bool = False
    definition: Definition | None = None
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


@dataclass(frozen=True)
class CodeBlock:
    """A block of code from the material. Never split into sentences, so no item, key point or
    flashcard can be made from it; a lesson shows it whole, after the sentence before it."""

    section: int
    after: int | None  # the sentence just before it in its section; None at the section's start
    text: str
    lang: str = ""


@dataclass(frozen=True)
class Piece:
    """Sentences start..end (exclusive) of one section."""

    section: int
    start: int
    end: int
