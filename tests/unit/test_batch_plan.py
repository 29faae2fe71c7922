"""Topic lists for bulk courses, and the cost estimate at batch prices."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursegen_desktop.core.batch_plan import estimate, parse_topics, read_topics
from coursegen_desktop.core.errors import BadInput
from coursegen_desktop.core.models import GeneratorKind, Level

DEFAULTS = {"model": "claude-sonnet-4-6", "modules": 3, "lessons_per_module": 3}


def test_a_text_list_skips_blank_and_comment_lines() -> None:
    requests = parse_topics("# term 1\nPhotosynthesis\n\n  Volcanoes  \n", DEFAULTS)
    assert [r.topic for r in requests] == ["Photosynthesis", "Volcanoes"]
    assert all(r.generator == GeneratorKind.CLAUDE and r.modules == 3 for r in requests)


def test_a_csv_sets_level_size_and_material_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "leaves.md").write_text("# Leaves\n\nChlorophyll absorbs light.\n", encoding="utf-8")
    path = tmp_path / "term.csv"
    path.write_text("Topic,Level,Modules,Lessons,Material\nPhotosynthesis,advanced,2,4,notes/leaves.md\nVolcanoes,,,,\n", encoding="utf-8")

    first, second = read_topics(path, DEFAULTS)

    assert (first.level, first.modules, first.lessons_per_module) == (Level.ADVANCED, 2, 4)
    assert first.material == ((tmp_path / "notes" / "leaves.md").resolve(),)
    assert (second.level, second.modules, second.material) == (Level.BEGINNER, 3, ())


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("topic,modules\nPhotosynthesis,many\n", "Line 2: modules must be a whole number, not 'many'."),
        ("topic,modules\nPhotosynthesis,40\n", "Line 2 of term.csv: Modules must be a whole number from 1 to 12."),
        ("topic,material\nPhotosynthesis,missing.pdf\n", "Line 2:"),
        ("name\nPhotosynthesis\n", "header row with a 'topic' column"),
        ("topic\n\n", "lists no topics"),
    ],
)
def test_bad_lists_are_one_sentence(tmp_path: Path, text: str, sentence: str) -> None:
    path = tmp_path / "term.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        read_topics(path, DEFAULTS)
    assert sentence in caught.value.message and "\n" not in caught.value.message


def test_the_estimate_counts_every_part_at_half_price() -> None:
    one = estimate(parse_topics("Photosynthesis\n", DEFAULTS))
    five = estimate(parse_topics("a\nb\nc\nd\ne\n", DEFAULTS))
    assert one.requests == 1 + 9 + 3 + 2 and five.requests == 5 * one.requests
    assert 0 < one.cost_usd < 1 and five.cost_usd == pytest.approx(5 * one.cost_usd, abs=0.03)  # rounded to cents
    assert "at batch prices" in one.describe()
