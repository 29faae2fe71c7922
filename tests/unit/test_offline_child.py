"""The offline generator in its own process (how the engine runs it).

What a user would notice: the course is the same one, errors read the same, Cancel leaves no
process behind, and a child that dies loses nothing: the job carries on in the engine.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.generators.base import GenerationContext
from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.core.generators.offline import OfflineGenerator
from coursegen_desktop.core.generators.offline.child import OfflineGeneratorProcess
from coursegen_desktop.core.material import load_material
from coursegen_desktop.core.models import make_request
from tests.helpers.make_docs import long_text
from tests.unit.test_offline_generator import PHOTO, WATER, build


def test_the_child_writes_the_same_course_as_the_generator_in_the_engine() -> None:
    in_engine = build([PHOTO, WATER], topic="Photosynthesis and the water cycle", generator=OfflineGenerator())
    in_child = build([PHOTO, WATER], topic="Photosynthesis and the water cycle", generator=OfflineGeneratorProcess())
    assert in_child.outline == in_engine.outline
    assert in_child.lessons == in_engine.lessons
    assert in_child.streamed == in_engine.streamed  # the lesson text still arrives in pieces
    assert (in_child.quizzes, in_child.exam, in_child.cards) == (in_engine.quizzes, in_engine.exam, in_engine.cards)


def test_only_the_engine_asks_for_a_child() -> None:
    request = make_request(topic="Photosynthesis", material=(PHOTO,))
    assert type(make_generator(request)) is OfflineGenerator  # the CLI: one job, no child needed
    child = make_generator(request, offline_in_child=True)
    assert isinstance(child, OfflineGeneratorProcess)
    asyncio.run(child.aclose())


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
def test_the_work_happens_in_another_process_at_a_lower_priority() -> None:
    generator = OfflineGeneratorProcess()
    request = make_request(topic="Photosynthesis", material=(PHOTO,))
    ctx = GenerationContext(job_id="j", request=request, material=load_material([PHOTO]), cancel=CancelToken())

    async def run() -> tuple[int, int]:
        await generator.outline(ctx)
        pid = generator._process.pid  # type: ignore[union-attr]
        niceness = os.getpriority(os.PRIO_PROCESS, pid)
        await generator.aclose()
        return pid, niceness

    pid, niceness = asyncio.run(run())
    assert pid != os.getpid()
    assert niceness > os.getpriority(os.PRIO_PROCESS, 0)


def test_a_material_error_in_the_child_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "stub.txt"
    path.write_text("Plants need light.", encoding="utf-8")
    with pytest.raises(MaterialError) as caught:
        build([path], generator=OfflineGeneratorProcess())
    assert "stub.txt" in caught.value.message and "too little text" in caught.value.message
    assert not caught.value.resumable


def test_cancel_stops_waiting_at_once_and_ends_the_child(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(long_text(100, headings=True), encoding="utf-8")  # the index takes a while
    request = make_request(topic="Long notes", material=(notes,))
    ctx = GenerationContext(job_id="j", request=request, material=load_material([notes]), cancel=CancelToken())
    generator = OfflineGeneratorProcess()
    process = generator._process
    assert process is not None

    async def run() -> bool:
        task = asyncio.create_task(generator.outline(ctx))
        await asyncio.sleep(0.05)  # the child is busy building the index
        task.cancel()  # what the pipeline does on Cancel
        with pytest.raises(asyncio.CancelledError):
            await task
        finished_before_close = not process.is_alive()
        await generator.aclose()
        return finished_before_close

    assert asyncio.run(run()) is False  # the awaited call was abandoned, not waited for
    assert not process.is_alive()


def test_a_killed_child_loses_nothing() -> None:
    generator = OfflineGeneratorProcess()
    reference = build([PHOTO], topic="Photosynthesis", generator=OfflineGenerator())
    request = make_request(topic="Photosynthesis", material=(PHOTO,))
    ctx = GenerationContext(job_id="job-1", request=request, material=load_material([PHOTO]), cancel=CancelToken())

    async def run() -> list[object]:
        ctx.outline = await generator.outline(ctx)
        generator._process.kill()  # type: ignore[union-attr]
        lessons = []
        for module, plan in ctx.outline.lesson_plans()[:2]:
            lessons.append(await generator.lesson(ctx, module, plan, lambda text: None))
        await generator.aclose()
        return lessons

    assert asyncio.run(run()) == reference.lessons[:2]
