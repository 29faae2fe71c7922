"""PDF text into blocks: running headers, footers and page numbers dropped, bookmarks used as
the authors' own headings, lines set in a monospace font kept as code."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.material.blocks import Block, normalise_newlines
from coursegen_desktop.core.material.code import is_monospace_font
from coursegen_desktop.core.material.text_reader import plain_blocks
from coursegen_desktop.core.material.words import words


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs repair warnings ("incorrect startxref") that mean nothing to a learner."""
    logger = logging.getLogger("pypdf")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(old)


def pdf_blocks(path: Path, name: str) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    damaged = MaterialError(f"{name} is damaged or not a valid PDF; open it in a PDF viewer and save or print it to a new PDF, then add that.")
    with path.open("rb") as handle:
        if b"%PDF" not in handle.read(1024):
            raise damaged
    with _quiet_pypdf():
        try:
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("password")
            texts = [_page_text(page) for page in reader.pages]
            outline = _pdf_outline(reader)
        except (FileNotDecryptedError, DependencyError):
            raise MaterialError(f"{name} is password-protected; save an unprotected copy (for example print it to a new PDF) and add that.") from None
        except Exception:  # pypdf raises many types for broken files (PdfReadError, KeyError, struct.error …)
            raise damaged from None
    if not texts:
        raise damaged
    pages = [text for text, _ in texts]
    if sum(len(re.findall(r"\w", text)) for text in pages) < 20:
        raise MaterialError(f"{name} has no text layer (it looks like a scanned image); run it through OCR or add a text version.")
    code_lines = [code for _, code in texts]
    mono_chars = sum(len(line.strip()) for text, code in texts for line in text.split("\n") if line.strip() in code)
    if mono_chars > 0.6 * max(1, sum(len(text) for text in pages)):
        code_lines = None  # set wholly in a monospace font (a printed text file): the font tells nothing
    return _pdf_pages_to_blocks(pages, outline, code_lines)


def _page_text(page: object) -> tuple[str, frozenset[str]]:
    """The page's text, and the lines on it set wholly in a monospace font (code)."""
    fragments: list[tuple[str, bool]] = []

    def visit(text: str, cm: object, tm: object, font: object, size: object) -> None:
        if text:
            fragments.append((text, is_monospace_font(str(font.get("/BaseFont", ""))) if isinstance(font, dict) else False))

    try:
        text = page.extract_text(visitor_text=visit) or ""  # type: ignore[attr-defined]
    except Exception:  # one bad page (broken font, odd stream) should not lose the others
        return "", frozenset()
    return text, _monospace_lines(fragments)


def _monospace_lines(fragments: list[tuple[str, bool]]) -> frozenset[str]:
    """Lines whose every visible fragment is monospace, minus any line also seen in another font."""
    mono: set[str] = set()
    other: set[str] = set()
    line, all_mono = "", True
    for text, is_mono in [*fragments, ("\n", True)]:
        for k, piece in enumerate(text.split("\n")):
            if k:  # a line ended
                (mono if all_mono else other).add(line.strip())
                line, all_mono = "", True
            line += piece
            all_mono = all_mono and (is_mono or not piece.strip())
    return frozenset(mono - other - {""})


def _pdf_outline(reader: object) -> list[tuple[int, str, int]]:
    """(level, title, page index) of each bookmark, or [] when the PDF has none or it is broken."""
    entries: list[tuple[int, str, int]] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)  # type: ignore[attr-defined]
                title = " ".join(str(item.title).split())
            except Exception:
                continue
            if title and page is not None and page >= 0:
                entries.append((level, title, page))

    try:
        walk(reader.outline, 1)  # type: ignore[attr-defined]
    except Exception:
        return []
    return entries


_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—(]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
_OUTLINE_DEPTH = 10  # heuristic headings nest below every bookmark level


def _pdf_pages_to_blocks(pages: list[str], outline: list[tuple[int, str, int]], code_lines: list[frozenset[str]] | None = None) -> list[Block]:
    """Drop running headers/footers and page numbers, then find paragraphs, code and headings.

    Bookmarks, when the PDF has them, are the authors' own headings: they win over guesses. Runs
    of monospace lines are fenced, with their indentation, so the text reader keeps them as code.
    """
    page_lines = [[line.rstrip() for line in normalise_newlines(text).split("\n") if line.strip()] for text in pages]
    repeated = _repeated_margins(page_lines)
    bookmarks = _outline_by_page(outline)
    segments: list[tuple[list[str], list[int]]] = [([], [])]
    marks: list[Block] = []
    for number, plines in enumerate(page_lines):
        kept = [line for k, line in enumerate(plines) if not _is_margin(line, k, len(plines), repeated)]
        kept = _fence_code(kept, code_lines[number] if code_lines else frozenset())
        heading_at: dict[int, tuple[int, str]] = {}
        for level, title in bookmarks.get(number, []):
            match = next((k for k, line in enumerate(kept) if k not in heading_at and _same_title(line, title)), None)
            heading_at[match if match is not None else -1 - len(heading_at)] = (level, title)
        for k in sorted((key for key in heading_at if key < 0), reverse=True):  # bookmarks whose title is not on the page
            _start_segment(segments, marks, Block(heading_at[k][1], level=heading_at[k][0], page=number + 1))
        for k, line in enumerate(kept):
            if k in heading_at:
                _start_segment(segments, marks, Block(heading_at[k][1], level=heading_at[k][0], page=number + 1))
            else:
                segments[-1][0].append(line)
                segments[-1][1].append(number + 1)
    blocks: list[Block] = []
    for index, (lines, page_of_line) in enumerate(segments):
        lines, page_of_line = _join_code_across_pages(lines, page_of_line)
        if index:
            blocks.append(marks[index - 1])
        for block in plain_blocks("\n".join(lines), page_of_line=page_of_line, strict=True):
            if block.is_heading and outline:
                block.level = (block.level or 0) + _OUTLINE_DEPTH
            blocks.append(block)
    return blocks


def _fence_code(lines: list[str], code: frozenset[str]) -> list[str]:
    """Prose lines stripped; runs of code lines between ``` fences, indentation kept."""
    out: list[str] = []
    inside = False
    for line in lines:
        is_code = line.strip() in code
        if is_code != inside:
            out.append("```")
            inside = is_code
        out.append(line if is_code else line.strip())
    if inside:
        out.append("```")
    return out


def _join_code_across_pages(lines: list[str], page_of_line: list[int]) -> tuple[list[str], list[int]]:
    """Code that runs on over a page break is one block: drop a closing fence met by an opening one."""
    keep = [True] * len(lines)
    for k in range(len(lines) - 1):
        if lines[k] == lines[k + 1] == "```" and page_of_line[k] != page_of_line[k + 1] and keep[k]:
            keep[k] = keep[k + 1] = False
    return [line for line, kept in zip(lines, keep) if kept], [page for page, kept in zip(page_of_line, keep) if kept]


def _start_segment(segments: list[tuple[list[str], list[int]]], marks: list[Block], heading: Block) -> None:
    marks.append(heading)
    segments.append(([], []))


def _outline_by_page(outline: list[tuple[int, str, int]]) -> dict[int, list[tuple[int, str]]]:
    result: dict[int, list[tuple[int, str]]] = {}
    for level, title, page in outline:
        result.setdefault(page, []).append((level, title))
    return result


def _same_title(line: str, title: str) -> bool:
    a, b = " ".join(words(line)), " ".join(words(title))
    return bool(b) and (a == b or (a.endswith(b) and len(a) - len(b) <= 8))


def _margin_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().casefold())


def _repeated_margins(page_lines: list[list[str]]) -> set[str]:
    """Lines (digits ignored) that recur at the top or bottom of at least half the pages."""
    if len(page_lines) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        counts.update({_margin_key(line) for line in lines[:2] + lines[-2:]})
    needed = max(3, len(page_lines) // 2)
    return {key for key, count in counts.items() if count >= needed}


def _is_margin(line: str, index: int, count: int, repeated: set[str]) -> bool:
    at_edge = index < 2 or index >= count - 2
    return at_edge and (_margin_key(line) in repeated or bool(_PAGE_NUMBER.match(line.strip())))
