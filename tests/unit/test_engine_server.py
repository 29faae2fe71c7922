"""The engine's protocol without a window: commands in, replies and the core event JSON out;
attaching replays the store and follows live with no event twice; bad lines get one sentence."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coursegen_desktop.core.events import Event
from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store
from coursegen_desktop.engine import protocol
from coursegen_desktop.engine import address
from coursegen_desktop.engine.client import EngineConnection
from coursegen_desktop.engine.main import InProcessEngine, start_in_thread
from tests.helpers.scripted_generator import ScriptedGenerator


@pytest.fixture(params=["unix", "tcp"])
def engine(request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessEngine]:
    """Both transports: a Unix socket, and TCP on loopback with a token (what Windows uses)."""
    if request.param == "tcp":
        monkeypatch.setenv("COURSEGEN_ENGINE_TRANSPORT", "tcp")
    Store.open(data_dir).close()
    made: list[ScriptedGenerator] = []

    def factory(request: object) -> ScriptedGenerator:
        made.append(ScriptedGenerator(block_on_lesson="m1l2" if len(made) == 0 else None))
        return made[-1]

    running = start_in_thread(data_dir, factory)
    running.made = made  # type: ignore[attr-defined]
    yield running
    running.stop()


def connect(data_dir: Path) -> EngineConnection:
    return EngineConnection.open(data_dir)


def events_until_terminal(connection: EngineConnection) -> list[Event]:
    events = []
    while (message := connection.read()) is not None:
        if protocol.is_event(message):
            events.append(Event.from_dict(message))
            if events[-1].is_terminal:
                break
    return events


def test_submit_streams_core_events_and_attach_replays_without_repeats(engine: InProcessEngine, data_dir: Path) -> None:
    request = make_request(topic="Cells", modules=1, lessons_per_module=2, questions_per_quiz=2, exam_questions=3)
    first = connect(data_dir)
    number = first.send("submit", job_id="0123456789ab", request=request.model_dump(mode="json"))
    before_reply = []
    while (message := first.read()) is not None and message.get("reply") != number:
        before_reply.append(message)
    assert message == {"reply": number, "ok": True, "job_id": "0123456789ab"}
    assert [m["type"] for m in before_reply] == ["JobQueued"]  # the submitter follows its job from the first event
    generator = engine.made  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not generator and time.monotonic() < deadline:
        time.sleep(0.01)
    assert generator[0].blocked.wait(10)  # the first lesson is saved, the second is being written

    second = connect(data_dir)  # a window that opens now: replay from the store, then live
    second.send("attach", job_id="0123456789ab", after_seq=0)
    generator[0].block_on_lesson = None
    first.send("cancel", job_id="0123456789ab")
    replayed = events_until_terminal(second)
    seqs = [event.seq for event in replayed]
    assert seqs == list(range(1, len(seqs) + 1))  # every event once, in order
    assert replayed[0].type == "JobQueued" and replayed[-1].type == "JobCancelled"
    store = Store.open(data_dir)
    assert store.last_seq("0123456789ab") == seqs[-1]
    store.close()
    first.close()
    second.close()


def test_bad_lines_and_unknown_commands_get_one_sentence(engine: InProcessEngine, data_dir: Path) -> None:
    raw, hello = address.connect(data_dir, 2.0)
    raw.sendall(hello + b"this is not json\n")
    connection = EngineConnection(raw)
    assert connection.read() == {"reply": None, "ok": False, "error": "The engine could not read that command.", "kind": "bad_input"}
    reply = connection.request("fly")
    assert not reply["ok"] and reply["error"] == "The engine does not know the command 'fly'."
    reply = connection.request("resume", job_id="ffffffffffff")
    assert not reply["ok"] and "no job with id" in reply["error"]
    reply = connection.request("pause", job_id="")
    assert not reply["ok"] and "\n" not in reply["error"]
    assert connection.request("ping")["ok"]
    connection.close()


def test_check_material_reads_the_file_and_names_a_bad_one_in_one_sentence(engine: InProcessEngine, data_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "notes.md"
    good.write_text("# Cells\n\nCells are the units of life.\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    connection = connect(data_dir)
    assert connection.request("check_material", path=str(good)) == {"reply": 1, "ok": True, "path": str(good)}
    reply = connection.request("check_material", path=str(empty))
    assert reply["ok"] is False and reply["kind"] == "material" and "empty.txt" in reply["error"] and "\n" not in reply["error"]
    reply = connection.request("check_material", path=str(tmp_path / "bad\x00name.txt"))  # the path itself breaks the reader
    assert reply == {"reply": 3, "ok": False, "error": "That file could not be read; try another one.", "kind": "material"}
    assert connection.request("check_material")["error"] == "Choose a file to add."
    connection.close()


def test_over_tcp_a_connection_without_the_token_is_closed(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSEGEN_ENGINE_TRANSPORT", "tcp")
    Store.open(data_dir).close()
    running = start_in_thread(data_dir, lambda request: ScriptedGenerator())
    try:
        info = json.loads(address.port_file(data_dir).read_text())
        assert (address.port_file(data_dir).stat().st_mode & 0o777) == 0o600
        intruder = socket.create_connection(("127.0.0.1", info["port"]), timeout=5)
        intruder.sendall(protocol.encode({"cmd": "hello", "token": "guess"}) + protocol.encode({"cmd": "ping", "id": 1}))
        assert intruder.recv(100) == b""  # closed, no answer
        intruder.close()
        assert EngineConnection.open(data_dir).request("ping")["ok"]  # with the token from the private file
    finally:
        running.stop()
    assert not address.port_file(data_dir).exists()


def test_an_engine_starts_under_a_temporary_folder_too_long_for_a_socket(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long TMPDIR (or XDG_RUNTIME_DIR) must not leave the app without an engine."""
    deep = tmp_path / ("long-folder-name-" * 6)
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(address.tempfile, "tempdir", None)  # tempfile caches the folder it chose
    Store.open(data_dir).close()
    running = start_in_thread(data_dir, lambda request: ScriptedGenerator())
    try:
        assert connect(data_dir).request("ping")["ok"] is True
    finally:
        running.stop()
