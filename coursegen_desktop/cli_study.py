"""`coursegen due`, `coursegen grade` and `coursegen study-stats`: spaced repetition from scripts.

The study preferences (desired retention, new cards per day) are read from the app's settings
file, so the command line schedules exactly as the Study window does.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from coursegen_desktop.core import paths
from coursegen_desktop.core.store import Store

EXIT_OK = 0


def add_parsers(commands: Any) -> None:
    """Add the study subcommands to `coursegen`'s subparsers."""
    due = commands.add_parser("due", help="list the flashcards to study today")
    due.add_argument("--course", metavar="ID", help="only this course (job id or a prefix of it)")
    due.add_argument("--json", action="store_true", help='print [{"card_id", "course_id", "front", "back", "due"}]')

    grade = commands.add_parser("grade", help="record a review of a card and print when it is due next")
    grade.add_argument("card_id")
    grade.add_argument("rating", choices=["again", "hard", "good", "easy"])
    grade.add_argument("--json", action="store_true")

    stats = commands.add_parser("study-stats", help="cards by state, reviews per day and retention")
    stats.add_argument("--json", action="store_true")


def _study(store: Store) -> Any:
    from coursegen_desktop.core.study import Study
    from coursegen_desktop.core.study_config import load_config

    return Study(store, load_config(paths.data_dir()))


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_due(args: argparse.Namespace, store: Store) -> int:
    study = _study(store)
    course_id = store.resolve_id(args.course) if args.course else None
    cards = study.due_cards(course_id=course_id)
    if args.json:
        rows = [{"card_id": c.id, "course_id": c.course_id, "front": c.front, "back": c.back, "due": c.due.isoformat()} for c in cards]
        print(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    if not cards:
        print("Nothing to study today: every card is done until its next review.")
        return EXIT_OK
    print(f"{'CARD':<16}  {'STATE':<10}  {'COURSE':<24}  FRONT")
    for card in cards:
        print(f"{card.id:<16}  {card.state:<10}  {_one_line(card.course_title, 24):<24}  {_one_line(card.front, 60)}")
    print(f"\n{len(cards)} card(s). Rate one with: coursegen grade CARD_ID again|hard|good|easy")
    return EXIT_OK


def cmd_grade(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core.study import format_interval

    study = _study(store)
    grade = study.grade(study.resolve_card_id(args.card_id), args.rating)
    if args.json:
        print(json.dumps({
            "card_id": grade.card_id, "rating": grade.rating, "state": grade.state,
            "due": grade.due.isoformat(), "interval_s": round(grade.interval.total_seconds()),
        }))
        return EXIT_OK
    print(f"Card {grade.card_id} rated {grade.rating}: next review in {format_interval(grade.interval)}, on {_local(grade.due)}.")
    return EXIT_OK


def cmd_study_stats(args: argparse.Namespace, store: Store) -> int:
    from coursegen_desktop.core.study_stats import study_stats

    stats = study_stats(store, _study(store))
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
        return EXIT_OK
    cards = stats["cards"]
    print(f"Cards: {cards['total']} ({cards['new']} new, {cards['learning']} learning, {cards['review']} review, {cards['relearning']} relearning)")
    print(f"Due today: {stats['due_today']}")
    retention = stats["retention"]
    kept = f"{retention:.0%} of {stats['retention_reviews']} reviews" if retention is not None else "no reviews of learned cards yet"
    print(f"Retention over the last {stats['days']} days: {kept} (desired {stats['desired_retention']:.0%})")
    per_day = stats["reviews_per_day"]
    if per_day:
        print("Reviews per day:")
        for day in per_day:
            print(f"  {day['date']}  {day['reviews']}")
    return EXIT_OK


COMMANDS = {"due": cmd_due, "grade": cmd_grade, "study-stats": cmd_study_stats}
