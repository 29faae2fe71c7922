"""Time the offline generator on a generated 100-page text (with and without headings).

Every generator method runs once, as the pipeline would call it: outline, each lesson, each
module's quiz, the exam and the flashcards; then the review step. Reading the file is timed on
its own. Prints JSON and writes benchmarks/results/offline.json.

    .venv/bin/python benchmarks/bench_offline.py [--pages 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursegen_desktop.core.cancel import CancelToken  # noqa: E402
from coursegen_desktop.core.generators.base import GenerationContext  # noqa: E402
from coursegen_desktop.core.generators.offline import OfflineGenerator  # noqa: E402
from coursegen_desktop.core.material import load_material  # noqa: E402
from coursegen_desktop.core.models import make_request  # noqa: E402
from coursegen_desktop.core.review import review_course  # noqa: E402
from tests.helpers.make_docs import long_text  # noqa: E402


async def _run_once(path: Path) -> dict[str, float | int]:
    """One full offline build; returns seconds per step (and the slowest single lesson)."""
    timings: dict[str, float | int] = {}
    start = time.perf_counter()
    material = load_material([path])
    timings["load_material_s"] = time.perf_counter() - start
    request = make_request(topic="Benchmark", material=(path,), modules=3, lessons_per_module=3, questions_per_quiz=5, exam_questions=10)
    ctx = GenerationContext(job_id="bench", request=request, material=material, cancel=CancelToken())
    generator = OfflineGenerator()

    start = time.perf_counter()
    outline = await generator.outline(ctx)
    timings["outline_s"] = time.perf_counter() - start
    ctx.outline = outline

    lesson_times = []
    for module, plan in outline.lesson_plans():
        t = time.perf_counter()
        ctx.lessons[plan.id] = await generator.lesson(ctx, module, plan, lambda text: None)
        lesson_times.append(time.perf_counter() - t)
    timings["lessons_s"] = sum(lesson_times)
    timings["slowest_lesson_s"] = max(lesson_times)
    lessons = list(ctx.lessons.values())

    start = time.perf_counter()
    quizzes = [await generator.quiz(ctx, module, [ctx.lessons[p.id] for p in module.lessons]) for module in outline.modules]
    timings["quizzes_s"] = time.perf_counter() - start
    start = time.perf_counter()
    exam = await generator.exam(ctx, lessons)
    timings["exam_s"] = time.perf_counter() - start
    start = time.perf_counter()
    deck = await generator.flashcards(ctx, lessons)
    timings["flashcards_s"] = time.perf_counter() - start
    start = time.perf_counter()
    _, _, _, notes = review_course(outline, lessons, quizzes, exam, deck.cards, material)
    timings["review_s"] = time.perf_counter() - start

    timings["generate_total_s"] = sum(timings[k] for k in ("outline_s", "lessons_s", "quizzes_s", "exam_s", "flashcards_s"))
    timings["chars"] = material.char_count
    timings["chunks"] = len(material.chunks)
    timings["questions"] = sum(len(q.questions) for q in quizzes) + len(exam.questions)
    timings["flashcards"] = len(deck.cards)
    timings["review_errors"] = sum(1 for note in notes if note.severity == "error")
    return timings


def _median_of(runs: list[dict[str, float | int]]) -> dict[str, float | int]:
    return {key: round(statistics.median(run[key] for run in runs), 4) if isinstance(runs[0][key], float) else runs[0][key] for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, object] = {
        "benchmark": "offline generator, full course (3 modules x 3 lessons, 5 questions per quiz, 10 exam questions)",
        "pages": args.pages,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for variant, headings in (("with_headings", True), ("no_headings", False)):
            path = Path(tmp) / f"{variant}.txt"
            path.write_text(long_text(args.pages, headings=headings), encoding="utf-8")
            runs = [asyncio.run(_run_once(path)) for _ in range(args.repeat)]
            results[variant] = _median_of(runs)
    out = ROOT / "benchmarks" / "results" / "offline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
