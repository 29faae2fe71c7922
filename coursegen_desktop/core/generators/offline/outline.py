"""The outline: modules, lessons and objectives planned from the material, and the material
a lesson covers (also for an outline written elsewhere, e.g. a resumed job)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.planner import Planner
from coursegen_desktop.core.generators.offline.records import Piece
from coursegen_desktop.core.generators.offline.text import (
    join_with_and,
    stem_set,
    tokenise,
)
from coursegen_desktop.core.generators.offline.titles import Titler, title_join
from coursegen_desktop.core.models import (
    BloomLevel,
    LessonPlan,
    ModulePlan,
    Objective,
    Outline,
)


@dataclass
class Layout:
    """The planned outline plus, for each lesson id, its title and the material it covers."""

    outline: Outline
    lessons: dict[str, tuple[str, list[Piece]]]


def search_pieces(index: Index, query: str) -> list[Piece]:
    """Sections that best match a lesson title written by someone else (e.g. a resumed outline)."""
    wanted = stem_set(t for t in tokenise(query)[0] if t != "|")
    scored = []
    for section in index.sections:
        if not section.sentences:
            continue
        title = stem_set(tokenise(section.title)[0])
        body: Counter[str] = Counter()
        for i in section.sentences:
            body.update(index.sentences[i].stems & wanted)
        scored.append((-(3 * len(title & wanted) + sum(body.values()) / math.sqrt(len(section.sentences))), section.index))
    scored.sort()
    return [Piece(s, 0, len(index.sections[s].sentences)) for _, s in scored[:2]] or [Piece(0, 0, len(index.sections[0].sentences))]


def focus_stems(instruction: str) -> set[str]:
    """The content-word stems of a user's instruction ("more on osmosis" → {"osmosi", …})."""
    return {t for t in stem_set(t for t in tokenise(instruction)[0] if t != "|") if len(t) > 2} if instruction.strip() else set()


def build_layout(index: Index, topic: str, modules: int, lessons: int, objectives_per_module: int, instruction: str = "") -> Layout:
    """Plan the outline: modules and lessons from the material, objectives per lesson group.

    With an instruction, the sections of the material that use its words move to the front of
    the course (a visible change of emphasis and grouping), and the description names it."""
    plan = Planner(index).plan(modules, lessons, focus_stems(instruction))
    titler = Titler(index)
    module_titles = titler.titles([[p for lesson in module for p in lesson] for module in plan], set(), module=True)
    lesson_taken: set[str] = set()
    objectives: list[Objective] = []
    module_plans: list[ModulePlan] = []
    covered: dict[str, tuple[str, list[Piece]]] = {}
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
        module_plans.append(ModulePlan(id=module_id, title=module_title, summary=f"Covers {title_join(lesson_titles)}.", lessons=plans))
    sources = join_with_and(list(dict.fromkeys(section.source for section in index.sections)))
    outline = Outline(
        title=topic,
        description=f"A course built from {sources} without a language model: every lesson quotes the material, and every answer comes with the sentence it is based on."
        + (f" Arranged for: “{instruction.strip()}”." if instruction.strip() else ""),
        objectives=objectives,
        modules=module_plans,
    )
    return Layout(outline=outline, lessons=covered)


def _even_groups(count: int, groups: int) -> list[list[int]]:
    groups = max(1, min(groups, count))
    return [list(range(g * count // groups, (g + 1) * count // groups)) for g in range(groups)]


def _objective(index: Index, objective_id: str, pieces: list[Piece], titles: list[str]) -> Objective:
    """A measurable objective with one Bloom verb, honest about what the offline items test."""
    ids = index.sentences_of(pieces)
    terms = sorted(index.defined_terms(ids), key=lambda d: (-index.terms[d.key].score if d.key in index.terms else 0, d.sentence))
    title = join_with_and([f"“{t}”" for t in titles[:2]])
    if len(terms) >= 2:
        names = [t.named if t.article == "the" else t.term for t in sorted(terms[:3], key=lambda d: d.sentence)]
        return Objective(id=objective_id, text=f"Define {join_with_and(names)}", bloom_level=BloomLevel.REMEMBER)
    if sum(1 for i in ids if index.sentences[i].step) >= 2:
        return Objective(id=objective_id, text=f"List in order the steps described in {title}", bloom_level=BloomLevel.REMEMBER)
    return Objective(id=objective_id, text=f"Explain the key ideas of {title}", bloom_level=BloomLevel.UNDERSTAND)


def _lesson_summary(index: Index, pieces: list[Piece]) -> str:
    ids = index.sentences_of(pieces)
    counts: Counter[tuple[str, ...]] = Counter()
    for i in ids:
        counts.update(gram for _, _, gram in index.sentences[i].occurrences if not index.terms[gram].numeric)
    ranked = sorted(counts, key=lambda g: (-counts[g] * index.terms[g].score, g))[:4]
    return f"Key terms: {join_with_and([index.terms[g].surface for g in ranked])}." if ranked else ""
