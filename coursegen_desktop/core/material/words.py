"""Word tokens, stop words and a light stemmer: shared by `Material.select`, the offline
generator and the review checks, so all three agree on what a word is."""

from __future__ import annotations

import re
from functools import lru_cache

STOPWORDS = frozenset(
    """a about above after again against all also although am an and any are aren't as at be because
    been before being below between both but by can cannot could did do does doing down during each
    either else etc even ever every few for from further had has have having he her here hers herself
    him himself his how however i if in into is isn't it it's its itself just least less let like may
    me might more most much must my myself neither no nor not now of off often on once one only onto or
    other others otherwise our ours ourselves out over own per quite rather same shall she should since
    so some such than that that's the their theirs them themselves then there therefore these they this
    those though through thus to too under until up upon us use used uses using very via was we were what
    when where whether which while who whom whose why will with within without would yet you your yours
    yourself""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SUFFIXES = ("ational", "ations", "ation", "ities", "ity", "ments", "ment", "ness", "ings", "ing", "ates", "ated", "ate", "ies", "ied", "es", "ed", "s")


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters/digits, inner hyphens and apostrophes kept)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.casefold())]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


@lru_cache(maxsize=65536)
def light_stem(word: str) -> str:
    """A crude suffix stripper: enough to see that 'evaporates' and 'evaporation' share a root."""
    word = word.casefold().removesuffix("'s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            return word[: -len(suffix)]
    return word
