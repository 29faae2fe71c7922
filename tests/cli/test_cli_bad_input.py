"""Every bad input to the CLI gives one clear sentence on stderr and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursegen_desktop import cli

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_clear_sentence(err: str, *words: str) -> None:
    assert "Traceback" not in err
    message = [line for line in err.strip().splitlines() if not line.startswith("usage:")]
    assert len(message) >= 1 and message[-1].startswith("coursegen: ")
    for word in words:
        assert word.lower() in err.lower(), err


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text("# Cells\n\nA cell is the basic unit of life. The nucleus holds the DNA of the cell.\n" * 5)
    return path


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["generate", "", "--offline"], ["topic"]),
        (["generate", "   \t ", "--offline"], ["topic"]),
        (["generate", "x" * 501, "--offline"], ["500"]),
        (["generate", "Cells", "--offline", "--modules", "0"], ["modules", "1"]),
        (["generate", "Cells", "--offline", "--lessons-per-module", "1000"], ["lessons per module"]),
        (["generate", "Cells", "--offline", "--modules", "three"], ["modules", "three"]),
        (["generate", "Cells", "--offline", "--questions", "-3"], ["questions"]),
        (["generate", "Cells", "--offline", "--level", "expert"], ["level"]),
        (["generate", "Cells", "--offline", "--concurrency", "0"], ["concurrency"]),
    ],
)
def test_bad_request_values(capsys: pytest.CaptureFixture[str], notes: Path, argv: list[str], words: list[str]) -> None:
    code, out, err = run_cli(capsys, *argv, "--material", str(notes))
    assert code == 2
    assert out == ""
    assert_one_clear_sentence(err, *words)


def test_missing_material_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "generate", "Cells", "--offline", "--material", str(tmp_path / "nowhere.pdf"))
    assert code == 2
    assert_one_clear_sentence(err, "nowhere.pdf")


def test_offline_without_material_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "generate", "Cells", "--offline")
    assert code == 2
    assert_one_clear_sentence(err, "--material")


def test_no_key_and_no_material_says_how_to_set_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "generate", "Cells")
    assert code == 2
    assert_one_clear_sentence(err, "ANTHROPIC_API_KEY")


@pytest.mark.parametrize("command", ["show", "resume", "delete"])
def test_unknown_job_id(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, _, err = run_cli(capsys, command, "deadbeef0000")
    assert code == 2
    assert_one_clear_sentence(err, "deadbeef0000", "coursegen jobs")


def test_unwritable_data_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("COURSEGEN_DATA_DIR", str(blocker / "data"))
    code, _, err = run_cli(capsys, "jobs")
    assert code == 2
    assert_one_clear_sentence(err, "data folder")


def test_database_that_is_not_sqlite_is_kept_aside(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    (data_dir / "history.sqlite3").write_bytes(b"\x00garbage" * 500)
    code, _, err = run_cli(capsys, "jobs")
    assert code == 2
    assert_one_clear_sentence(err, "kept aside")
    assert len(list(data_dir.glob("history.sqlite3.corrupt-*"))) == 1
    code, out, _ = run_cli(capsys, "jobs", "--json")
    assert code == 0 and out.strip() == "[]"


def test_no_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys)
    assert code == 2 and "Traceback" not in err
