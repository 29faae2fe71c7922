"""The `OfflineGenerator` class: the generator protocol on top of the index, planner, item
writer and lesson writer, with the per-material state cached between steps."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.generators.offline.flashcards import cards_for
from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.items import Item, ItemWriter
from coursegen_desktop.core.generators.offline.lessons import (
    LessonWriter,
    source_labels,
)
from coursegen_desktop.core.generators.offline.outline import (
    Layout,
    build_layout,
    search_pieces,
)
from coursegen_desktop.core.generators.offline.records import Piece, Sentence
from coursegen_desktop.core.generators.offline.selection import (
    allocate,
    distinct_options,
    interleave,
    item_order,
    take,
)
from coursegen_desktop.core.material import Material
from coursegen_desktop.core.models import (
    Exam,
    Flashcard,
    FlashcardDeck,
    Lesson,
    LessonPlan,
    ModulePlan,
    Objective,
    Outline,
    Question,
    Quiz,
    Usage,
)
from coursegen_desktop.core.options import balanced_positions, numeric_value, place_key

NO_MATERIAL = "The offline generator builds a course from your own material; add a file (or set an API key to let Claude write it)."


class OfflineGenerator:
    """Builds a whole course from the user's material, deterministically and without a network."""

    name = "offline"
    model: str | None = None
    warm_cache_first = False

    def __init__(self) -> None:
        self._material: Material | None = None
        self._index: Index | None = None
        self._writer: ItemWriter | None = None
        self._layouts: dict[tuple, Layout] = {}
        self._quiz_cache: dict[tuple, list[Item]] = {}

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
        parts, key_points, glossary = LessonWriter(index, self._writer).write(plan, ids, [objectives[o] for o in plan.objective_ids if o in objectives])  # type: ignore[arg-type]
        for part in parts:
            ctx.cancel.raise_if_cancelled()
            on_text(part)
        sources = source_labels(index, [p.section for p in pieces])
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
                for card in cards_for(index, self._writer, index.sentences_of(self._pieces_for(ctx, plan)), module.id):  # type: ignore[arg-type]
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

    def _prepare(self, material: Material) -> Index:
        """The index of this material object, built once (the methods then take milliseconds)."""
        if material is None or material.is_empty:
            raise MaterialError(NO_MATERIAL)
        if self._material is not material:
            index = Index(material)
            if sum(1 for s in index.sentences if s.n_words >= 5) < 3:
                names = ", ".join(material.sources)
                raise MaterialError(f"{names} has too little text to build a course from; add at least a few paragraphs of study text.")
            self._material, self._index, self._writer = material, index, ItemWriter(index)
            self._layouts.clear()
            self._quiz_cache.clear()
        return self._index  # type: ignore[return-value]

    def _layout(self, ctx: GenerationContext) -> Layout:
        index = self._prepare(ctx.material)
        request = ctx.request
        key = (request.modules, request.lessons_per_module, request.questions_per_quiz, request.exam_questions, request.topic, ctx.instruction)
        if key not in self._layouts:
            self._layouts[key] = build_layout(index, request.topic, request.modules, request.lessons_per_module, _objectives_per_module(request), ctx.instruction)
        return self._layouts[key]

    def _modules(self, ctx: GenerationContext) -> list[ModulePlan]:
        return list((ctx.outline or self._layout(ctx).outline).modules)

    def _objectives(self, ctx: GenerationContext) -> dict[str, Objective]:
        outline = ctx.outline or self._layout(ctx).outline
        return {o.id: o for o in outline.objectives}

    def _pieces_for(self, ctx: GenerationContext, plan: LessonPlan) -> list[Piece]:
        """The layout's pieces for a lesson it planned; for a foreign outline, the best match."""
        planned = self._layout(ctx).lessons.get(plan.id)
        if planned and planned[0] == plan.title:
            return planned[1]
        return search_pieces(self._index, f"{plan.title} {plan.summary}")  # type: ignore[arg-type]

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

    def _quiz_items(self, ctx: GenerationContext, module: ModulePlan) -> list[Item]:
        self._prepare(ctx.material)
        key = (module.id, tuple(p.id for p in module.lessons), ctx.request.questions_per_quiz)
        if key not in self._quiz_cache:
            backup = [i for m in self._modules(ctx) if m.id != module.id for ids in self._module_sentences(ctx, m).values() for i in ids]
            self._quiz_cache[key] = self._select(self._module_sentences(ctx, module), ctx.request.questions_per_quiz, backup=backup)
        return self._quiz_cache[key]

    def _exam_items(self, ctx: GenerationContext, modules: list[ModulePlan]) -> list[Item]:
        """Items per module in proportion to its objectives, avoiding the sentences its quiz
        used, independent across the whole exam, interleaved by module (Dunlosky et al. 2013)."""
        counts = allocate(ctx.request.exam_questions, [max(1, len({o for p in m.lessons for o in p.objective_ids})) for m in modules])
        per_module: list[list[Item]] = []
        so_far: list[Item] = []
        for module, count in zip(modules, counts):
            quiz_sentences = {item.sentence for item in self._quiz_items(ctx, module)}
            items = self._select(self._module_sentences(ctx, module), count, avoid=quiz_sentences, context=so_far)
            per_module.append(items)
            so_far.extend(items)
        return [items[k] for k in range(max(counts, default=0)) for items in per_module if k < len(items)]

    def _select(self, by_objective: dict[str, list[int]], count: int, avoid: set[int] | None = None, context: Sequence[Item] = (), backup: Sequence[int] = ()) -> list[Item]:
        """Pick `count` independent items: one per objective first, then the best of the rest,
        alternating definitional and cloze items.

        Relaxes step by step when the material is thin (sentences used elsewhere, true-statement
        items, other modules, finally repeats), so a quiz is never short or empty."""
        writer = self._writer
        assert writer is not None
        avoid = avoid or set()
        all_ids = list(dict.fromkeys(i for ids in by_objective.values() for i in ids))
        pools = {objective: [item for item in writer.pool(ids) if item.sentence not in avoid] for objective, ids in by_objective.items()}
        chosen: list[Item] = []
        for pool in pools.values():
            if len(chosen) < count:
                take(chosen, interleave(pool), 1, strict=True, context=context)
        fresh = interleave(sorted((item for pool in pools.values() for item in pool), key=item_order))
        fallbacks: list[tuple[Callable[[], list[Item]], bool]] = [
            (lambda: fresh, True),
            (lambda: fresh, False),
            (lambda: interleave(writer.pool(all_ids)), False),
            (lambda: writer.statement_items(all_ids, {c.key for c in [*context, *chosen]}), False),
            (lambda: writer.pool(list(backup)) if backup else [], False),
        ]
        for make, strict in fallbacks:  # built lazily: rich material never needs the later ones
            if len(chosen) < count:
                take(chosen, make(), count - len(chosen), strict=strict, context=context)
        if len(chosen) < count:
            repeats = writer.pool(all_ids) + writer.statement_items(all_ids, set()) + (writer.pool(list(backup)) if backup else [])
            for k in range(count - len(chosen) if repeats else 0):
                chosen.append(repeats[k % len(repeats)])
        if not chosen:
            raise MaterialError("The material has too few complete sentences to write quiz questions from; add a longer file.")
        return chosen[:count]

    def _questions(self, items: list[Item], seed: str, prefix: str, objective_of: dict[int, str]) -> list[Question]:
        positions = balanced_positions(len(items), seed)
        questions = []
        for n, (item, position) in enumerate(zip(items, positions), start=1):
            options = distinct_options(item.key, item.distractors)[:4]
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


def _explanation(index: Index, item: Item, sentence: Sentence) -> str:
    where = index.cite(sentence)
    if item.kind == "statement":
        return f"The correct answer is “{item.key}” because it is quoted word for word from {where}; the other statements negate what the material says."
    return f"The correct answer is “{item.key}”. The material says so in {where}: “{sentence.text}”"


def _objectives_per_module(request) -> int:
    """Few enough objectives that every one can get a quiz item and an exam item (check 20)."""
    return max(1, min(request.lessons_per_module, request.questions_per_quiz, request.exam_questions // request.modules))
