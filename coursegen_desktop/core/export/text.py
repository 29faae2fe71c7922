"""Escaping helpers shared by the exporters: every string from a course passes through one of these.

Course text comes from a model or from the user's material, so it may hold markup, control
characters or bidi tricks. XML 1.0 (Moodle XML, SCORM manifests, EPUB) rejects most control
characters outright, so they are removed before anything else sees the text.
"""

from __future__ import annotations

import html
import re
import unicodedata

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_MD_INLINE = re.compile(r"([\\`*_\[\]<|~])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_HASH = re.compile(r"(^|\s)#")
# What turns the start of a line into structure: a quote (`>`, also `>>>`), a heading, a list
# item (`-`, `+`, `*`, `1.`, `1)`), a rule or setext underline (`---`, `===`), a code fence.
_MD_BLOCK_START = re.compile(r"^(?:\d{1,9}(?=[.)])|>|#{1,6}(?=\s|$)|[+*-](?=\s|$)|([-=*_])(?=(?:\s*\1)*\s*$)|`{3,}|~{3,})")


def xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (NUL, most C0 controls, lone surrogates)."""
    return _XML_INVALID.sub("", text)


def one_line(text: str) -> str:
    """Titles, stems and options as a single line: whitespace runs become one space, controls go."""
    return " ".join(xml_safe(text).split())


def esc(text: str) -> str:
    """Escape text for HTML/XHTML content or a quoted attribute."""
    return html.escape(xml_safe(text), quote=True)


def esc_lines(text: str) -> str:
    """Escape text for HTML, keeping its line breaks visible."""
    return "<br />".join(esc(line) for line in text.strip().splitlines())


def md_escape(text: str) -> str:
    """Backslash-escape what would turn one line of plain text into markdown structure or HTML.

    Only the characters that can act where the text is placed are escaped, so the exported
    markdown stays readable: `Q&A` stays as it is, `&amp;` does not become `&`.
    """
    text = _MD_INLINE.sub(r"\\\1", one_line(text))
    text = _MD_ENTITY.sub(r"\\&", text)
    text = _MD_HASH.sub(r"\1\\#", text)
    return escape_line_start(text)


def escape_line_start(line: str) -> str:
    """Backslash-escape a line start that markdown would read as structure (`>>> x` would be a
    quote nested three deep, `1. x` a list, `---` a rule), for plain text placed in markdown."""
    match = _MD_BLOCK_START.match(line)
    if not match:
        return line
    if line[0].isdigit():  # "1. x" → "1\. x": the number stays readable
        return line[: match.end()] + "\\" + line[match.end() :]
    return "\\" + line


def slug(text: str, fallback: str) -> str:
    """An ASCII, lower-case, hyphenated name part for files inside an export (`Über C++` → `uber-c`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:48].strip("-") or fallback


_LANGUAGE_CODES = {
    "english": "en",
    "deutsch": "de",
    "german": "de",
    "français": "fr",
    "francais": "fr",
    "french": "fr",
    "español": "es",
    "espanol": "es",
    "spanish": "es",
    "italiano": "it",
    "italian": "it",
    "português": "pt",
    "portuguese": "pt",
    "nederlands": "nl",
    "dutch": "nl",
    "polski": "pl",
    "polish": "pl",
    "svenska": "sv",
    "русский": "ru",
    "russian": "ru",
    "日本語": "ja",
    "japanese": "ja",
    "中文": "zh",
    "chinese": "zh",
}


def language_code(language: str) -> str:
    """A BCP 47 tag for the course language (`Deutsch` → `de`); `und` (undetermined) if unknown.

    HTML `lang` and EPUB metadata need a tag, while the course stores the name the user typed.
    """
    name = one_line(language).casefold()
    if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", name):
        return name
    return _LANGUAGE_CODES.get(name, "und")
