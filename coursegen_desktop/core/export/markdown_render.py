"""Markdown → HTML that is safe to show: the one renderer for exports and the GUI lesson viewer.

Lesson markdown comes from a model or from the user's material, so it is untrusted. Raw HTML is
escaped (markdown-it with `html` off), and every URL left in the output passes an allowlist:
links may point to http(s), mailto or a relative place; images may only be inline raster
`data:` images, because a remote image would phone home when the export is opened and a local
one would pull a file from the user's disk into a PDF.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from coursegen_desktop.core.export.text import xml_safe

_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_RASTER_DATA = re.compile(r"data:image/(?:png|gif|jpeg|webp);base64,[a-z0-9+/=\s]*", re.IGNORECASE)

_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def _scheme(url: str) -> str | None:
    """The URL's scheme as a browser would read it, seeing through entities, %-escapes and tabs."""
    probe = _INVISIBLE.sub("", unquote(html.unescape(url))).lower()
    match = _SCHEME.match(probe)
    return match.group(1) if match else None


def _is_safe_link(url: str) -> bool:
    scheme = _scheme(url)
    return scheme is None or scheme in _LINK_SCHEMES


def _is_safe_image(url: str) -> bool:
    return bool(_RASTER_DATA.fullmatch(url.strip()))


def _image_replacement(image: Token) -> list[Token]:
    """A blocked image becomes its alt text, linked when it was a web image the reader may open."""
    src = str(image.attrGet("src") or "")
    alt = image.content or "image"
    text = Token("text", "", 0, content=f"[{alt}]")
    if _scheme(src) in ("http", "https"):
        link_open = Token("link_open", "a", 1, attrs={"href": src, "rel": "noopener noreferrer"})
        return [link_open, text, Token("link_close", "a", -1)]
    return [text]


def _sanitise_inline(children: list[Token]) -> list[Token]:
    result: list[Token] = []
    unlink_next_close = False
    for token in children:
        if token.type == "link_open":
            if _is_safe_link(str(token.attrGet("href") or "")):
                token.attrSet("rel", "noopener noreferrer")
            else:  # keep the words, drop the link: links cannot nest, so the next close is ours
                token.tag, token.attrs, unlink_next_close = "span", {}, True
        elif token.type == "link_close" and unlink_next_close:
            token.tag, unlink_next_close = "span", False
        elif token.type == "image" and not _is_safe_image(str(token.attrGet("src") or "")):
            result.extend(_image_replacement(token))
            continue
        result.append(token)
    return result


# "Check yourself" answers are written as <details><summary>…</summary>…</details> by both
# generators. That one construct is kept (as our own tags, its text still escaped); all other
# raw HTML stays escaped.
_DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", re.DOTALL | re.IGNORECASE)
_OPEN_MARK, _CLOSE_MARK = "\u2063cg-details-open-", "\u2063cg-details-close"
_OPEN_PARAGRAPH = re.compile("<p>" + _OPEN_MARK + r"(\d+)</p>")


def render_markdown_safe(md: str) -> str:
    """Render untrusted markdown to an HTML fragment with no raw HTML and no unsafe URL."""
    summaries: list[str] = []

    def mark(match: re.Match[str]) -> str:
        summaries.append(match[1].strip() or "Answer")
        return f"\n\n{_OPEN_MARK}{len(summaries) - 1}\n\n{match[2].strip()}\n\n{_CLOSE_MARK}\n\n"

    tokens = _md.parse(_DETAILS.sub(mark, xml_safe(md)))
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = _sanitise_inline(token.children)
    rendered = _md.renderer.render(tokens, _md.options, {})
    if summaries:
        rendered = _OPEN_PARAGRAPH.sub(lambda m: f"<details><summary>{html.escape(summaries[int(m[1])])}</summary>", rendered)
        rendered = rendered.replace(f"<p>{_CLOSE_MARK}</p>", "</details>")
    return rendered


def shift_headings(md: str, top_level: int) -> str:
    """Rewrite the headings of `md` so that its highest one sits at `top_level` (capped at 6).

    Lessons are written as stand-alone documents; inside a course they sit below the course,
    module and lesson titles. The token map tells which source lines are headings, so `#`
    lines inside code blocks are left alone; setext headings become ATX headings.
    """
    md = md.replace("\r\n", "\n").replace("\r", "\n")  # as markdown-it does, so its line map fits
    tokens = _md.parse(md)
    headings = [(token, tokens[i + 1]) for i, token in enumerate(tokens) if token.type == "heading_open" and token.map]
    if not headings:
        return md
    shift = top_level - min(int(token.tag[1]) for token, _ in headings)
    lines = md.split("\n")  # not splitlines(): markdown-it counts only \n as a line break
    for token, inline in reversed(headings):
        start, end = token.map  # type: ignore[misc]
        if start >= len(lines) or not lines[start].lstrip().startswith(("#", inline.content[:1] or "\0")):
            continue  # a heading inside a list or quote: its prefix is not ours to rewrite
        level = min(6, max(1, int(token.tag[1]) + shift))
        lines[start:end] = ["#" * level + " " + inline.content.replace("\n", " ")]
    return "\n".join(lines)
