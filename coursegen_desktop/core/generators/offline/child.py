"""The offline generator in a child process of its own, at a lower priority (the engine uses it).

Building a course from a long document is seconds of pure-Python work. On a thread of the engine
it holds the engine's interpreter lock all that time, so the events of every streaming job wait
for it: with one offline job beside four Claude streams, an event took p95 25 ms to reach the
window. In a child process it holds only its own lock, runs on another core when one is free and,
at a lower priority, gives way to the streams and the window when none is. Several offline jobs
also truly run in parallel.

Only the generator's methods move: the pipeline, the store, events and cancel stay in the engine.
Each call ships what the method reads (the request, the outline and the lessons written so far)
and returns the part with the lesson text and notes it produced; the material crosses once. A
cancelled job stops waiting at once and the child is ended. When no child can be started, or one
dies, the generator carries on in the engine as before, and the log says so.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.generators.offline.generator import OfflineGenerator
from coursegen_desktop.core.material import Material
from coursegen_desktop.core.models import Exam, FlashcardDeck, Lesson, LessonPlan, ModulePlan, Outline, Quiz, Usage

log = logging.getLogger(__name__)

NICENESS = 10  # the child's priority below the engine's and the window's (POSIX)
STOP_TIMEOUT_S = 2.0


class OfflineGeneratorProcess:
    """The `Generator` protocol, answered by an `OfflineGenerator` in a child process."""

    name = "offline"
    model: str | None = None
    warm_cache_first = False

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one call at a time on the pipe
        self._process: BaseProcess | None = None
        self._pipe: Connection | None = None
        self._material_sent: Material | None = None
        self._in_engine: OfflineGenerator | None = None  # when no child can serve
        self._start()  # now: the child imports while the pipeline reads the material

    # -- protocol --------------------------------------------------------------------------

    async def outline(self, ctx: GenerationContext) -> Outline:
        return await self._call(ctx, "outline")

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        return await self._call(ctx, "lesson", module, plan, on_text=on_text)

    async def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> Quiz:
        return await self._call(ctx, "quiz", module, lessons)

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam:
        return await self._call(ctx, "exam", lessons)

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck:
        return await self._call(ctx, "flashcards", lessons)

    def usage(self) -> Usage:
        return Usage()

    async def aclose(self) -> None:
        await asyncio.to_thread(self._stop)
        if self._in_engine is not None:
            await self._in_engine.aclose()

    # -- calls -----------------------------------------------------------------------------------

    async def _call(self, ctx: GenerationContext, method: str, *args: Any, on_text: TextSink | None = None) -> Any:
        ctx.cancel.raise_if_cancelled()
        if self._pipe is not None:
            material = None if ctx.material is self._material_sent else ctx.material
            call = (method, args, (ctx.job_id, ctx.request, ctx.outline, ctx.lessons, ctx.instruction), material)
            try:
                status, value, texts, notes = await asyncio.to_thread(self._round_trip, call)
            except (EOFError, OSError) as exc:
                log.warning("the offline generator's process stopped (%s); job %s carries on in the engine", exc or type(exc).__name__, ctx.job_id)
                await asyncio.to_thread(self._stop)
            else:
                if self._material_sent is None:
                    log.info("job %s: the offline generator answers from process %d", ctx.job_id, self._process.pid)  # type: ignore[union-attr]
                self._material_sent = ctx.material
                return _result(ctx, status, value, texts, notes, on_text)
        generator = self._in_engine = self._in_engine or OfflineGenerator()
        extra = (on_text,) if on_text is not None else ()
        return await getattr(generator, method)(ctx, *args, *extra)

    def _round_trip(self, call: tuple[Any, ...]) -> tuple[str, Any, list[str], list[str]]:
        with self._lock:
            pipe = self._pipe
            if pipe is None:
                raise EOFError("no child process")
            pipe.send(call)
            return pipe.recv()

    # -- the child process -------------------------------------------------------------------------

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), name="coursegen-offline", daemon=True)
        try:
            process.start()
        except Exception as exc:  # noqa: BLE001 - any failure to start: run in the engine instead
            log.warning("could not start a process for the offline generator (%s); it runs in the engine", exc)
            ours.close()
            return
        finally:
            theirs.close()
        self._process, self._pipe = process, ours

    def _stop(self) -> None:
        """End the child: an idle one exits when its pipe closes; one still computing a part
        nobody waits for (the job was cancelled) is terminated."""
        process, pipe, self._process, self._pipe = self._process, self._pipe, None, None
        if process is None or pipe is None:
            return
        if self._lock.locked():
            process.terminate()  # first: the thread waiting for its answer then reads end-of-file
        pipe.close()
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join(STOP_TIMEOUT_S)


def _result(ctx: GenerationContext, status: str, value: Any, texts: list[str], notes: list[str], on_text: TextSink | None) -> Any:
    """Replay the child's notes and lesson text in the engine, then return its part or raise."""
    for note in notes:
        ctx.on_note(note)
    if status == "error":
        raise value
    if status == "bug":
        raise RuntimeError(f"the offline generator failed in its process:\n{value}")
    for text in texts:
        ctx.cancel.raise_if_cancelled()
        if on_text is not None:
            on_text(text)
    return value


def _serve(pipe: Connection) -> None:
    """The child: answer calls until the engine closes the pipe."""
    if hasattr(os, "nice"):
        try:
            os.nice(NICENESS)
        except OSError:
            pass
    generator = OfflineGenerator()
    material: Material | None = None
    while True:
        try:
            method, args, (job_id, request, outline, lessons, instruction), new_material = pipe.recv()
        except (EOFError, OSError):
            return
        material = new_material if new_material is not None else material
        notes: list[str] = []
        texts: list[str] = []
        ctx = GenerationContext(
            job_id=job_id, request=request, material=material, cancel=CancelToken(),  # type: ignore[arg-type]
            on_note=notes.append, outline=outline, lessons=lessons, instruction=instruction,
        )
        extra = (texts.append,) if method == "lesson" else ()
        try:
            reply: tuple[str, Any] = ("ok", asyncio.run(getattr(generator, method)(ctx, *args, *extra)))
        except CourseGenError as exc:
            reply = ("error", exc)
        except Exception:  # noqa: BLE001 - a bug: the engine logs the traceback
            reply = ("bug", traceback.format_exc())
        try:
            pipe.send((*reply, texts, notes))
        except (OSError, ValueError):
            return
