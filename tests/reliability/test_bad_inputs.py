"""Bad input, row by row: each gets exit code 2 (or a sane result) and one sentence naming the
problem — never a traceback, never a hang (every test has a 30 s timeout), never a job in the history.

Runs `cli.main([...])` in-process (the contract is the same as in a child process, and the
process-level faults live in test_fault_matrix.py). Material files also go through the desktop
form's check (the job engine's `check_material` command, here on an in-process engine), and the
GUI's settings file through `gui.settings.Settings`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coursegen_desktop.core import secrets
from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store
from coursegen_desktop.engine.client import EngineConnection
from coursegen_desktop.engine.main import start_in_thread
from tests.fakes import Fault, FakeMessagesAPI
from tests.helpers.make_docs import write_encrypted_pdf, write_pdf
from tests.reliability.clikit import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    SAMPLE_NOTES,
    CliRun,
    assert_clean_stderr,
    assert_one_sentence,
    run_in_process,
)

pytestmark = pytest.mark.timeout(30)
OFFLINE = ["--offline", "--material", str(SAMPLE_NOTES)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> CliRun:
    return run_in_process(capsys, *argv)


def job_count(data_dir: Path) -> int:
    db = data_dir / "history.sqlite3"
    if not db.exists():
        return 0
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM jobs").fetchone()[0]


def assert_refused(result: CliRun, data_dir: Path, *words: str) -> str:
    """Exit 2, nothing on stdout, one sentence naming the problem, and no job was created."""
    assert result.code == EXIT_USAGE, result
    assert result.stdout == "", result
    message = assert_one_sentence(result, *words)
    assert job_count(data_dir) == 0
    return message


# ---------------------------------------------------------------------------------------------
# Study material: every bad file is named in one sentence, by the CLI and by the desktop form


def _junk_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("junk.bin", os.urandom(4096))
        archive.writestr("word/document.xml", b"<w:document><unclosed")


def _symlink_loop(path: Path) -> None:
    other = path.with_name("loop-b.md")
    os.symlink(other, path)
    os.symlink(path, other)


def _sparse_500_mb(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(500 * 1024 * 1024)  # no data blocks are written


BAD_FILES: dict[str, tuple[str, Callable[[Path], object], list[str]]] = {
    "zero-bytes": ("empty.md", lambda p: p.write_bytes(b""), ["empty.md", "empty (0 bytes)"]),
    "sparse-500-mb": ("huge.txt", _sparse_500_mb, ["huge.txt", "too large (500 MB)", "split it"]),
    "binary-named-txt": ("photo.txt", lambda p: p.write_bytes(bytes(range(256)) * 64), ["photo.txt", "binary data"]),
    "password-pdf": ("locked.pdf", lambda p: write_encrypted_pdf(p, [["Light drives photosynthesis."]]), ["locked.pdf", "password-protected"]),
    "malformed-pdf": ("broken.pdf", lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\n" + os.urandom(3000)), ["broken.pdf", "not a valid PDF"]),
    "pdf-without-text": ("scan.pdf", lambda p: write_pdf(p, [[], []]), ["scan.pdf", "no text layer", "OCR"]),
    "docx-zip-of-junk": ("notes.docx", _junk_docx, ["notes.docx", "not a Word .docx document"]),
    "docx-not-a-zip": ("plain.docx", lambda p: p.write_text("I am not a zip file"), ["plain.docx", "not a Word .docx document"]),
    "symlink-loop": ("loop-a.md", _symlink_loop, ["loop-a.md", "points back to itself"]),
    "dangling-symlink": ("gone.md", lambda p: os.symlink(p.with_name("moved-away.md"), p), ["gone.md", "does not exist"]),
    "directory": ("a-folder.md", lambda p: p.mkdir(), ["a-folder.md", "is a folder", "files inside it"]),
    "named-pipe": ("pipe.txt", lambda p: os.mkfifo(p), ["pipe.txt", "not a regular file"]),  # opening it would hang
    "unsupported-kind": ("slides.pptx", lambda p: p.write_bytes(b"PK\x03\x04 not really"), ["slides.pptx", "not a supported kind"]),
    "whitespace-only": ("blank.md", lambda p: p.write_text("  \n\n\t \n"), ["blank.md", "no text to learn from"]),
    "missing-unicode-name": ("Fehlt – 缺失.md", lambda p: None, ["Fehlt – 缺失.md", "does not exist"]),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-material")
    made = {}
    for case, (name, make, _) in BAD_FILES.items():
        path = folder / name
        make(path)
        made[case] = path
    return made


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_material_file_via_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, bad_files: dict[str, Path], case: str) -> None:
    result = run(capsys, "generate", "Photosynthesis", "--offline", "--material", str(bad_files[case]))
    assert_refused(result, data_dir, *BAD_FILES[case][2])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineConnection]:
    """The engine the desktop form asks to read each added file, on a thread of this process."""
    data = tmp_path_factory.mktemp("engine-data")
    running = start_in_thread(data)
    connection = EngineConnection.open(data)
    yield connection
    connection.close()
    running.stop()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_material_file_via_the_desktop_form(engine: EngineConnection, bad_files: dict[str, Path], case: str) -> None:
    reply = engine.request("check_material", path=str(bad_files[case]))
    assert reply["ok"] is False and reply["kind"] == "material"
    for word in BAD_FILES[case][2]:
        assert word.lower() in reply["error"].lower()
    assert "\n" not in reply["error"] and reply["error"].endswith(".")


def test_the_dev_zero_device_is_refused_without_reading_it(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    result = run(capsys, "generate", "Photosynthesis", "--offline", "--material", "/dev/zero")
    assert_refused(result, data_dir, "zero", "not a regular file")


def test_a_file_name_that_looks_like_an_option(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    result = run(capsys, "generate", "Photosynthesis", "--offline", "--material", "-notes.md")
    assert_refused(result, data_dir, "--material")


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("Ünïcødé 笔记.md", "utf-8"), ("notes (utf-16).txt", "utf-16"), ("caf\u00e9 notes – 1252.txt", "cp1252")],
)
def test_unusual_but_fine_material_works(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, encoding: str) -> None:
    path = tmp_path / name
    path.write_text(SAMPLE_NOTES.read_text(encoding="utf-8").replace("→", "->").replace("—", "-"), encoding=encoding)
    result = run(capsys, "generate", "Photosynthesis", "--offline", "--material", str(path), "--material", str(path), "--json")
    assert result.code == EXIT_OK and result.last["type"] == "JobCompleted", result
    assert_clean_stderr(result)
    course = json.loads(run(capsys, "show", result.job_id, "--json").stdout)
    sources = [source for lesson in course["lessons"] for source in lesson["sources"]]
    assert sources and all(source.startswith(name) for source in sources)  # the file is named as the user named it


# ---------------------------------------------------------------------------------------------
# The topic


@pytest.mark.parametrize(
    ("topic", "words"),
    [
        pytest.param("", ["Enter a topic"], id="empty"),
        pytest.param(" \t \n ", ["Enter a topic"], id="whitespace"),
        pytest.param("Photosynthesis " * 700, ["characters long", "under 500"], id="10-kB"),
        pytest.param("\x01\x02\x07\x1b\x7f", ["Enter a topic"], id="control-characters-only"),
        pytest.param("\u202e\u2066\u200f", ["Enter a topic"], id="bidi-overrides-only"),
    ],
)
def test_unusable_topic(capsys: pytest.CaptureFixture[str], data_dir: Path, topic: str, words: list[str]) -> None:
    assert_refused(run(capsys, "generate", topic, *OFFLINE), data_dir, *words)


@pytest.mark.parametrize(
    ("topic", "stored"),
    [
        pytest.param("Photo\u202esynthesis\u202c for \u2066everyone", "Photo synthesis for everyone", id="rtl-override-inside"),
        pytest.param("Cells\x07\x1b[31m and\ttissues", "Cells [31m and tissues", id="control-characters-inside"),
        pytest.param("光合作用 – Photosynthèse 🌱", "光合作用 – Photosynthèse 🌱", id="unicode"),
    ],
)
def test_topic_with_odd_characters_is_cleaned_and_works(capsys: pytest.CaptureFixture[str], topic: str, stored: str) -> None:
    result = run(capsys, "generate", topic, *OFFLINE, "--json")
    assert result.code == EXIT_OK and result.last["type"] == "JobCompleted", result
    jobs = json.loads(run(capsys, "jobs", "--json").stdout)
    assert [job["topic"] for job in jobs] == [stored]


# ---------------------------------------------------------------------------------------------
# Options


@pytest.mark.parametrize(
    ("options", "words"),
    [
        pytest.param(["--modules", "2.5"], ["--modules", "whole number", "2.5"], id="modules-fraction"),
        pytest.param(["--modules", "99999999999999999999999"], ["Modules", "1 to 12"], id="modules-huge"),
        pytest.param(["--lessons-per-module", ""], ["--lessons-per-module", "whole number"], id="lessons-empty"),
        pytest.param(["--questions", "1e3"], ["--questions", "whole number"], id="questions-exponent"),
        pytest.param(["--exam-questions", "61"], ["Exam questions", "3 to 60"], id="exam-too-many"),
        pytest.param(["--concurrency", "nan"], ["--concurrency", "whole number"], id="concurrency-nan"),
        pytest.param(["--concurrency", "17"], ["Concurrency", "1 to 16"], id="concurrency-too-high"),
        pytest.param(["--level", ""], ["Level", "beginner"], id="level-empty"),
        pytest.param(["--language", ""], ["course language"], id="language-empty"),
        pytest.param(["--language", "Deutsch" * 2000], ["course language"], id="language-14-kB"),
        pytest.param(["--model", "claude sonnet; rm -rf /"], ["is not a model name"], id="model-with-spaces"),
        pytest.param(["--model", "c" * 300], ["is not a model name"], id="model-300-chars"),
        pytest.param(["--frobnicate"], ["unrecognized arguments", "--frobnicate"], id="unknown-option"),
    ],
)
def test_bad_option(capsys: pytest.CaptureFixture[str], data_dir: Path, options: list[str], words: list[str]) -> None:
    assert_refused(run(capsys, "generate", "Photosynthesis", *OFFLINE, *options), data_dir, *words)


def test_jobs_limit_out_of_range_is_sane(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "jobs", "--json", "--limit", "99999999999999999999999").stdout.strip() == "[]"  # was an OverflowError
    assert run(capsys, "jobs", "--json", "--limit", "-5").stdout.strip() == "[]"
    assert_one_sentence(run(capsys, "jobs", "--limit", "many"), "--limit", "whole number")


@pytest.mark.parametrize(
    ("fault", "model"),
    [
        pytest.param(None, "claude-nonexistent-9", id="404-unknown-model"),
        pytest.param(Fault.bad_request("model: claude-sonnet-4-6 does not exist for this account"), "claude-sonnet-4-6", id="400-model-refused"),
    ],
)
def test_unknown_model_against_the_api(capsys: pytest.CaptureFixture[str], api: FakeMessagesAPI, fault: Fault | None, model: str) -> None:
    if fault is not None:
        api.fail(fault, kind="outline")
    result = run(capsys, "generate", "Photosynthesis", "--model", model, "--json")
    assert result.code == EXIT_FAILED and result.last["type"] == "JobFailed" and result.last["kind"] == "bad_request", result
    assert_one_sentence(result, f"The model '{model}' is not available", "choose another model")
    assert len(api.messages()) == 1  # refused at the first request, never retried


# ---------------------------------------------------------------------------------------------
# Job ids


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["show", "../../etc/passwd"], id="show-path"),
        pytest.param(["resume", "../../../tmp/locks/x"], id="resume-path"),
        pytest.param(["export", "/etc/passwd", "--format", "html", "--out", "x.html"], id="export-absolute-path"),
        pytest.param(["delete", "abc/../def"], id="delete-path"),
        pytest.param(["show", "a" * 10_000], id="show-10-kB"),
        pytest.param(["show", ""], id="show-empty"),
        pytest.param(["show", "\x00abc"], id="show-nul"),
        pytest.param(["resume", "DEADBEEF0000"], id="resume-unknown"),
    ],
)
def test_job_id_that_does_not_exist(capsys: pytest.CaptureFixture[str], data_dir: Path, argv: list[str]) -> None:
    message = assert_refused(run(capsys, *argv), data_dir, "There is no job with id", "coursegen jobs")
    assert len(message) < 200  # a 10 kB id is not echoed back whole
    assert not any(path.name.startswith(("etc", "x")) for path in (data_dir / "locks").glob("*"))


def _two_jobs(data_dir: Path) -> Store:
    store = Store.open(data_dir)
    request = make_request(topic="Cells", material=(SAMPLE_NOTES,))
    store.create_job(request, job_id="abc123000001")
    store.create_job(request, job_id="abc123000002")
    return store


def test_ambiguous_job_id(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    _two_jobs(data_dir).close()
    for command in ("show", "resume", "delete"):
        result = run(capsys, command, "abc123")
        assert result.code == EXIT_USAGE
        assert_one_sentence(result, "More than one job id starts with 'abc123'", "type more")
    assert job_count(data_dir) == 2  # nothing was deleted


def test_resume_of_a_completed_job_and_export_of_an_unfinished_one(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    done = run(capsys, "generate", "Photosynthesis", *OFFLINE, "--json")
    _two_jobs(data_dir).close()
    assert_one_sentence(run(capsys, "resume", done.job_id), "already complete", f"coursegen show {done.job_id}")
    result = run(capsys, "export", "abc123000001", "--format", "html", "--out", "x.html")
    assert result.code == EXIT_USAGE
    assert_one_sentence(result, "no finished course yet", "coursegen resume abc123000001")


def test_damaged_history_rows_do_not_hide_the_rest(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    """A row another program (or a bad sector inside a valid page) damaged: the other jobs stay
    usable, the damaged one is named, and a damaged lesson is simply written again on resume."""
    good = run(capsys, "generate", "Good course", *OFFLINE, "--json").job_id
    partial = run(capsys, "generate", "Partial course", *OFFLINE, "--json").job_id
    broken = run(capsys, "generate", "Broken course", *OFFLINE, "--json").job_id
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:
        first_lesson = conn.execute("SELECT key FROM parts WHERE job_id = ? AND kind = 'lesson' ORDER BY created_at", (partial,)).fetchone()[0]
        conn.execute("UPDATE jobs SET request_json = '{\"topic\": 5' WHERE id = ?", (broken,))
        conn.execute("UPDATE parts SET body = '{damaged' WHERE job_id = ? AND key = ?", (partial, first_lesson))
        conn.execute("DELETE FROM courses WHERE job_id = ?", (partial,))
        conn.execute("UPDATE jobs SET status = 'failed' WHERE id = ?", (partial,))
        conn.execute("UPDATE courses SET body = '{\"title\": 1}' WHERE job_id = ?", (good,))

    listed = run(capsys, "jobs", "--json")
    assert listed.code == EXIT_OK and {job["id"] for job in json.loads(listed.stdout)} == {good, partial}
    assert_one_sentence(run(capsys, "show", broken), "damaged", f"coursegen delete {broken}")
    assert_one_sentence(run(capsys, "export", good, "--format", "html", "--out", "x.html"), "damaged", "generate it again")
    resumed = run(capsys, "resume", partial, "--json")
    assert resumed.code == EXIT_OK and resumed.last["type"] == "JobCompleted", resumed
    assert [event["lesson_id"] for event in resumed.of("TopicStarted")] == [first_lesson]
    assert run(capsys, "delete", broken).code == EXIT_OK


# ---------------------------------------------------------------------------------------------
# Settings files


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="malformed-json"),
        pytest.param(b"[1, 2, 3]", id="json-list"),
        pytest.param(b'{"anthropic_api_key": 5}', id="key-not-a-string"),
        pytest.param(b'{"anthropic_api_key": "   "}', id="key-blank"),
        pytest.param(b"\xff\xfe\x00\x00garbage\x00", id="binary"),
        pytest.param(b"", id="empty-file"),
        pytest.param(None, id="a-folder-named-credentials-json"),
    ],
)
def test_corrupt_credentials_file_means_no_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path, content: bytes | None
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    target = config / secrets.CREDENTIALS_FILE
    target.mkdir() if content is None else target.write_bytes(content)
    monkeypatch.setenv("COURSEGEN_CONFIG_DIR", str(config))

    assert secrets.get_api_key() is None and secrets.key_location() is None
    assert_refused(run(capsys, "generate", "Photosynthesis"), data_dir, "No API key is set", "ANTHROPIC_API_KEY")
    if content is not None:  # saving a new key repairs the file
        assert secrets.set_api_key("sk-ant-repaired-key-123456") == secrets.CONFIG_FILE
        assert secrets.get_api_key() == "sk-ant-repaired-key-123456"


def test_corrupt_gui_settings_file_gives_sane_defaults(data_dir: Path) -> None:
    settings_module = pytest.importorskip("coursegen_desktop.gui.settings")
    from coursegen_desktop.core.models import DEFAULT_MODEL

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.ini").write_bytes(
        b"\xff\xfe\x00\x01garbage[[[\n=\n[jobs]\nmax_running=abc\nlessons_at_once=999\n[generation]\nmodel=\n[window]\ngeometry=@ByteArray(\n"
    )
    settings = settings_module.Settings()
    assert settings.max_jobs == settings_module.DEFAULT_MAX_JOBS
    assert 1 <= settings.lesson_concurrency <= 16
    assert settings.default_model == DEFAULT_MODEL
    assert settings.bytes_value("window/geometry") is None


# ---------------------------------------------------------------------------------------------
# Export targets


@pytest.fixture
def finished(capsys: pytest.CaptureFixture[str]) -> str:
    result = run(capsys, "generate", "Photosynthesis", *OFFLINE, "--json")
    assert result.code == EXIT_OK
    return result.job_id


def test_export_into_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path, finished: str) -> None:
    result = run(capsys, "export", finished, "--format", "html", "--out", str(tmp_path / "no" / "such" / "folder" / "c.html"))
    assert result.code == EXIT_USAGE
    assert_one_sentence(result, "does not exist", "choose an existing folder")
    assert not (tmp_path / "no").exists()


def test_export_under_a_regular_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, finished: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    result = run(capsys, "export", finished, "--format", "markdown", "--out", str(blocker / "c.md"))
    assert result.code == EXIT_USAGE
    assert_one_sentence(result, str(blocker), "choose")
    assert blocker.read_text() == "keep me"


def test_export_over_a_directory_writes_inside_it_and_touches_nothing_else(capsys: pytest.CaptureFixture[str], tmp_path: Path, finished: str) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("precious")
    result = run(capsys, "export", finished, "--format", "html", "--out", str(folder))
    assert result.code == EXIT_OK, result
    assert sorted(p.name for p in folder.iterdir()) == ["Photosynthesis.html", "thesis.docx"]
    assert (folder / "thesis.docx").read_text() == "precious"


def test_folder_export_over_a_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, finished: str) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    result = run(capsys, "export", finished, "--format", "markdown-folder", "--out", str(target))
    assert result.code == EXIT_USAGE
    assert_one_sentence(result, "is a file", "new folder name")
    assert target.read_text() == "keep me"


def test_folder_export_over_a_folder_of_other_files_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, finished: str) -> None:
    target = tmp_path / "Photos"
    (target / "Photosynthesis").mkdir(parents=True)
    (target / "Photosynthesis" / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = run(capsys, "export", finished, "--format", "markdown-folder", "--out", str(target))
    assert result.code == EXIT_USAGE
    assert_one_sentence(result, "holds other files", "another name")
    assert (target / "Photosynthesis" / "holiday.jpg").read_bytes() == b"\xff\xd8"


@pytest.mark.parametrize(
    ("fmt", "name", "words"),
    [
        pytest.param("docx", "c.docx", ["Unknown format 'docx'", "choose one of"], id="unknown-format"),
        pytest.param("html", "n" * 300 + ".html", ["too long", "shorter name"], id="name-too-long"),
    ],
)
def test_export_bad_format_or_name(capsys: pytest.CaptureFixture[str], tmp_path: Path, finished: str, fmt: str, name: str, words: list[str]) -> None:
    result = run(capsys, "export", finished, "--format", fmt, "--out", str(tmp_path / name))
    assert result.code == EXIT_USAGE
    assert_one_sentence(result, *words)
    assert list(tmp_path.iterdir()) == [tmp_path / "data"]  # no half-written or temporary file left


def test_no_input_is_a_usage_error_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["generate"], ["export", "abc"], ["unknown-command"]):
        result = run(capsys, *argv)
        assert result.code == EXIT_USAGE
        assert_clean_stderr(result)
        assert "coursegen:" in result.stderr
