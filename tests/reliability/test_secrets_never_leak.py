"""The API key never leaves the environment or keychain, and what the app writes is private and inert.

After a full Claude job (with a retried lesson), a job refused with 401 because of a different
key, a job whose API error message echoes the key back, a job killed with SIGKILL and an
unexpected internal error, the key's value — and its random part alone, in case it was cut or
reformatted — is searched for in: every file of the data folder (database, WAL, logs, locks),
every export format's output (zip-based formats unpacked), all stdout and stderr, and the
`repr()` of the generator, request, job, settings and errors. Zero occurrences.
"""

from __future__ import annotations

import html.parser
import json
import secrets as pysecrets
import signal
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from coursegen_desktop import cli
from coursegen_desktop.core import secrets
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.export import FORMATS, default_export_name
from coursegen_desktop.gui.pdf_format import register_pdf_format
from coursegen_desktop.core.export.markdown_render import render_markdown_safe
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator
from coursegen_desktop.core.models import JobStatus, Usage, make_request
from coursegen_desktop.core.store import Store
from tests.fakes import Fault, FakeMessagesAPI
from tests.helpers.course_factory import HOSTILE_MARKDOWN, make_course
from tests.reliability.clikit import (
    CLI,
    EXIT_FAILED,
    EXIT_OK,
    ROOT,
    SMALL_CLAUDE,
    CliRun,
    cli_env,
    run_cli,
    run_cli_until,
    run_in_process,
)

pytestmark = pytest.mark.timeout(90)
TOKEN = pysecrets.token_hex(16)
KEY = f"sk-ant-api03-LEAKCHECK{TOKEN}-AA"
WRONG_TOKEN = pysecrets.token_hex(16)
WRONG_KEY = f"sk-ant-api03-WRONGKEY{WRONG_TOKEN}-BB"
NEEDLES = [KEY, TOKEN, TOKEN[:12], WRONG_KEY, WRONG_TOKEN, WRONG_TOKEN[:12]]


def files_under(root: Path) -> dict[str, bytes]:
    """Every file's bytes, with the members of zip-based files (apkg, scorm, epub) unpacked too."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found[str(path)] = data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    found[f"{path}!{member}"] = archive.read(member)
    return found


def assert_no_key(haystacks: dict[str, bytes | str]) -> None:
    assert haystacks
    for name, content in haystacks.items():
        blob = content.encode("utf-8", "replace") if isinstance(content, str) else content
        for needle in NEEDLES:
            assert needle.encode() not in blob, f"the API key ({needle[:6]}…) leaked into {name}"


def outputs(*runs: CliRun) -> dict[str, str]:
    return {f"{' '.join(run.args)[:60]} [{stream}]": getattr(run, stream) for run in runs for stream in ("stdout", "stderr")}


def test_the_key_appears_nowhere_after_good_and_bad_jobs(tmp_path: Path) -> None:
    data, exports = tmp_path / "data", tmp_path / "exports"
    exports.mkdir()
    with FakeMessagesAPI(api_key=KEY) as api:
        api.fail(Fault.rate_limited(retry_after=0.1), kind="lesson")  # the retry path logs too
        ok = run_cli("generate", *SMALL_CLAUDE, "--json", env=cli_env(data, api, key=KEY))
        rejected = run_cli("generate", *SMALL_CLAUDE, env=cli_env(data, api, key=WRONG_KEY))  # human output on stderr
        api.fail(Fault.bad_request(f"x-api-key header {KEY} is malformed"), kind="outline")  # an API that echoes the key
        echoed = run_cli("generate", *SMALL_CLAUDE, "--json", env=cli_env(data, api, key=KEY))
        killed = run_cli_until(
            "generate", *SMALL_CLAUDE, "--json", env=cli_env(data, api, key=KEY),
            when=lambda e: e["type"] == "TopicStarted", then=lambda proc: proc.send_signal(signal.SIGKILL),
        )

    assert ok.code == EXIT_OK and ok.last["type"] == "JobCompleted", ok
    assert rejected.code == EXIT_FAILED and "API key was rejected" in rejected.stderr, rejected
    assert echoed.code == EXIT_FAILED and echoed.last["kind"] == "bad_request" and "malformed" in echoed.stderr, echoed
    assert killed.code == -signal.SIGKILL

    env = cli_env(data)
    register_pdf_format()  # the CLI offers PDF (it registers the Qt writer); export that too
    procs = {
        fmt: subprocess.Popen(
            [*CLI, "export", ok.job_id, "--format", fmt, "--out", str(exports / f"course-{fmt}{spec.suffix}")],
            env={**env, "QT_QPA_PLATFORM": "offscreen"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        for fmt, spec in FORMATS.items()
    }
    exported = []
    for fmt, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        exported.append(CliRun(["export", fmt], proc.returncode, out, err))
        assert proc.returncode == EXIT_OK, (fmt, err)
    listing = [run_cli("jobs", "--json", env=env), run_cli("show", ok.job_id, "--json", env=env), run_cli("show", rejected_job(data), env=env)]

    haystacks: dict[str, bytes | str] = {**files_under(data), **files_under(exports)}
    assert len([name for name in haystacks if "!" not in name and name.startswith(str(exports))]) >= len(FORMATS)
    assert any(name.endswith("coursegen.log") for name in haystacks) and any(name.endswith("history.sqlite3") for name in haystacks)
    haystacks.update(outputs(ok, rejected, echoed, killed, *exported, *listing))
    haystacks.update(object_reprs(data, ok.job_id))
    assert_no_key(haystacks)


def rejected_job(data: Path) -> str:
    store = Store.open(data)
    try:
        return next(job.id for job in store.list_jobs() if job.error_kind == "auth")
    finally:
        store.close()


def object_reprs(data: Path, job_id: str) -> dict[str, str]:
    request = make_request(topic="Photosynthesis", generator="claude", modules=1, lessons_per_module=2)
    generator = ClaudeGenerator(request, api_key=KEY)
    secret = secrets.Secret(KEY)
    store = Store.open(data)
    try:
        job = store.get_job(job_id)
        reprs = {
            "repr(generator)": repr(generator),
            "vars(generator)": repr(vars(generator)),
            "repr(request)": repr(request),
            "repr(job)": repr(job) + job.model_dump_json(),
            "repr(events)": repr(store.events(job_id)),
            "secret": f"{secret} {secret!r} {[secret]} {str(secret)}",
            "redacted": secrets.redact(f"the key is {KEY}; key={WRONG_KEY}"),
            "error": repr(CourseGenError("auth", f"bad key {secrets.redact(KEY)}")),
        }
    finally:
        store.close()
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
    try:
        from coursegen_desktop.gui.settings import Settings
    except ImportError:  # a core-only install has no GUI settings
        return reprs
    settings = Settings()
    reprs["settings"] = repr(vars(settings)) + repr([settings.q.value(key) for key in settings.q.allKeys()])
    return reprs


def test_an_internal_error_logs_a_traceback_without_the_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, api: FakeMessagesAPI, data_dir: Path
) -> None:
    """A bug that drags the generator's whole state into its exception message: the log gets the
    traceback, the user one sentence, and the key shows up in neither."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    api.api_key = KEY

    async def broken_quiz(self: ClaudeGenerator, *args: object) -> None:
        raise RuntimeError(f"unexpected state: {vars(self)!r}")

    monkeypatch.setattr(ClaudeGenerator, "quiz", broken_quiz)
    result = run_in_process(capsys, "generate", *SMALL_CLAUDE, "--json")

    assert result.code == EXIT_FAILED and result.last["kind"] == "internal", result
    assert "Traceback" not in result.stderr and "details are in the log" in result.stderr
    log = (data_dir / "logs" / "coursegen.log").read_text()
    assert "Traceback" in log and "unexpected state" in log  # the bug is diagnosable from the log
    assert_no_key({"log": log, "stdout": result.stdout, "stderr": result.stderr, **files_under(data_dir)})


def test_data_folder_and_files_are_private(data_dir: Path) -> None:
    store = Store.open(data_dir)
    job = store.create_job(make_request(topic="Private", material=()))
    store.acquire_job(job.id)  # a lock file and an open WAL, as during a run
    store.save_part(job.id, "outline", "outline", "{}")
    cli.main(["jobs"])  # writes the log
    try:
        modes = {path.relative_to(data_dir).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in data_dir.rglob("*")}
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        for name in ("logs", "locks"):
            assert modes[name] == 0o700, name
        for name in ("history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm", "logs/coursegen.log"):
            assert modes[name] == 0o600, (name, oct(modes[name]))
        for name, mode in modes.items():  # nothing else readable by others, except empty lock files
            if mode & 0o077:
                assert name.startswith("locks/") and (data_dir / name).stat().st_size == 0, (name, oct(mode))
    finally:
        store.release_job(job.id)
        store.close()


# ---------------------------------------------------------------------------------------------
# Hostile lesson text renders inert; hostile titles make harmless file names


class _ActiveContent(html.parser.HTMLParser):
    """Collects everything in an HTML document that could run, load or navigate somewhere."""

    SCHEMES = ("javascript:", "vbscript:", "data:text", "file:")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        if tag in ("iframe", "object", "embed", "form", "base", "frame"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value.startswith(self.SCHEMES):
                self.problems.append(f"{tag} {name}={value[:30]}")
            if tag == "img" and name == "src" and not value.startswith("data:image/"):
                self.problems.append(f"remote image {value[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and ("alert(" in data or "document.cookie" in data):
            self.problems.append(f"script: {data[:40]}")


def active_content(markup: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(markup)
    parser.close()
    return parser.problems


def test_hostile_lesson_markdown_is_inert_in_the_viewer_and_in_html_exports(tmp_path: Path, data_dir: Path) -> None:
    markdown = HOSTILE_MARKDOWN.format(title="Lesson", script="<script>alert('xss')</script>")
    fragment = render_markdown_safe(markdown)
    assert active_content(fragment) == []
    assert "<script" not in fragment and "&lt;script&gt;" in fragment  # shown as text, not run
    assert "<img" not in fragment and "[tracking pixel]" in fragment  # a remote image becomes its alt text

    course = make_course(hostile=True)
    store = Store.open(data_dir)
    job = store.create_job(make_request(topic="Hostile", material=()))
    store.save_course(job.id, course)
    store.finish_job(job.id, JobStatus.COMPLETED, usage=Usage(), course_title=course.title)
    store.close()

    out = tmp_path / "out"
    out.mkdir()
    env = {**cli_env(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    for fmt in ("html", "scorm", "epub"):
        run = run_cli("export", job.id, "--format", fmt, "--out", str(out), env=env)
        assert run.code == EXIT_OK, run
    pages = {name: blob.decode("utf-8", "replace") for name, blob in files_under(out).items() if name.endswith((".html", ".xhtml", ".htm"))}
    assert len(pages) >= 3
    for name, page in pages.items():
        assert active_content(page) == [], name


@pytest.mark.parametrize("title", ["../../x", "/etc/passwd", "..", "CON", ".hidden", "a/b\\c:d*e?f\"g<h>i|j", "\u202eevil\u202c.exe"])
def test_export_names_from_hostile_titles_stay_in_the_chosen_folder(tmp_path: Path, data_dir: Path, title: str) -> None:
    course = make_course().model_copy(update={"title": title})
    store = Store.open(data_dir)
    job = store.create_job(make_request(topic="Names", material=()))
    store.save_course(job.id, course)
    store.finish_job(job.id, JobStatus.COMPLETED, usage=Usage(), course_title=title)
    store.close()
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if "data" not in p.parts)

    run = run_in_process_export(job.id, out)

    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if "data" not in p.parts)
    new = [name for name in after if name not in before]
    assert run == EXIT_OK
    assert len(new) == 1 and new[0].startswith("deep/out/") and "/" not in new[0][len("deep/out/") :], new
    name = new[0].rsplit("/", 1)[1]
    assert name == default_export_name(course, "html") and not name.startswith(".")
    assert not any(ch in name for ch in '/\\:*?"<>|\u202e')


def run_in_process_export(job_id: str, out: Path) -> int:
    return cli.main(["export", job_id, "--format", "html", "--out", str(out)])


def test_secret_values_never_print_themselves() -> None:
    secret = secrets.Secret(KEY)
    text = f"{secret} {secret!r} {[secret]} {dict(k=secret)} {str(secret)} {format(secret)}"
    assert KEY not in text and TOKEN not in text
    assert json.dumps({"k": str(secret)}).find(TOKEN) == -1
