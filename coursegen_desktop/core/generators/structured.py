"""Ask, tolerate, repair once, then fail: the loop every structured part goes through.

The transport (a forced tool call, a JSON-schema response, JSON in text) is the generator's;
the judging is `tolerance`'s. A first answer with problems no fix can answer goes back to the
model once, with the problems listed; a second is judged with `final=True`, which accepts
whatever still makes a sound course. Only then does the job fail, naming the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import GenerationContext
from coursegen_desktop.core.generators.retry import short
from coursegen_desktop.core.generators.tolerance import Verdict

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Answer:
    """What came back: the parsed JSON (None when there was none) and what was wrong with the
    reply itself (no tool call, cut off at the length limit, not JSON)."""

    raw: Any = None
    problems: list[str] = field(default_factory=list)
    # The transport's own record of the reply (a tool_use block, the text), for the repair turn.
    reply: Any = None


async def settle(
    ctx: GenerationContext,
    *,
    author: str,
    what: str,
    ask: Callable[[], Awaitable[Answer]],
    judge: Callable[[Any, bool], Verdict[T]],
    repair: Callable[[Answer, list[str]], None],
) -> T:
    """The judged part; each fix is a note in the job log. Raises INVALID_OUTPUT with the reason."""
    problems: list[str] = []
    for attempt in (1, 2):
        answer = await ask()
        verdict: Verdict[T] = Verdict(problems=list(answer.problems)) if answer.problems else judge(answer.raw, attempt == 2)
        if not verdict.problems and verdict.value is not None:
            for note in verdict.notes:
                ctx.on_note(note)
            return verdict.value
        problems = verdict.problems or ["the answer could not be used."]
        log.warning("%s failed validation (attempt %d): %s", what, attempt, "; ".join(problems)[:500])
        if attempt == 1:
            repair(answer, problems)
    reason = short(problems[0], 200).rstrip(".")
    raise CourseGenError(
        ErrorKind.INVALID_OUTPUT, f"{author} wrote {what} in a form that could not be used, twice ({reason}); Resume the job to try again."
    )
