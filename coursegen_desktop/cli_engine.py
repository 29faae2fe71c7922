"""`coursegen pause ID`, and `coursegen resume ID` for a job the desktop app's engine holds.

The command line runs its own jobs in its own process; while the app is open its jobs run in the
engine process, so pausing one, or resuming a paused one, is a command sent to that engine (the
events then print exactly as `generate` prints them).
"""

from __future__ import annotations

import argparse
import signal
import sys

from coursegen_desktop.core import paths
from coursegen_desktop.core.events import AnyEvent, Event
from coursegen_desktop.core.store import Store
from coursegen_desktop.engine import protocol
from coursegen_desktop.engine.client import EngineConnection, EngineUnavailable, connect_existing

NO_ENGINE = (
    "The CourseGen app is not running, so it has no job to pause; "
    "a job started with `coursegen generate` stops with Ctrl+C and continues with `coursegen resume`."
)


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pause = commands.add_parser("pause", help="pause a job the app is running: what is being written is saved, nothing new starts")
    pause.add_argument("job_id")


def cmd_pause(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.cli import EXIT_OK, EXIT_USAGE, fail

    job_id = store.resolve_id(args.job_id)
    try:
        connection = connect_existing(paths.data_dir())
    except EngineUnavailable:
        return fail(NO_ENGINE, EXIT_USAGE)
    try:
        reply = connection.request("pause", job_id=job_id)
    except EngineUnavailable:
        return fail("The CourseGen app stopped before the job could be paused; it shows as interrupted and Resume continues it.", EXIT_USAGE)
    finally:
        connection.close()
    if not reply.get("ok"):
        return fail(str(reply.get("error")), EXIT_USAGE)
    print(f"Pausing job {job_id}: the parts being written are finished and saved, nothing new starts. `coursegen resume {job_id}` continues it.")
    return EXIT_OK


def resume_in_engine(store: Store, job_id: str, as_json: bool) -> int | None:
    """Resume the job in the running app's engine and print its events; None when no app runs."""
    from coursegen_desktop.cli import EXIT_BROKEN_PIPE, EXIT_USAGE, JsonLines, OutputGuard, ProgressLine, _report, fail

    try:
        connection = connect_existing(paths.data_dir())
    except EngineUnavailable:
        return None
    guard = OutputGuard(on_gone=lambda: _send_cancel(connection, job_id))
    display = JsonLines(sys.stdout, guard) if as_json else ProgressLine(sys.stderr, guard)
    previous = signal.signal(signal.SIGINT, lambda signum, frame: _send_cancel(connection, job_id))
    try:
        number = connection.send("resume", job_id=job_id, max_running=1_000)
        refused = _follow(connection, number, display)
    finally:
        signal.signal(signal.SIGINT, previous)
        connection.close()
        if not as_json:
            display.close()
    if refused is not None:
        return fail(refused, EXIT_USAGE)
    if guard.gone:
        return EXIT_BROKEN_PIPE
    return _report(store.get_job(job_id), as_json)


def _follow(connection: EngineConnection, number: int, display: object) -> str | None:
    """Print the job's events until it ends; the engine's sentence if it refused."""
    while (message := connection.read()) is not None:
        if message.get("reply") == number and not message.get("ok"):
            return str(message.get("error"))
        if protocol.is_event(message):
            event: AnyEvent = Event.from_dict(message)
            display(event)  # type: ignore[operator]
            if event.is_terminal:
                return None
    return "The CourseGen app stopped while the job ran; it shows as interrupted and `coursegen resume` continues it."


def _send_cancel(connection: EngineConnection, job_id: str) -> None:
    try:
        connection.send("cancel", job_id=job_id)
    except OSError:
        pass


COMMANDS = {"pause": cmd_pause}
