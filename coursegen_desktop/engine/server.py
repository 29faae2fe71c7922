"""The engine's socket server: commands in, replies and job events out (see `protocol.py`).

Everything here runs on one asyncio loop. A connection that submits, resumes or attaches to a
job is subscribed to that job's events. Attaching replays the store after the client's last
`seq` and subscribes in the same loop step, and each connection drops any event whose `seq` it
has already sent, so a window that reconnects misses nothing and sees nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from hmac import compare_digest as secrets_equal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from coursegen_desktop.core.errors import BadInput, CourseGenError, MaterialError
from coursegen_desktop.core.events import AnyEvent
from coursegen_desktop.core.models import CourseRequest
from coursegen_desktop.core.store import Store
from coursegen_desktop.engine import address, protocol
from coursegen_desktop.engine.runner import GeneratorFactory, JobRunner

log = logging.getLogger(__name__)

IDLE_EXIT_S = 3.0  # an engine with no job and no window lingers this long (COURSEGEN_ENGINE_IDLE_S)
FIRST_CLIENT_WAIT_S = 20.0  # a fresh engine waits this long for the window that started it


def _idle_exit_s() -> float:
    try:
        return max(0.1, float(os.environ.get("COURSEGEN_ENGINE_IDLE_S", "") or IDLE_EXIT_S))
    except ValueError:
        return IDLE_EXIT_S


class Connection:
    """One client: a window's control link, a job worker, or a command-line call."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.sent_seq: dict[str, int] = {}
        self.watching = False

    def send(self, message: dict[str, Any]) -> None:
        if not self._writer.is_closing():
            self._writer.write(protocol.encode(message))

    def send_event(self, event: AnyEvent) -> None:
        if event.seq and event.seq <= self.sent_seq.get(event.job_id, 0):
            return  # already replayed from the store
        self.sent_seq[event.job_id] = event.seq
        if not self._writer.is_closing():
            self._writer.write(event.to_json().encode() + b"\n")


class EngineServer:
    """Serves one data folder's jobs until it is told to stop or has been idle a while."""

    def __init__(self, store: Store, data_dir: Path, factory: GeneratorFactory, *, max_running: int = 2, exit_when_idle: bool = True) -> None:
        self.store, self.data_dir, self._factory = store, data_dir, factory
        self._token: str | None = None  # TCP only: what a connection's first line must carry
        self._max_running = max_running
        self._exit_when_idle = exit_when_idle
        self._connections: set[Connection] = set()
        self._subscribers: dict[str, set[Connection]] = {}
        self._stop: asyncio.Event | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._shutting_down = False
        self.runner: JobRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands: dict[str, Callable[[Connection, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]] = {
            "ping": self._ping, "submit": self._submit, "resume": self._resume, "attach": self._attach,
            "cancel": self._cancel, "pause": self._pause, "stop": self._stop_jobs, "configure": self._configure, "jobs": self._jobs,
            "watch": self._watch, "check_key": self._check_key, "models": self._models, "shutdown": self._shutdown,
            "reorder": self._reorder, "run_next": self._run_next, "plan": self._plan, "key_status": self._key_status,
            "batch_submit": self._batch_submit, "batch_poll": self._batch_poll, "check_material": self._check_material,
        }
        self._last_queue: list[str] = []

    async def serve(self, ready: threading.Event | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.runner = JobRunner(self.store, loop, self._deliver, self._factory, self._max_running, on_change=self._jobs_changed)
        server, self._token = await address.listen(self.data_dir, self._handle, protocol.MAX_LINE)
        endpoint = address.endpoint_file(self.data_dir)
        log.info("engine %d serving %s", os.getpid(), endpoint)
        if ready is not None:
            ready.set()
        self._arm_idle_timer(FIRST_CLIENT_WAIT_S)
        try:
            await self._stop.wait()
        finally:
            server.close()
            try:
                endpoint.unlink()
            except FileNotFoundError:
                pass
            self.runner.stop_all(interrupt=True)
            await asyncio.to_thread(self.runner.join, 10.0)
            log.info("engine %d stopped", os.getpid())

    def request_stop(self) -> None:
        """Stop serving: running jobs end as interrupted (Resume continues them)."""
        if self._stop is not None:
            self._stop.set()

    # -- connections ----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._token is not None and not await self._greeted(reader):
            writer.close()
            return
        connection = Connection(writer)
        self._connections.add(connection)
        self._cancel_idle_timer()
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ConnectionError, asyncio.LimitOverrunError, ValueError):
                    break
                if not line:
                    break
                await self._dispatch(connection, line)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._connections.discard(connection)
            for subscribers in self._subscribers.values():
                subscribers.discard(connection)
            writer.close()
            self._check_idle()

    async def _greeted(self, reader: asyncio.StreamReader) -> bool:
        """TCP: the first line must be `{"cmd": "hello", "token": …}` with this engine's token
        (only the user can read it): other programs on the machine cannot drive the engine."""
        try:
            hello = protocol.decode(await asyncio.wait_for(reader.readline(), 5.0))
        except (ValueError, ConnectionError, asyncio.TimeoutError, asyncio.LimitOverrunError):
            return False
        return hello.get("cmd") == "hello" and secrets_equal(str(hello.get("token")), self._token or "")

    async def _dispatch(self, connection: Connection, line: bytes) -> None:
        try:
            message = protocol.decode(line)
        except ValueError:
            connection.send({"reply": None, "ok": False, "error": "The engine could not read that command.", "kind": "bad_input"})
            return
        number, name = message.get("id"), message.get("cmd")
        handler = self._commands.get(str(name))
        try:
            if handler is None:
                raise BadInput(f"The engine does not know the command '{name}'.")
            result = handler(connection, message)
            if asyncio.iscoroutine(result):  # slow work (key checks): answer later, keep reading
                task = asyncio.create_task(self._reply_later(connection, number, result))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return
            connection.send({"reply": number, "ok": True, **result})  # type: ignore[dict-item]
        except CourseGenError as exc:
            connection.send({"reply": number, "ok": False, "error": exc.message, "kind": exc.kind.value})
        except Exception:  # noqa: BLE001 - a bug: logged; the client gets one sentence
            log.exception("engine command %s failed", name)
            connection.send({"reply": number, "ok": False, "error": "The engine could not do that; details are in the log.", "kind": "internal"})

    async def _reply_later(self, connection: Connection, number: object, work: Awaitable[dict[str, Any]]) -> None:
        try:
            connection.send({"reply": number, "ok": True, **(await work)})
        except CourseGenError as exc:
            connection.send({"reply": number, "ok": False, "error": exc.message, "kind": exc.kind.value})
        except Exception:  # noqa: BLE001
            log.exception("engine command failed")
            connection.send({"reply": number, "ok": False, "error": "The engine could not do that; details are in the log.", "kind": "internal"})

    def _deliver(self, event: AnyEvent) -> None:
        for connection in list(self._subscribers.get(event.job_id, ())):
            connection.send_event(event)
        if event.is_terminal:
            self._subscribers.pop(event.job_id, None)

    def _subscribe(self, connection: Connection, job_id: str) -> None:
        self._subscribers.setdefault(job_id, set()).add(connection)

    def _announce(self, job_id: str, topic: str, source: Connection) -> None:
        for connection in self._connections:
            if connection.watching and connection is not source:
                connection.send({"announce": "job", "job_id": job_id, "topic": topic})

    def _jobs_changed(self) -> None:
        """Tell the windows the waiting order whenever it changes, then check for idleness."""
        queue = self._jobs_runner.queued()
        if queue != self._last_queue:
            self._last_queue = queue
            for connection in self._connections:
                if connection.watching:
                    connection.send({"announce": "queue", "job_ids": queue})
        self._check_idle()

    # -- idle exit ---------------------------------------------------------------------------------

    def _check_idle(self) -> None:
        if self._shutting_down and self.runner is not None and self.runner.idle:
            self.request_stop()
        elif not self._connections and self.runner is not None and self.runner.idle:
            self._arm_idle_timer(_idle_exit_s())

    def _arm_idle_timer(self, delay: float) -> None:
        if not self._exit_when_idle:
            return
        self._cancel_idle_timer()
        self._idle_timer = asyncio.get_running_loop().call_later(delay, self._exit_if_idle)

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _exit_if_idle(self) -> None:
        if not self._connections and self.runner is not None and self.runner.idle:
            log.info("engine idle with no window attached: exiting")
            self.request_stop()

    # -- commands ----------------------------------------------------------------------------------

    @property
    def _jobs_runner(self) -> JobRunner:
        assert self.runner is not None
        return self.runner

    def _refuse_when_stopping(self) -> None:
        if self._shutting_down:
            raise BadInput("The job engine is stopping, so no new job can start; try again in a moment.")

    def _ping(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        return {"pid": os.getpid(), "jobs": len(self._jobs_runner.active_jobs())}

    def _submit(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        self._refuse_when_stopping()
        job_id = str(message.get("job_id") or "")
        if not job_id:
            raise BadInput("A job id is needed.")
        request = CourseRequest.model_validate(message.get("request"))
        self._configure(connection, message)  # the window's limit, even if its link is not connected yet
        self._subscribe(connection, job_id)
        try:
            self._jobs_runner.submit(job_id, request, _float_or_none(message.get("queued_at")))
        except CourseGenError:
            self._subscribers.get(job_id, set()).discard(connection)
            raise
        self._announce(job_id, request.topic, connection)
        return {"job_id": job_id}

    def _resume(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        self._refuse_when_stopping()
        job_id = self.store.resolve_id(str(message.get("job_id") or ""))
        connection.sent_seq[job_id] = self.store.last_seq(job_id)  # the earlier runs' events are history
        self._configure(connection, message)
        self._subscribe(connection, job_id)
        try:
            self._jobs_runner.resume(job_id, _float_or_none(message.get("queued_at")))
        except CourseGenError:
            self._subscribers.get(job_id, set()).discard(connection)
            raise
        self._announce(job_id, self.store.get_job(job_id).topic, connection)
        return {"job_id": job_id}

    def _attach(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """Replay the job's stored events after `after_seq`, then follow it live while it runs."""
        job_id = self.store.resolve_id(str(message.get("job_id") or ""))
        self._replay(connection, job_id, int(message.get("after_seq") or 0))
        active = self._jobs_runner.is_active(job_id)
        if active:
            self._subscribe(connection, job_id)
        return {"job_id": job_id, "active": active}

    def _replay(self, connection: Connection, job_id: str, after_seq: int) -> None:
        connection.sent_seq[job_id] = max(connection.sent_seq.get(job_id, 0), after_seq)
        for event in self.store.events(job_id, after_seq):
            connection.send_event(event)

    def _cancel(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        self._jobs_runner.cancel(str(message.get("job_id") or ""), interrupt=bool(message.get("interrupt")))
        return {}

    def _pause(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        job_id = self.store.resolve_id(str(message.get("job_id") or ""))
        self._jobs_runner.pause(job_id)
        return {"job_id": job_id}

    def _stop_jobs(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        self._jobs_runner.stop_all(interrupt=message.get("mode", "interrupt") == "interrupt")
        return {}

    def _configure(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        if "max_running" in message:
            self._jobs_runner.set_max_running(int(message["max_running"]))
        return {}

    def _reorder(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        self._jobs_runner.reorder([str(job_id) for job_id in message.get("job_ids") or []])
        return {"job_ids": self._jobs_runner.queued()}

    def _run_next(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        self._jobs_runner.run_next(str(message.get("job_id") or ""))
        return {"job_ids": self._jobs_runner.queued()}

    def _jobs(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        return {"jobs": self._jobs_runner.active_jobs()}

    def _watch(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """The client is a window: tell it about jobs other clients start, and list what runs."""
        connection.watching = True
        return {"jobs": self._jobs_runner.active_jobs(), "queue": self._jobs_runner.queued(), "pid": os.getpid()}

    async def _key_status(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """Where the key is (the keychain library lives here, not in the window)."""
        from coursegen_desktop.core import key_status

        return {"status": await asyncio.to_thread(key_status.key_status_dict)}

    async def _check_key(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        from coursegen_desktop.core import secrets

        key = str(message.get("key") or "") or await asyncio.to_thread(secrets.get_api_key)
        if not key:
            return {"sentence": "Enter a key first."}
        module = await asyncio.to_thread(_claude_module)
        return {"sentence": await module.check_key(key)}

    async def _models(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        from coursegen_desktop.core import secrets

        key = await asyncio.to_thread(secrets.get_api_key)
        if not key:
            return {"models": []}
        module = await asyncio.to_thread(_claude_module)
        return {"models": await module.list_models(key) or []}

    async def _plan(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """The plan and price of a request (the form's estimate): counts tokens with the SDK when a
        key is set, reads the material; never a Messages call."""
        from coursegen_desktop.core import secrets
        from coursegen_desktop.core.models import GeneratorKind
        from coursegen_desktop.core.plan import plan_request

        request = CourseRequest.model_validate(message.get("request"))
        key = await asyncio.to_thread(secrets.get_api_key) if request.generator == GeneratorKind.CLAUDE else None
        plan = await asyncio.to_thread(plan_request, request, self.store, api_key=key)
        return {"plan": plan.to_json(), "label": plan.label()}

    async def _check_material(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """Read one file the form adds, the way a job will: a bad file is told in one sentence at
        once, and the readers (pypdf, python-docx) load here, never in the window."""
        from coursegen_desktop.core.material import load_material

        path = str(message.get("path") or "")
        if not path:
            raise BadInput("Choose a file to add.")
        try:
            await asyncio.to_thread(load_material, [Path(path)])
        except CourseGenError:
            raise
        except Exception:  # noqa: BLE001 - a reader bug: logged; the user gets one sentence
            log.exception("checking the material file %s failed", path)
            raise MaterialError("That file could not be read; try another one.") from None
        return {"path": path}

    async def _batch_submit(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """Bulk courses: create the batched jobs and submit their first Message Batch."""
        from coursegen_desktop.core.batch import submit_jobs

        requests = [CourseRequest.model_validate(request) for request in message.get("requests") or []]
        return {"job_ids": await asyncio.to_thread(submit_jobs, self.store, requests)}

    async def _batch_poll(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """Advance every batched job one step; the ids of the jobs that may have changed."""
        from coursegen_desktop.core.batch import poll_jobs

        return {"job_ids": await asyncio.to_thread(poll_jobs, self.store)}

    def _shutdown(self, connection: Connection, message: dict[str, Any]) -> dict[str, Any]:
        """Stop every job as interrupted (Resume continues them) and exit once they have ended."""
        self._shutting_down = True
        self._jobs_runner.stop_all(interrupt=True)
        asyncio.get_running_loop().call_soon(self._check_idle)
        return {}


def _float_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _claude_module():  # noqa: ANN202 - the module; imported lazily (the SDK takes a second)
    from coursegen_desktop.core.generators import anthropic

    return anthropic
