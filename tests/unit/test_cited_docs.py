"""Code comments cite documents that ship with the code: `docs/course-quality.md` holds the
rules the review step, the prompts and the offline generator follow, with the check numbers the
comments use."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "coursegen_desktop").rglob("*.py"))


def test_cited_documents_are_in_the_repository() -> None:
    cited = {match for path in SOURCES for match in re.findall(r"\bdocs/[\w.-]+\.md\b", path.read_text(encoding="utf-8"))}
    assert "docs/course-quality.md" in cited
    assert [name for name in cited if not (ROOT / name).is_file()] == []
    assert [path.name for path in SOURCES if "COURSE_QUALITY" in path.read_text(encoding="utf-8")] == []


def test_every_cited_check_is_written_down() -> None:
    rules = (ROOT / "docs" / "course-quality.md").read_text(encoding="utf-8")
    numbered = {int(n) for n in re.findall(r"^(\d{1,2})\. \*\*", rules, re.M)}
    assert numbered >= set(range(1, 27))
    for path in SOURCES:
        for number in re.findall(r"\(check (\d{1,2})\)", path.read_text(encoding="utf-8")):
            assert int(number) in numbered, f"{path.name} cites check {number}"
