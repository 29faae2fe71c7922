"""A generator that streams lesson text as fast as it can: the worst case for GUI responsiveness."""

from __future__ import annotations

import asyncio

from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.models import Lesson, LessonPlan, ModulePlan
from tests.helpers.scripted_generator import ScriptedGenerator


class StreamingGenerator(ScriptedGenerator):
    """Each lesson arrives as `deltas` small pieces, `pause` seconds apart (0: a bare yield, so the
    worker thread never waits: CPU-bound, unlike a real stream, which waits on the network)."""

    def __init__(self, deltas: int = 400, pause: float = 0.001, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.deltas, self.pause = deltas, pause

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        self.calls["lesson"] += 1
        pieces = []
        for number in range(self.deltas):
            piece = f"word{number} about {plan.title}. "
            pieces.append(piece)
            on_text(piece)
            await asyncio.sleep(self.pause)
        body = f"# {plan.title}\n\n" + "".join(pieces)
        return Lesson(id=plan.id, module_id=module.id, title=plan.title, markdown=body, objectives_covered=plan.objective_ids)
