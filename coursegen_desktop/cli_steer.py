"""`coursegen plan | outline | approve | regenerate | versions | restore`: steering a generation.

See what a course will cost before it starts, review and edit the outline before lessons are
written, and rewrite one part of a finished course (keeping the earlier version). Same contract
as the rest of the CLI: `--json` prints only JSON on stdout; exit 0 ok, 1 failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from coursegen_desktop.core.models import JobRecord, Outline
from coursegen_desktop.core.store import Store

EXIT_OK, EXIT_USAGE = 0, 2


def add_parsers(commands: argparse._SubParsersAction) -> None:
    from coursegen_desktop.cli import add_request_options

    plan = commands.add_parser("plan", help="estimate calls, tokens, cost and time of a course before generating it")
    add_request_options(plan)
    plan.add_argument("--json", action="store_true")

    outline = commands.add_parser("outline", help="show, replace or reject the outline of a job waiting for review")
    outline.add_argument("job_id")
    outline.add_argument("--json", action="store_true", help="print the outline as JSON (edit it and give it back with --set)")
    outline.add_argument("--set", dest="set_file", metavar="FILE.json", help="replace the outline with this JSON file")
    outline.add_argument("--regenerate", action="store_true", help="reject the outline and plan a new one")
    outline.add_argument("--instruction", default="", help="what the new outline should do differently")

    approve = commands.add_parser("approve", help="approve a job's outline and write the course")
    approve.add_argument("job_id")
    approve.add_argument("--json", action="store_true")

    regenerate = commands.add_parser("regenerate", help="rewrite one part of a finished course")
    regenerate.add_argument("job_id")
    regenerate.add_argument("--part", required=True, help="m1-l2 (a lesson id), quiz:m1, exam or flashcards")
    regenerate.add_argument("--instruction", default="", help='for example "simpler" or "more examples"')
    regenerate.add_argument("--json", action="store_true")

    versions = commands.add_parser("versions", help="list the earlier versions of a course's parts")
    versions.add_argument("job_id")
    versions.add_argument("--json", action="store_true")

    restore = commands.add_parser("restore", help="put an earlier version of a part back (the current one is kept)")
    restore.add_argument("job_id")
    restore.add_argument("--part", required=True)
    restore.add_argument("--version", required=True, type=int)


def _base():  # noqa: ANN202 - the main CLI module, imported late (it imports this one)
    from coursegen_desktop import cli

    return cli


# -- plan ---------------------------------------------------------------------------------------


def cmd_plan(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core.models import GeneratorKind
    from coursegen_desktop.core.plan import plan_request

    cli = _base()
    request = cli.request_from_args(args, needs_key=False)
    key = cli._api_key() if request.generator == GeneratorKind.CLAUDE else None
    planned = plan_request(request, store, api_key=key)
    if args.json:
        print(json.dumps(planned.to_json()))
        return EXIT_OK
    print(planned.label())
    print(f"{planned.input_tokens:,} input tokens (cached ones included), {planned.output_tokens:,} output tokens; "
          f"based on {'your past jobs' if planned.basis == 'history' else 'built-in figures (no finished jobs yet)'}.")
    if request.generator == GeneratorKind.CLAUDE and not key:
        print("No API key is set, so the material was measured by its characters rather than counted by the API.")
    return EXIT_OK


# -- outline review -----------------------------------------------------------------------------


def print_review_hint(record: JobRecord, as_json: bool) -> int:
    """After a job stopped for its outline review: how to go on (stdout, or stderr with --json)."""
    lines = [
        f"The outline of “{record.topic}” is ready for review (job {record.id}).",
        f"See it with `coursegen outline {record.id}`; to edit it: `coursegen outline {record.id} --json > outline.json`, change the file, then `coursegen outline {record.id} --set outline.json`.",
        f"Write the course from it with `coursegen approve {record.id}`, or ask for another with `coursegen outline {record.id} --regenerate --instruction \"…\"`.",
    ]
    print("\n".join(lines), file=sys.stderr if as_json else sys.stdout)
    return EXIT_OK


def cmd_outline(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core import outline_review

    cli = _base()
    job = store.get_job(store.resolve_id(args.job_id))
    if args.set_file:
        return _set_outline(store, job, Path(args.set_file))
    if args.regenerate:
        outline_review.request_new_outline(store, job.id, args.instruction)
        return cli._run_job(store, job.id, args.json)
    if args.instruction:
        return cli.fail("--instruction goes with --regenerate (it says what the new outline should change).", EXIT_USAGE)
    outline = outline_review.outline_of(store, job.id)
    if args.json:
        print(outline.model_dump_json())
        return EXIT_OK
    _print_outline(job, outline)
    return EXIT_OK


def _set_outline(store: Store, job: JobRecord, path: Path) -> int:
    from coursegen_desktop.core import outline_review
    from coursegen_desktop.core.errors import CourseGenError

    cli = _base()
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        return cli.fail(f"There is no file {path}; give the JSON file with the edited outline.", EXIT_USAGE)
    except (OSError, UnicodeDecodeError):
        return cli.fail(f"{path} could not be read as UTF-8 text; save the outline as a JSON text file.", EXIT_USAGE)
    outline, problems = outline_review.parse_outline(text)
    if outline is None:
        for problem in problems:
            print(f"coursegen: {problem}", file=sys.stderr)
        print("coursegen: The outline was not changed.", file=sys.stderr)
        return EXIT_USAGE
    try:
        outline_review.set_outline(store, job.id, outline)
    except CourseGenError as exc:
        return cli.fail(exc.message, EXIT_USAGE)
    lessons = len(outline.lesson_plans())
    print(f"Outline of job {job.id} replaced: {len(outline.modules)} modules, {lessons} lessons. Write the course with `coursegen approve {job.id}`.")
    return EXIT_OK


def _print_outline(job: JobRecord, outline: Outline) -> None:
    print(f"{outline.title}  (job {job.id}, {job.status.value.replace('_', ' ')})")
    if outline.description:
        print(outline.description)
    if outline.objectives:
        print("\nObjectives:")
        for objective in outline.objectives:
            print(f"  {objective.id:<8} {objective.text}")
    for number, module in enumerate(outline.modules, 1):
        print(f"\n{number}. {module.title}  [{module.id}]")
        for n, lesson in enumerate(module.lessons, 1):
            objectives = f"  ({', '.join(lesson.objective_ids)})" if lesson.objective_ids else ""
            print(f"   {number}.{n} {lesson.title}  [{lesson.id}]{objectives}")
            if lesson.summary:
                print(f"       {lesson.summary}")
    if job.status.value == "awaiting_review":
        print(f"\nApprove with `coursegen approve {job.id}`; edit with `coursegen outline {job.id} --json > outline.json` and `--set outline.json`.")


def cmd_approve(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core import outline_review
    from coursegen_desktop.core.models import GeneratorKind

    cli = _base()
    job = store.get_job(store.resolve_id(args.job_id))
    if job.request.generator == GeneratorKind.CLAUDE and not cli._api_key():
        return cli.fail(cli.NO_KEY_MESSAGE.split(", or give")[0] + " to write this course.", EXIT_USAGE)
    outline_review.approve(store, job.id)
    return cli._run_job(store, job.id, args.json)


# -- regenerate one part --------------------------------------------------------------------------


def cmd_regenerate(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core import regenerate
    from coursegen_desktop.core.models import GeneratorKind

    cli = _base()
    source = store.get_job(store.resolve_id(args.job_id))
    if source.request.generator == GeneratorKind.CLAUDE and not cli._api_key():
        return cli.fail(cli.NO_KEY_MESSAGE.split(", or give")[0] + " to rewrite a part of this course.", EXIT_USAGE)
    job = regenerate.create_job(store, source.id, args.part, args.instruction)
    code = cli._run_job(store, job.id, args.json)
    if code == EXIT_OK and not args.json:
        print(f"The earlier version is kept: `coursegen versions {source.id}` lists it.")
    return code


def cmd_versions(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core import regenerate

    job_id = regenerate.source_of(store, store.resolve_id(args.job_id))
    found = regenerate.versions(store, job_id)
    if args.json:
        print(json.dumps([
            {"part": v.part, "version": v.version, "saved_at": datetime.fromtimestamp(v.saved_at).astimezone().isoformat(), "replaced_by": v.replaced_by}
            for v in found
        ]))
        return EXIT_OK
    if not found:
        print(f"No earlier versions: no part of job {job_id}'s course has been regenerated.")
        return EXIT_OK
    print(f"{'PART':<14}  {'VERSION':>7}  {'REPLACED':<16}  BY JOB")
    for v in found:
        print(f"{v.part:<14}  {v.version:>7}  {datetime.fromtimestamp(v.saved_at):%Y-%m-%d %H:%M}  {v.replaced_by or 'restore'}")
    print(f"Put one back with `coursegen restore {job_id} --part PART --version N`.")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core import regenerate

    job_id = regenerate.source_of(store, store.resolve_id(args.job_id))
    regenerate.restore(store, job_id, args.part, args.version)
    print(f"Restored version {args.version} of {args.part} in job {job_id}; the version it replaced is kept (`coursegen versions {job_id}`).")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Store], int]] = {
    "plan": cmd_plan,
    "outline": cmd_outline,
    "approve": cmd_approve,
    "regenerate": cmd_regenerate,
    "versions": cmd_versions,
    "restore": cmd_restore,
}
