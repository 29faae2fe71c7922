"""Anki deck (.apkg): the flashcards, and every quiz and exam question as a card.

Ids are derived, not random: the deck id from the course title and each note's guid from the
title plus the card's normalised front (`card_keys.normalise_front`: case, spacing and a closing
question mark do not count), so importing a re-export of the same course, after its answers,
explanations or the wording of a front's spacing changed, updates the notes the learner already
studies instead of adding duplicates (and keeps their review history).
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

import genanki

from coursegen_desktop.core.card_keys import normalise_front
from coursegen_desktop.core.export.course_parts import answer_line, module_views
from coursegen_desktop.core.export.text import esc, esc_lines, one_line
from coursegen_desktop.core.models import Course, Question

MODEL_ID = 1_742_906_311  # fixed for ever: Anki matches notes to their note type by this id

CARD_CSS = """
.card { font-family: system-ui, sans-serif; font-size: 20px; text-align: left; color: black; background: white; }
.options { margin-top: 0.5em; } .answer { font-weight: bold; } .source { color: #777; font-size: 0.8em; }
"""

MODEL = genanki.Model(
    MODEL_ID,
    "CourseGen card",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card", "qfmt": "{{Front}}", "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'}],
    css=CARD_CSS,
)


def deck_id(title: str) -> int:
    """A stable id in the range Anki expects (genanki suggests 2**30..2**31)."""
    digest = int.from_bytes(hashlib.sha256(("coursegen-deck:" + one_line(title)).encode()).digest()[:8], "big")
    return (1 << 30) + digest % (1 << 30)


def _question_fields(question: Question, source: str) -> tuple[str, str]:
    options = "".join(f"<li>{esc(option)}</li>" for option in question.options)
    front = f'<div class="stem">{esc_lines(question.stem)}</div><ol type="A" class="options">{options}</ol>'
    back = f'<p class="answer">{esc(answer_line(question))}</p>'
    if question.explanation.strip():
        back += f'<p class="explanation">{esc_lines(question.explanation)}</p>'
    return front, back + f'<p class="source">{esc(source)}</p>'


def build_deck(course: Course) -> genanki.Deck:
    title = one_line(course.title) or "CourseGen course"
    deck = genanki.Deck(deck_id(title), title.replace("::", ":"))  # "::" would make a sub-deck
    seen: set[str] = set()

    def add(kind: str, key: str, front: str, back: str, tags: list[str]) -> None:
        guid = genanki.guid_for(title, kind, normalise_front(one_line(key)))
        if guid not in seen:  # the same question in a quiz and the exam is one card
            seen.add(guid)
            deck.add_note(genanki.Note(model=MODEL, fields=[front, back], guid=guid, tags=["coursegen", kind, *tags]))

    for module in module_views(course):
        if module.quiz is not None:
            for question in module.quiz.questions:
                add("question", question.stem, *_question_fields(question, module.quiz.title), [f"module-{module.number}"])
    for question in course.exam.questions:
        add("question", question.stem, *_question_fields(question, course.exam.title), ["exam"])
    numbers = {plan.id: number for number, plan in enumerate(course.outline.modules, start=1)}
    for card in course.flashcards:
        number = numbers.get(card.module_id or "")
        add("flashcard", card.front, esc_lines(card.front), esc_lines(card.back), [f"module-{number}"] if number else [])
    return deck


def write_apkg(course: Course, path: Path) -> None:
    """Write the package ourselves around genanki's database writer.

    `genanki.Package.write_to_file` leaves its temporary database in the system temp folder
    for ever; here it lives next to the export (so a full disk is reported for the right disk)
    and is removed afterwards.
    """
    package = genanki.Package(build_deck(course))
    now = time.time()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".anki-") as temp:
        database = Path(temp) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            package.write_to_db(connection.cursor(), now, itertools.count(int(now * 1000)))
            connection.commit()
        finally:
            connection.close()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(database, "collection.anki2")
            archive.writestr("media", "{}")
