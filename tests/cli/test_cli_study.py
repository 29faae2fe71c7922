"""`coursegen due`, `grade` and `study-stats` as a script uses them: real subprocesses."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from coursegen_desktop.core.store import Store
from tests.cli.test_cli_generate import coursegen
from tests.helpers.study_courses import store_cards


def stored_course(data: Path, topic: str, fronts: list[str]) -> str:
    store = Store.open(data)
    try:
        return store_cards(store, fronts, topic)[0]
    finally:
        store.close()


def test_due_grade_and_stats(data_dir: Path) -> None:
    one = stored_course(data_dir, "One", ["What is ATP?", "What is NADPH?"])
    two = stored_course(data_dir, "Two", ["What is a stoma?"])

    result = coursegen("due", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    cards = json.loads(result.stdout)
    assert [card["front"] for card in cards] == ["What is ATP?", "What is NADPH?", "What is a stoma?"]
    assert set(cards[0]) == {"card_id", "course_id", "front", "back", "due"}
    assert cards[0]["course_id"] == one and cards[0]["back"] == "Answer to What is ATP?"
    assert datetime.fromisoformat(cards[0]["due"]).tzinfo is not None

    only_two = json.loads(coursegen("due", "--course", two[:6], "--json", data_dir=data_dir).stdout)
    assert [card["course_id"] for card in only_two] == [two]

    graded = coursegen("grade", cards[0]["card_id"][:8], "easy", "--json", data_dir=data_dir)
    assert graded.returncode == 0, graded.stderr
    answer = json.loads(graded.stdout)
    assert answer["card_id"] == cards[0]["card_id"] and answer["state"] == "review"
    assert datetime.fromisoformat(answer["due"]) > datetime.now(timezone.utc)
    assert answer["interval_s"] >= 86400

    human = coursegen("grade", cards[1]["card_id"], "again", data_dir=data_dir)
    assert human.returncode == 0 and "next review in 1m" in human.stdout

    left = json.loads(coursegen("due", "--json", data_dir=data_dir).stdout)
    assert [card["front"] for card in left] == ["What is a stoma?"]  # ATP is days away, NADPH a minute

    stats = json.loads(coursegen("study-stats", "--json", data_dir=data_dir).stdout)
    assert stats["cards"] == {"new": 1, "learning": 1, "review": 1, "relearning": 0, "total": 3}
    assert sum(day["reviews"] for day in stats["reviews_per_day"]) == stats["reviews_total"] == 2
    text = coursegen("study-stats", data_dir=data_dir)
    assert text.returncode == 0 and "Cards: 3 (1 new, 1 learning, 1 review" in text.stdout


def test_bad_study_input_is_one_sentence_and_exit_2(data_dir: Path) -> None:
    stored_course(data_dir, "One", ["What is ATP?"])
    for args, words in (
        (("grade", "0123456789abcdef", "good"), "no card with id"),
        (("grade", "zzz", "good"), "no card with id"),
        (("grade", "0123", "perfect"), "cannot be 'perfect'"),
        (("due", "--course", "ffffff"), "no job with id"),
    ):
        result = coursegen(*args, data_dir=data_dir)
        assert result.returncode == 2, (args, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
