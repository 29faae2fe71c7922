"""`coursegen`: the headless command line over the same core as the desktop app.

The contract scripts rely on: `--json` prints only JSON on stdout (one event per line for
`generate`/`resume`); human progress goes to stderr; exit codes are 0 completed, 1 failed,
130 cancelled by Ctrl+C (finished parts kept), 2 bad usage or bad input, and 141 when the reader
of the output went away (`coursegen jobs | head -1`): like a Unix tool stopped by SIGPIPE, quietly;
a running job is then cancelled and can be resumed (see `cli_pipe.py`).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from coursegen_desktop import __version__, cli_batch, cli_engine, cli_local, cli_stats, cli_study
from coursegen_desktop.cli_pipe import EXIT_BROKEN_PIPE, OutputGuard, is_broken_pipe, silence_stdio
from coursegen_desktop.core.applog import setup_logging
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import BadInput, CourseGenError, ErrorKind
from coursegen_desktop.core.events import AnyEvent, JobCancelled, JobFailed, Progress, StepStarted, TopicCompleted
from coursegen_desktop.core.material import check_material_path, load_material
from coursegen_desktop.core.models import DEFAULT_MODEL, CourseRequest, GeneratorKind, JobRecord, JobStatus, Level, make_request
from coursegen_desktop.core.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
# Failures that mean "what you gave me cannot be used", as opposed to "the job went wrong".
USAGE_KINDS = {ErrorKind.BAD_INPUT, ErrorKind.MATERIAL, ErrorKind.NOT_FOUND, ErrorKind.ALREADY_RUNNING, ErrorKind.STORAGE}
NO_KEY_MESSAGE = (
    "No API key is set: set ANTHROPIC_API_KEY (or save a key in the app's Settings), "
    "or give --material FILE to build the course offline from your own notes."
)


class CliParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (plus the usage) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"coursegen: {_friendly_usage_error(message)} See `{self.prog} --help`.\n")
        raise SystemExit(EXIT_USAGE)


def _friendly_usage_error(message: str) -> str:
    """argparse's wording ("argument --modules: invalid int value: 'x'") as a plain sentence."""
    if match := re.match(r"argument (\S+): invalid int value: '(.*)'", message):
        return f"{match[1].split('/')[0]} must be a whole number, not '{match[2]}'."
    if match := re.match(r"argument (\S+): invalid choice: '(.*?)' \(choose from (.*)\)", message):
        name = match[1].split("/")[0]
        return f"{name[:1].upper()}{name[1:]} cannot be '{match[2]}'; choose one of {match[3]}."
    if match := re.match(r"the following arguments are required: (.*)", message):
        return f"Missing {match[1]}."
    return f"{message[:1].upper()}{message[1:]}."


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog="coursegen", description="Generate study courses from a topic and your own material.")
    parser.add_argument("--version", action="version", version=f"coursegen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=CliParser)

    generate = commands.add_parser("generate", help="generate a course and wait for it to finish")
    add_request_options(generate)
    generate.add_argument("--review-outline", action="store_true", help="stop after the outline so you can edit and approve it")
    generate.add_argument("--json", action="store_true", help="print every event as one JSON object per line")

    jobs = commands.add_parser("jobs", help="list the history, newest first")
    jobs.add_argument("--json", action="store_true")
    jobs.add_argument("--limit", type=int, default=200)

    show = commands.add_parser("show", help="show a job and its course")
    show.add_argument("job_id")
    show.add_argument("--json", action="store_true")

    resume = commands.add_parser("resume", help="continue an interrupted, failed or cancelled job")
    resume.add_argument("job_id")
    resume.add_argument("--json", action="store_true")

    delete = commands.add_parser("delete", help="delete a job and its course")
    delete.add_argument("job_id")

    export = commands.add_parser("export", help="export a finished course")
    export.add_argument("job_id")
    export.add_argument("--format", required=True, dest="fmt")
    export.add_argument("--out", required=True, help="file (or folder) to write")
    cli_study.add_parsers(commands)
    from coursegen_desktop import cli_steer

    cli_steer.add_parsers(commands)
    cli_batch.add_parsers(commands)
    cli_engine.add_parsers(commands)
    cli_stats.add_parsers(commands)
    return parser


def add_request_options(generate: argparse.ArgumentParser) -> None:
    """The options that describe a course (shared by `generate` and `plan`)."""
    generate.add_argument("topic")
    generate.add_argument("--material", action="append", default=[], type=Path, metavar="PATH", help=".txt .md .pdf or .docx (repeatable)")
    generate.add_argument("--offline", action="store_true", help="build the course from your material without Claude")
    generate.add_argument("--model", help=f"Claude model id (default {DEFAULT_MODEL}), or the local model's name")
    generate.add_argument("--modules", type=int, default=3)
    generate.add_argument("--lessons-per-module", type=int, default=3)
    generate.add_argument("--questions", type=int, default=5, help="questions per module quiz")
    generate.add_argument("--exam-questions", type=int, default=10)
    generate.add_argument("--level", choices=[level.value for level in Level], default=Level.BEGINNER.value)
    generate.add_argument("--language", default="English")
    generate.add_argument("--concurrency", type=int, default=4, help="lessons written at once (Claude)")
    cli_local.add_generate_options(generate)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_file = setup_logging()
    try:
        code = _open_and_run(args)
        sys.stdout.flush()  # a closed pipe shows here for output still in the buffer
        return code
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - a bug: its traceback goes to the log, the user gets one sentence
        if is_broken_pipe(exc):
            silence_stdio()
            return EXIT_BROKEN_PIPE
        logging.getLogger(__name__).exception("coursegen %s failed with an unexpected error", args.command)
        where = f" ({log_file})" if log_file else ""
        return fail(f"Something went wrong; the details are in the log{where}. Try again, and report it if it happens again.", EXIT_FAILED)


def _open_and_run(args: argparse.Namespace) -> int:
    try:
        store = Store.open()
    except CourseGenError as exc:
        return fail(exc.message, EXIT_USAGE)
    if store.notices:
        for notice in store.notices:
            print(f"coursegen: {notice} Run the command again.", file=sys.stderr)
        store.close()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args, store)
    except CourseGenError as exc:
        return fail(exc.message, EXIT_USAGE if exc.kind in USAGE_KINDS else EXIT_FAILED)
    finally:
        store.close()


def fail(message: str, code: int) -> int:
    print(f"coursegen: {message}", file=sys.stderr)
    return code


# -- generate / resume ------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace, store: Store) -> int:
    request = request_from_args(args, needs_key=True)
    job = store.create_job(request)
    return _run_job(store, job.id, args.json)


def request_from_args(args: argparse.Namespace, *, needs_key: bool) -> CourseRequest:
    """The request the options describe, with the generator chosen as `generate` chooses it.
    Raises `BadInput` (one sentence); `needs_key=False` (plan) prices Claude even with no key."""
    request = make_request(
        topic=args.topic,
        level=args.level,
        language=args.language,
        modules=args.modules,
        lessons_per_module=args.lessons_per_module,
        questions_per_quiz=args.questions,
        exam_questions=args.exam_questions,
        model=args.model or DEFAULT_MODEL,
        concurrency=args.concurrency,
        review_outline=getattr(args, "review_outline", False),
    )
    material = tuple(check_material_path(path).resolve() for path in args.material)
    if material:
        load_material(material)  # bad files are bad input (exit 2), found before a job exists
    if cli_local.wants_local(args):
        return cli_local.local_request(request.model_copy(update={"material": material}), args)
    api_key = _api_key()
    if args.offline or (not api_key and not args.model and material):
        generator = GeneratorKind.OFFLINE
        if not args.offline:
            print("coursegen: No API key found, so the course is built offline from your material.", file=sys.stderr)
    elif not api_key and needs_key:
        raise BadInput(NO_KEY_MESSAGE)
    else:
        generator = GeneratorKind.CLAUDE
    if generator == GeneratorKind.OFFLINE and not material:
        raise BadInput("The offline generator builds a course from your own material; add --material FILE (or set an API key).")
    return request.model_copy(update={"material": material, "generator": generator})


def cmd_resume(args: argparse.Namespace, store: Store) -> int:
    job = store.get_job(store.resolve_id(args.job_id))
    if job.status == JobStatus.COMPLETED:
        return fail(f"Job {job.id} is already complete; open it with `coursegen show {job.id}`.", EXIT_USAGE)
    if job.status == JobStatus.AWAITING_REVIEW:
        return fail(f"Job {job.id} is waiting for its outline to be reviewed; write the course with `coursegen approve {job.id}`.", EXIT_USAGE)
    if job.status == JobStatus.BATCHED:
        return fail(f"Job {job.id} is being written in Message Batches; `coursegen batch poll` advances it.", EXIT_USAGE)
    if job.request.generator == GeneratorKind.CLAUDE and not _api_key():
        return fail(NO_KEY_MESSAGE.split(", or give")[0] + " to resume this job.", EXIT_USAGE)
    in_engine = cli_engine.resume_in_engine(store, job.id, args.json)  # the app is open: its engine runs it
    return _run_job(store, job.id, args.json) if in_engine is None else in_engine


def _api_key() -> str | None:
    from coursegen_desktop.core.secrets import get_api_key

    return get_api_key()


def _run_job(store: Store, job_id: str, as_json: bool) -> int:
    """Run a job on this thread; Ctrl+C cancels it (finished parts stay saved)."""
    from coursegen_desktop.core import pipeline
    from coursegen_desktop.core.generators.factory import make_generator

    job = store.get_job(job_id)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: cancel.cancel())
    guard = OutputGuard(on_gone=cancel.cancel)  # the reader went away: stop, keep what is made
    display = JsonLines(sys.stdout, guard) if as_json else ProgressLine(sys.stderr, guard)
    ending: list[AnyEvent] = []

    def emit(event: AnyEvent) -> None:
        if event.is_terminal:
            ending.append(event)
        display(event)

    try:
        record = pipeline.run(None, make_generator(job.request), store, emit, cancel, job_id=job_id)
    finally:
        signal.signal(signal.SIGINT, previous)
        if not as_json:
            display.close()
    if guard.gone:
        return EXIT_BROKEN_PIPE
    return _report(_with_ending(record, ending[-1] if ending else None), as_json)


def _with_ending(record: JobRecord, ending: AnyEvent | None) -> JobRecord:
    """The record as the job really ended. When the store could not record the end (a full
    disk, a database locked by another program), the terminal event still says how it ended."""
    if record.status not in (JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.INTERRUPTED):
        return record
    if isinstance(ending, JobFailed):
        return record.model_copy(
            update={"status": JobStatus.FAILED, "error_kind": ending.kind, "error_message": ending.message, "resumable": ending.resumable}
        )
    if isinstance(ending, JobCancelled):
        return record.model_copy(update={"status": JobStatus.CANCELLED})
    return record


def _report(record: JobRecord, as_json: bool) -> int:
    if record.status == JobStatus.AWAITING_REVIEW:
        from coursegen_desktop.cli_steer import print_review_hint

        return print_review_hint(record, as_json)
    if record.status == JobStatus.COMPLETED:
        if not as_json:
            print(f"Course ready: {record.course_title} (job {record.id}, {_duration(record.run_seconds)}).")
            print(f"Read it with `coursegen show {record.id}` or export it with `coursegen export {record.id} --format html --out course.html`.")
        return EXIT_OK
    if record.status == JobStatus.CANCELLED:
        print(f"coursegen: Cancelled — finished parts kept; continue with `coursegen resume {record.id}`.", file=sys.stderr)
        return EXIT_CANCELLED
    if record.status == JobStatus.PAUSED:
        print(f"coursegen: Paused — finished parts kept; continue with `coursegen resume {record.id}`.", file=sys.stderr)
        return EXIT_OK
    message = record.error_message or "The job failed."
    hint = f" (continue with `coursegen resume {record.id}`)" if record.resumable else ""
    print(f"coursegen: {message}{hint}", file=sys.stderr)
    return EXIT_USAGE if record.error_kind in {kind.value for kind in USAGE_KINDS} else EXIT_FAILED


class JsonLines:
    """Every event as one JSON object per line; flushed so a reading script sees it at once."""

    def __init__(self, stream: TextIO, guard: OutputGuard) -> None:
        self.stream, self.guard = stream, guard

    def __call__(self, event: AnyEvent) -> None:
        self.guard.write(self.stream, event.to_json() + "\n")


class ProgressLine:
    """A one-line progress display on a terminal; plain lines per step when not a terminal."""

    def __init__(self, stream: TextIO, guard: OutputGuard) -> None:
        self.stream, self.guard = stream, guard
        self.tty = stream.isatty()
        self._width = 0
        self._lessons = ""

    def __call__(self, event: AnyEvent) -> None:
        if isinstance(event, TopicCompleted):
            self._lessons = f"{event.done} of {event.total} lessons"
        if self.tty and isinstance(event, Progress):
            eta = " · estimating…" if event.eta_s is None else f" · {_eta(event.eta_s)}" if event.eta_s else ""
            self._write(f"[{event.percent:5.1f}%] {event.message}{eta}")
        elif isinstance(event, StepStarted):
            line = f"[{event.index + 1}/7] {event.label}"
            self._write(line) if self.tty else self.guard.write(self.stream, line + "\n")
        elif isinstance(event, JobFailed):
            self.close()

    def _write(self, text: str) -> None:
        text = text[:100]
        self.guard.write(self.stream, "\r" + text.ljust(self._width))
        self._width = len(text)

    def close(self) -> None:
        if self.tty and self._width:
            self.guard.write(self.stream, "\r" + " " * self._width + "\r")
            self._width = 0


def _eta(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute left"
    return f"about {round(seconds / 60)} min left"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


# -- history ----------------------------------------------------------------------------------


def cmd_jobs(args: argparse.Namespace, store: Store) -> int:
    jobs = store.list_jobs(limit=min(max(1, args.limit), 1_000_000))  # SQLite integers stop at 2**63
    if args.json:
        print(json.dumps([_job_json(job) for job in jobs], ensure_ascii=False))
        return EXIT_OK
    if not jobs:
        print("No jobs yet. Start one with: coursegen generate \"Your topic\" --material notes.pdf")
        return EXIT_OK
    print(f"{'ID':<12}  {'CREATED':<16}  {'STATUS':<11}  {'DONE':>5}  {'TIME':>9}  TOPIC")
    for job in jobs:
        created = job.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{job.id:<12}  {created:<16}  {job.status.value:<11}  {job.percent:>4.0f}%  {_duration(job.duration_seconds):>9}  {job.topic[:60]}")
    return EXIT_OK


def _job_json(job: JobRecord) -> dict[str, object]:
    data = job.model_dump(mode="json")
    data["created"] = data["created_at"]
    data["duration_s"] = None if job.duration_seconds is None else round(job.duration_seconds, 3)
    return data


def cmd_show(args: argparse.Namespace, store: Store) -> int:
    job = store.get_job(store.resolve_id(args.job_id))
    rewrite = store.regeneration(job.id)  # a regenerate job shows the course it changed
    course = store.get_course(rewrite[0] if rewrite else job.id)
    if args.json:
        if course is not None:
            data: dict[str, object] = course.model_dump(mode="json")
            data["partial"] = False
        else:
            saved = store.saved_parts(job.id)
            data = {
                "partial": True,
                "title": saved.outline.title if saved.outline else None,
                "outline": saved.outline.model_dump(mode="json") if saved.outline else None,
                "lessons": [lesson.model_dump(mode="json") for lesson in saved.lessons.values()],
                "quizzes": [quiz.model_dump(mode="json") for quiz in saved.quizzes.values()],
                "exam": saved.exam.model_dump(mode="json") if saved.exam else None,
                "flashcards": [card.model_dump(mode="json") for card in saved.flashcards.cards] if saved.flashcards else [],
            }
        data["job"] = _job_json(job)
        print(json.dumps(data, ensure_ascii=False))
        return EXIT_OK
    _print_job(job)
    if course is None:
        saved = store.saved_parts(job.id)
        print(f"\nNo finished course yet; {len(saved.lessons)} lesson(s) saved so far.")
        return EXIT_OK
    print(f"\n{course.title}\n{'=' * len(course.title)}\n{course.description}\n")
    for module in course.outline.modules:
        print(f"{module.title}")
        for plan in module.lessons:
            print(f"  - {plan.title}")
    print(f"\n{len(course.lessons)} lessons, {sum(len(q.questions) for q in course.quizzes)} quiz questions, "
          f"{len(course.exam.questions)} exam questions, {len(course.flashcards)} flashcards.")
    warnings = [note for note in course.review if note.severity != "info"]
    if warnings:
        print(f"Review: {len(warnings)} note(s), e.g. {warnings[0].where}: {warnings[0].message}")
    return EXIT_OK


def _print_job(job: JobRecord) -> None:
    print(f"Job {job.id}: {job.topic}")
    print(f"Status: {job.status.value} ({job.percent:.0f}%), generator {job.request.generator.value}"
          + (f" ({job.request.model})" if job.request.generator != GeneratorKind.OFFLINE else ""))
    print(f"Created {job.created_at.astimezone():%Y-%m-%d %H:%M}, run time {_duration(job.duration_seconds)}")
    if job.error_message:
        print(f"Last error: {job.error_message}")
    usage = job.usage
    if usage.requests or usage.input_tokens:
        print(
            f"Tokens: {usage.input_tokens} input, {usage.output_tokens} output, "
            f"{usage.cache_creation_input_tokens} cache write, {usage.cache_read_input_tokens} cache read; "
            f"cost ${usage.cost_usd:.4f}"
        )


def cmd_delete(args: argparse.Namespace, store: Store) -> int:
    job_id = store.resolve_id(args.job_id)
    store.delete_job(job_id)
    print(f"Deleted job {job_id}.")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core.export import FORMATS, export_course
    from coursegen_desktop.gui.pdf_format import register_pdf_format  # Qt-free; Qt loads only for a PDF

    register_pdf_format()
    job_id = store.resolve_id(args.job_id)
    if args.fmt not in FORMATS:
        return fail(f"Unknown format '{args.fmt}'; choose one of: {', '.join(FORMATS)}.", EXIT_USAGE)
    course = store.get_course(job_id)
    if course is None:
        return fail(f"Job {job_id} has no finished course yet; resume it first with `coursegen resume {job_id}`.", EXIT_USAGE)
    if not args.out.strip():
        return fail("Give the file to write with --out, for example --out course.html.", EXIT_USAGE)
    written = export_course(course, args.fmt, Path(args.out).expanduser())
    print(f"Exported to {written}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Store], int]] = {
    "generate": cmd_generate,
    "resume": cmd_resume,
    "jobs": cmd_jobs,
    "show": cmd_show,
    "delete": cmd_delete,
    "export": cmd_export,
    **cli_study.COMMANDS,
    **cli_batch.COMMANDS,
    **cli_engine.COMMANDS,
    "stats": cli_stats.cmd_stats,
}
from coursegen_desktop.cli_steer import COMMANDS as _STEER_COMMANDS  # noqa: E402 - plan, outline, approve, regenerate, versions, restore

COMMANDS.update(_STEER_COMMANDS)

if __name__ == "__main__":
    raise SystemExit(main())
