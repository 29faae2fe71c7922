"""Stable identities for flashcards: the same card keeps its id when the course is saved again.

A card is "the same" when its front says the same thing: case, Unicode form, whitespace and a
closing full stop or question mark do not matter. Study cards are keyed by course id + this
front (so regenerating flashcards keeps the review history of unchanged cards), and the Anki
export derives its note GUIDs from it (so re-importing an edited course updates notes).
"""

from __future__ import annotations

import hashlib
import unicodedata

_TRAILING = " .?!:;…。？！"


def normalise_front(front: str) -> str:
    """The part of a card's front that decides whether two cards are the same card."""
    text = unicodedata.normalize("NFKC", front).casefold()
    return " ".join(text.split()).rstrip(_TRAILING).strip()


def front_hash(front: str) -> str:
    return hashlib.sha256(normalise_front(front).encode("utf-8")).hexdigest()


def study_card_id(course_id: str, front: str) -> str:
    """The id of a course's study card: 16 hex digits, short enough to type a prefix of."""
    return hashlib.sha256(f"{course_id}\x1f{front_hash(front)}".encode()).hexdigest()[:16]
