"""The block every reader produces (a heading or a paragraph) and the line-level helpers the
plain-text, Markdown, PDF and Word readers share."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Block:
    """A heading, a paragraph (a list or table keeps one item/row per line) or a code block."""

    text: str
    level: int | None = None  # heading level (0 = document title); None for body text
    page: int | None = None
    code: bool = False  # program code or an interpreter session: kept line by line, never prose
    lang: str = ""  # the code's language when the material names it ("python", "pycon")

    @property
    def is_heading(self) -> bool:
        return self.level is not None


BULLET = re.compile(r"^\s*(?:[-*+•·▪‣◦]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+(?=\S)")


def collect_list(lines: list[str], i: int) -> tuple[list[str], int]:
    """Consecutive list items (with indented continuation lines) starting at line i."""
    items: list[str] = []
    while i < len(lines) and lines[i].strip():
        line = lines[i].rstrip()
        marker = BULLET.match(line)
        if marker:
            bullet = marker.group(0).strip()
            prefix = bullet if bullet[:1].isdigit() or bullet[:1] == "(" or (len(bullet) == 2 and bullet[0].isalpha()) else "-"
            items.append(f"{prefix} {line[marker.end():].strip()}")
        elif items and (line.startswith((" ", "\t")) or not ends_sentence(items[-1])):
            items[-1] = join_lines([items[-1], line.strip()], "")
        else:
            break
        i += 1
    return items, i


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\u00ad", "")


def ends_sentence(line: str) -> bool:
    return bool(re.search(r"[.!?:][\"'”’)\]]*\s*$", line))


def starts_upper(line: str) -> bool:
    s = line.strip()
    return bool(s) and (s[0].isupper() or s[0].isdigit() or bool(BULLET.match(s)))


def typical_length(lines: list[str]) -> int:
    lengths = sorted(len(x.strip()) for x in lines if len(x.strip()) > 20)
    return lengths[len(lengths) * 3 // 4] if lengths else 80


_HYPHEN_BREAK = re.compile(r"(\w+)-$")


def join_lines(lines: list[str], context: str) -> str:
    """Join wrapped lines with spaces, mending words hyphenated at a line break."""
    out = ""
    for line in lines:
        line = line.strip()
        if not out:
            out = line
            continue
        broken = _HYPHEN_BREAK.search(out)
        first = line.split(" ", 1)[0]
        if broken and first[:1].islower():
            head, tail = broken.group(1), re.match(r"[\w'-]*", first).group(0)
            keep = f"{head}-{tail}" in context and f"{head}{tail}" not in context
            out = out if keep else out[:-1]
            out += line
        else:
            out += " " + line
    return out
