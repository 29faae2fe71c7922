"""Lesson markdown assembled from the lesson's own sentences: objectives, explanation, worked
example, key points, glossary and retrieval questions."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.items import ItemWriter
from coursegen_desktop.core.generators.offline.records import CodeBlock, Definition
from coursegen_desktop.core.generators.offline.text import PRONOUN_START, capitalise, close_inline, excerpt
from coursegen_desktop.core.export.text import escape_line_start
from coursegen_desktop.core.material.code import fence
from coursegen_desktop.core.models import GlossaryEntry, LessonPlan, Objective


def source_labels(index: Index, sections: Iterable[int]) -> list[str]:
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


class LessonWriter:
    """Assembles a lesson from its sentences: objectives, explanation, worked example, key
    points, glossary and retrieval questions (docs/course-quality.md check 22)."""

    def __init__(self, index: Index, writer: ItemWriter) -> None:
        self.index = index
        self.writer = writer

    def write(self, plan: LessonPlan, ids: list[int], objectives: list[Objective]) -> tuple[list[str], list[str], list[GlossaryEntry]]:
        """The lesson's markdown in sections (streamed one by one), its key points and glossary."""
        steps = self._steps(ids)
        key_points = self._key_points(ids)
        definitions = self.index.defined_terms(ids)
        glossary = [GlossaryEntry(term=capitalise(d.term), definition=close_inline(capitalise(d.text)) + ".") for d in definitions]
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
        """The chosen sentences in source order, paragraphs as in the material, and every code
        block of the lesson whole, as a fenced block right after the sentence that leads to it."""
        code = self.index.code_for(ids)
        chosen = self._explanation_sentences(ids, skip, code)
        shown = set(chosen)
        out = ["## Explanation\n\n"]
        sections = list(dict.fromkeys(self.index.sentences[i].section for i in chosen))
        show_headings = len(sections) > 1
        last_section, last_para, paragraph = None, None, []

        def end_paragraph() -> None:
            if paragraph:
                out.append(" ".join(paragraph) + "\n\n")
                paragraph.clear()

        for i in ids:
            s = self.index.sentences[i]
            if s.section != last_section and (i in shown or i in code or (s.section,) in code):
                end_paragraph()
                if show_headings and self.index.sections[s.section].title:
                    out.append(f"### {self.index.sections[s.section].title}\n\n")
                last_section, last_para = s.section, None
            for block in code.get((s.section,), []) if self.index.sections[s.section].sentences[:1] == [i] else []:
                end_paragraph()
                out.append(fence(block.text, block.lang) + "\n\n")
            if i in shown:
                if (s.section, s.para) != (last_section, last_para):
                    end_paragraph()
                if s.marker:
                    paragraph.append(f"{'-' if not s.marker[:1].isdigit() else s.marker} {s.text}")
                else:  # material text is not markdown: "> x" or "1. x" must not become structure
                    paragraph.append(s.text if paragraph else escape_line_start(s.text))
                last_section, last_para = s.section, s.para
            for block in code.get(i, []):
                end_paragraph()
                out.append(fence(block.text, block.lang) + "\n\n")
        end_paragraph()
        out.append(f"*Source: {'; '.join(source_labels(self.index, [self.index.sentences[i].section for i in chosen]))}.*\n\n")
        return "".join(out)

    def _explanation_sentences(self, ids: list[int], skip: set[int], code: dict[int | tuple[int], list[CodeBlock]]) -> list[int]:
        """The best ~half of the lesson's sentences (6-20), in source order, each with the
        sentence before it when it opens with a pronoun that needs an antecedent, and every
        sentence that leads into a code block ("For example:")."""
        usable = [i for i in ids if i not in skip and any(ch.isalpha() for ch in self.index.sentences[i].text)]
        if not usable:  # a lesson that is nothing but steps explains them here too
            usable = list(ids)
        if len(usable) <= 8:
            return usable
        count = max(6, min(20, round(len(usable) * 0.5)))
        top = set(sorted(usable, key=lambda i: (-self.index.sentences[i].score, i))[:count])
        top |= {i for i in usable if i in code}
        position = {i: k for k, i in enumerate(usable)}
        for i in list(top):
            k = position[i]
            if self.index.sentences[i].low[0] in PRONOUN_START and k > 0:
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
        lines = [f"{n}. {capitalise(_STEP_WORD.sub('', self.index.sentences[i].text))}" for n, i in enumerate(steps, start=1)]
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

    def _check_yourself(self, ids: list[int], definitions: list[Definition], key_points: list[str]) -> str:
        """Two or three retrieval questions with hidden answers (Roediger & Karpicke 2006)."""
        pairs: list[tuple[str, str]] = []
        for d in definitions[:2]:
            pairs.append((d.question(), close_inline(capitalise(d.text)) + "."))
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
    return excerpt(sentence, 6)


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
