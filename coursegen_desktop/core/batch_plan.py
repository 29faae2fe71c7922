"""The topics of a bulk run, from a file, and what the run will cost at batch prices.

A plain text file has one topic a line (blank lines and lines starting with # are skipped). A CSV
file has a header row with `topic` and any of `level`, `modules`, `lessons`, `material` (a file
path, relative to the CSV's folder; several separated by `;`); empty cells take the defaults.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursegen_desktop.core.batch import BATCH_DISCOUNT
from coursegen_desktop.core.errors import BadInput, CourseGenError
from coursegen_desktop.core.material import check_material_path
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, make_request
from coursegen_desktop.core.pricing import price_for

MAX_TOPICS = 500
# Rough token counts per request (measured on the fake-free prompts: rules ≈ 1,800 tokens).
RULES_TOKENS = 1_800
OUTPUT_TOKENS = {"outline": 1_500, "lesson": 2_000, "question": 250, "flashcards": 1_500}


def read_topics(path: Path, defaults: dict[str, Any]) -> list[CourseRequest]:
    """One request per topic in the file at `path` (.csv, else one topic a line)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"The topic list {path.name} cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__}).") from None
    return parse_topics(text, defaults, name=path.name, folder=path.parent, is_csv=path.suffix.lower() == ".csv")


def parse_topics(text: str, defaults: dict[str, Any], *, name: str = "the list", folder: Path = Path("."), is_csv: bool = False) -> list[CourseRequest]:
    """One request per topic in `text`; a bad line is one sentence naming the line."""
    rows = _csv_rows(text, folder) if is_csv else _line_rows(text)
    requests = []
    for line, fields in rows:
        try:
            requests.append(make_request(**{**defaults, **fields, "generator": GeneratorKind.CLAUDE}))
        except CourseGenError as exc:
            raise BadInput(f"Line {line} of {name}: {exc.message}") from None
    if not requests:
        raise BadInput(f"{name[:1].upper()}{name[1:]} lists no topics; write one topic a line (or a CSV with a 'topic' column).")
    if len(requests) > MAX_TOPICS:
        raise BadInput(f"{name[:1].upper()}{name[1:]} lists {len(requests)} topics; submit at most {MAX_TOPICS} at a time.")
    return requests


def _line_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    return [(n, {"topic": line.strip()}) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.lstrip().startswith("#")]


def _csv_rows(text: str, folder: Path) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    if "topic" not in columns:
        raise BadInput("The CSV needs a header row with a 'topic' column (and optionally level, modules, lessons, material).")
    rows = []
    for n, raw in enumerate(reader, 2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not row.get("topic"):
            continue
        fields: dict[str, Any] = {"topic": row["topic"]}
        if row.get("level"):
            fields["level"] = row["level"].lower()
        for column, name in (("modules", "modules"), ("lessons", "lessons_per_module")):
            if row.get(column):
                if not row[column].isdigit():
                    raise BadInput(f"Line {n}: {column} must be a whole number, not '{row[column][:20]}'.")
                fields[name] = int(row[column])
        if row.get("material"):
            paths = [folder / part.strip() for part in row["material"].split(";") if part.strip()]
            try:
                fields["material"] = tuple(check_material_path(p).resolve() for p in paths)
            except CourseGenError as exc:
                raise BadInput(f"Line {n}: {exc.message}") from None
        rows.append((n, fields))
    return rows


@dataclass(frozen=True)
class Estimate:
    requests: int
    cost_usd: float  # at batch prices

    def describe(self) -> str:
        return f"{self.requests} requests, about ${self.cost_usd:.2f} at batch prices (half the normal price)"


def estimate(requests: list[CourseRequest]) -> Estimate:
    """A rough cost: every part once, lessons reading the cached prefix, at batch prices."""
    count, total = 0, 0.0
    for request in requests:
        price, _known = price_for(request.model)
        material = sum(p.stat().st_size for p in request.material if p.exists()) // 4
        prefix = RULES_TOKENS + material
        questions = request.modules * request.questions_per_quiz + request.exam_questions
        parts = 1 + request.lesson_count + request.modules + 2
        output = OUTPUT_TOKENS["outline"] + request.lesson_count * OUTPUT_TOKENS["lesson"] + questions * OUTPUT_TOKENS["question"] + OUTPUT_TOKENS["flashcards"]
        cached = (parts - 1) * prefix * price.cache_read + prefix * price.input * 2  # one 1-hour cache write
        total += (cached + output * price.output) / 1_000_000
        count += parts
    return Estimate(count, round(total * BATCH_DISCOUNT, 2))
