"""`coursegen batch submit|status|poll`: bulk courses with Message Batches (core.batch).

`submit` writes one batched job per topic and sends the first round; `poll` advances every
batch one step (the desktop app polls every few minutes on its own); `status` shows the batches
and the batched jobs. With `--json` only JSON is printed on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from coursegen_desktop.core.models import DEFAULT_MODEL, Level
from coursegen_desktop.core.store import Store

T = TypeVar("T")
EXIT_OK = 0


def add_parsers(commands: Any) -> None:
    batch = commands.add_parser("batch", help="bulk courses at half price with Message Batches (results within 24 h)")
    actions = batch.add_subparsers(dest="batch_command", required=True, parser_class=type(batch))
    submit = actions.add_parser("submit", help="one course per topic in FILE (one topic a line, or a CSV)")
    submit.add_argument("file", type=Path)
    submit.add_argument("--model", default=DEFAULT_MODEL, help=f"Claude model id (default {DEFAULT_MODEL})")
    submit.add_argument("--level", choices=[level.value for level in Level], default=Level.BEGINNER.value)
    submit.add_argument("--language", default="English")
    submit.add_argument("--modules", type=int, default=3)
    submit.add_argument("--lessons-per-module", type=int, default=3)
    submit.add_argument("--questions", type=int, default=5)
    submit.add_argument("--exam-questions", type=int, default=10)
    submit.add_argument("--json", action="store_true")
    for name, text in (("status", "the batches and the courses they are writing"), ("poll", "advance every batch one step")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--json", action="store_true")


def cmd_batch(args: argparse.Namespace, store: Store) -> int:
    return {"submit": _submit, "status": _status, "poll": _poll}[args.batch_command](args, store)


def _with_runner(store: Store, body: Callable[[Any], Awaitable[T]]) -> T:
    from coursegen_desktop.core.batch import BatchRunner

    async def main() -> T:
        runner = BatchRunner(store)
        try:
            return await body(runner)
        finally:
            await runner.aclose()

    return asyncio.run(main())


def _submit(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core.batch_plan import estimate, read_topics

    defaults = {
        "model": args.model, "level": args.level, "language": args.language, "modules": args.modules,
        "lessons_per_module": args.lessons_per_module, "questions_per_quiz": args.questions, "exam_questions": args.exam_questions,
    }
    requests = read_topics(args.file, defaults)
    plan = estimate(requests)
    job_ids = _with_runner(store, lambda runner: runner.submit(requests))
    if args.json:
        print(json.dumps({"job_ids": job_ids, "requests": plan.requests, "estimated_cost_usd": plan.cost_usd}))
        return EXIT_OK
    print(f"Submitted {len(job_ids)} course(s): {plan.describe()}.")
    for job_id, request in zip(job_ids, requests, strict=True):
        print(f"{job_id}  {request.topic}")
    print("Results usually arrive within an hour (at most 24 h); advance them with `coursegen batch poll` (the app polls on its own).")
    return EXIT_OK


def _status(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core.batch_store import BatchStore
    from coursegen_desktop.core.events import Progress

    batches = BatchStore(store)
    jobs = []
    for job_id in batches.batched_jobs():
        job = store.get_job(job_id)
        rounds = [e.message for e in store.events(job_id) if isinstance(e, Progress) and e.message.startswith("Batched:")]
        jobs.append({"id": job.id, "topic": job.topic, "percent": job.percent, "round": rounds[-1] if rounds else "", "cost_usd": job.usage.cost_usd})
    rows = [{"id": b.id, "round": b.round, "status": b.status, "requests": b.request_count} for b in batches.batches()]
    if args.json:
        print(json.dumps({"batches": rows, "jobs": jobs}, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("No batches yet. Submit a topic list with: coursegen batch submit topics.txt")
        return EXIT_OK
    for row in rows:
        print(f"{row['id']}  {row['status']:<11}  {row['requests']:>4} requests  {row['round']}")
    for job in jobs:
        print(f"{job['id']}  {job['percent']:>3.0f}%  {job['topic'][:50]}  {job['round']}")
    return EXIT_OK


def _poll(args: argparse.Namespace, store: Store) -> int:
    report = _with_runner(store, lambda runner: runner.poll())
    if args.json:
        print(json.dumps({"state": report.state, "batch_id": report.batch_id, "round": report.round, "saved": report.collected,
                          "finished": report.finished, "failed": report.failed}))
    else:
        print(report.describe())
    return EXIT_OK


COMMANDS = {"batch": cmd_batch}
