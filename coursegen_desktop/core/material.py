"""Reading study material (.txt .md .pdf .docx) into chunks with their source headings.

Every problem a user can meet with a file becomes one `MaterialError` sentence that names the
file: a bad file must never look like a crash. Chunks keep the heading path of their section so
the offline generator can plan modules and lessons from the material's own structure, and the
Claude generator can cite "file, §heading, p. N".
"""

from __future__ import annotations

import codecs
import errno
import logging
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from coursegen_desktop.core.errors import MaterialError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx")
MAX_BYTES = 50 * 1024 * 1024
CHUNK_TARGET = 2000  # flush a chunk once it is this long ...
CHUNK_MAX = 3000  # ... and never let one grow past this
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Chunk:
    source: str  # the file's name as the user knows it
    heading: str  # nearest section heading, "" when the text has none
    text: str
    page: int | None = None
    # The enclosing headings, outermost first (ends with `heading`): lets a planner group
    # sections into modules even when a parent heading has no text of its own.
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Material:
    chunks: tuple[Chunk, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.chunks

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(chunk.source for chunk in self.chunks))

    @property
    def char_count(self) -> int:
        return sum(len(chunk.text) for chunk in self.chunks)

    def select(self, query: str, max_chars: int) -> list[Chunk]:
        """The chunks most relevant to `query` (BM25) that fit in `max_chars`, in source order.

        Used when the material is larger than a model's context: ranking is deterministic, and
        keeping source order lets the reader follow the original flow.
        """
        if max_chars <= 0 or not self.chunks:
            return []
        if self.char_count <= max_chars:
            return list(self.chunks)
        scores = self._bm25.scores(content_words(query))
        order = sorted(range(len(self.chunks)), key=lambda i: (-scores[i], i))
        chosen: list[int] = []
        used = 0
        for i in order:
            size = len(self.chunks[i].text)
            if used + size <= max_chars:
                chosen.append(i)
                used += size
        return [self.chunks[i] for i in sorted(chosen)]

    @cached_property
    def _bm25(self) -> _BM25:
        return _BM25([content_words(f"{chunk.heading} {chunk.text}") for chunk in self.chunks])


# ---------------------------------------------------------------------------------------------
# Words: shared by select(), the offline generator and the review checks

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


class _BM25:
    """Okapi BM25 over tokenised documents (k1=1.5, b=0.75)."""

    def __init__(self, docs: list[list[str]]) -> None:
        self.tf = [Counter(doc) for doc in docs]
        self.lengths = [len(doc) for doc in docs]
        self.avg = (sum(self.lengths) / len(docs)) if docs else 0.0
        df = Counter(term for counts in self.tf for term in counts)
        n = len(docs)
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def scores(self, query: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
        terms = list(dict.fromkeys(query))
        result = []
        for counts, length in zip(self.tf, self.lengths):
            norm = k1 * (1 - b + b * length / self.avg) if self.avg else k1
            result.append(sum(self.idf[t] * counts[t] * (k1 + 1) / (counts[t] + norm) for t in terms if t in counts))
        return result


# ---------------------------------------------------------------------------------------------
# Cheap checks


def check_material_path(path: Path) -> Path:
    """Cheap checks before a file is accepted; raises one `MaterialError` sentence naming it."""
    path = Path(path).expanduser()
    name = path.name or str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _stat_error(name, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise MaterialError(f"{name} is a folder, not a file; choose the files inside it instead.")
    if not stat.S_ISREG(info.st_mode):
        raise MaterialError(f"{name} is not a regular file; choose a {_supported_list()} file.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise MaterialError(f"{name} is not a supported kind of file; add a {_supported_list()} file instead.")
    if info.st_size == 0:
        raise MaterialError(f"{name} is empty (0 bytes); choose a file that contains your study material.")
    if info.st_size > MAX_BYTES:
        raise MaterialError(f"{name} is too large ({info.st_size / 1024 / 1024:.0f} MB); split it into files under {MAX_BYTES // 1024 // 1024} MB.")
    head = _read_head(path, name)
    if path.suffix.lower() in _TEXT_SUFFIXES and not _looks_like_text(head):
        raise MaterialError(f"{name} contains binary data, not text; save it as plain text (UTF-8) or add the original PDF or Word file.")
    return path


_TEXT_SUFFIXES = (".txt", ".md", ".markdown")


def _supported_list() -> str:
    names = [suffix for suffix in SUPPORTED_SUFFIXES if suffix != ".markdown"]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _stat_error(name: str, exc: OSError) -> MaterialError:
    if exc.errno == errno.ELOOP:
        return MaterialError(f"{name} is a link that points back to itself; choose the real file instead.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return MaterialError(f"{name} cannot be read because you do not have permission to open it; check its permissions.")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return MaterialError(f"{name} does not exist; check the path or choose the file again.")
    return MaterialError(f"{name} cannot be opened ({exc.strerror or exc}); check the file and try again.")


def _read_head(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise _stat_error(name, exc) from None


def _looks_like_text(head: bytes) -> bool:
    if _bom_encoding(head) or _utf16_without_bom(head):
        return True
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return _control_ratio(head.decode("cp1252", errors="replace")) < 0.01


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text with no BOM has a NUL in nearly every other byte; binary files do not."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) <= 0x9F or ch == "\ufffd")
    return bad / len(text)


def _decode_text(data: bytes, name: str) -> str:
    """Decode a text file: BOMs first, then UTF-8, then Windows-1252, then Latin-1."""
    encoding = _bom_encoding(data) or _utf16_without_bom(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise MaterialError(f"{name} is damaged text (its {encoding.upper()} encoding is broken); save it again as UTF-8.") from None
    if b"\x00" in data:
        raise MaterialError(f"{name} contains binary data, not text; save it as plain text (UTF-8) or add the original PDF or Word file.")
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _control_ratio(text) < 0.01:
            return text
    raise MaterialError(f"{name} contains binary data, not text; save it as plain text (UTF-8) or add the original PDF or Word file.")


# ---------------------------------------------------------------------------------------------
# Loading


def load_material(paths: Sequence[Path]) -> Material:
    """Read every file into chunks; any problem becomes one `MaterialError` naming the file."""
    chunks: list[Chunk] = []
    seen: set[Path] = set()
    for raw in paths:
        path = check_material_path(Path(raw))
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        chunks.extend(_load_one(path))
    return Material(tuple(chunks))


def _load_one(path: Path) -> list[Chunk]:
    name = path.name
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            blocks = _pdf_blocks(path, name)
        elif suffix == ".docx":
            blocks = _docx_blocks(path, name)
        else:
            text = _decode_text(path.read_bytes(), name)
            blocks = _markdown_blocks(text) if suffix in (".md", ".markdown") else _plain_blocks(text)
        chunks = _chunk_blocks(name, blocks)
    except MaterialError:
        raise
    except OSError as exc:
        raise _stat_error(name, exc) from None
    except RecursionError:
        raise MaterialError(f"{name} is too deeply nested to read; save it again in a simpler form (for example print it to a new PDF).") from None
    except Exception as exc:  # a reader bug or a file it chokes on: never a traceback for the user
        raise MaterialError(f"{name} could not be read ({type(exc).__name__}); save it again or convert it to .txt, then add it again.") from None
    if not any(chunk.text.strip() for chunk in chunks):
        raise MaterialError(f"{name} contains no text to learn from; add a file with study text in it.")
    return chunks


@dataclass
class _Block:
    """A heading or a paragraph (a list or table keeps one item/row per line)."""

    text: str
    level: int | None = None  # heading level (0 = document title); None for body text
    page: int | None = None

    @property
    def is_heading(self) -> bool:
        return self.level is not None


def _chunk_blocks(source: str, blocks: Iterable[_Block]) -> list[Chunk]:
    """Group body blocks under their nearest heading into ~2-3k character chunks."""
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    parts: list[str] = []
    state = {"size": 0, "page": None}

    def flush() -> None:
        if parts:
            path = tuple(title for _, title in stack)
            chunks.append(Chunk(source=source, heading=path[-1] if path else "", text="\n\n".join(parts), page=state["page"], path=path))
        parts.clear()
        state["size"] = 0

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.is_heading:
            flush()
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, text))
            continue
        for piece in _split_long(text):
            if parts and state["size"] + len(piece) > CHUNK_MAX:
                flush()
            if not parts:
                state["page"] = block.page
            parts.append(piece)
            state["size"] += len(piece) + 2
            if state["size"] >= CHUNK_TARGET:
                flush()
    flush()
    return chunks


def _split_long(text: str) -> list[str]:
    """Split a block longer than CHUNK_MAX at line, then sentence, then word boundaries."""
    if len(text) <= CHUNK_MAX:
        return [text]
    units = text.split("\n") if "\n" in text else split_sentences(text)
    if len(units) == 1:
        units = text.split(" ")
    pieces: list[str] = []
    current = ""
    joiner = "\n" if "\n" in text else " "
    for unit in units:
        while len(unit) > CHUNK_MAX:  # a single giant "word": hard cut
            pieces.append(unit[:CHUNK_MAX])
            unit = unit[CHUNK_MAX:]
        if current and len(current) + len(unit) + 1 > CHUNK_MAX:
            pieces.append(current)
            current = ""
        current = f"{current}{joiner}{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


_ABBREVIATIONS = frozenset("e.g i.e etc vs dr mr mrs ms prof fig figs no nos st approx ca cf al eq eqs sec ch vol pp p jr sr inc ltd co dept".split())
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, not breaking after abbreviations or initials."""
    sentences = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[start : match.start()].rsplit(None, 1)
        last = before[-1] if before else ""
        bare = last.lower().strip("(\"'“‘")
        if text[match.start()] == "." and (bare in _ABBREVIATIONS or _initial(bare, before) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare)):
            continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _initial(bare: str, before: list[str]) -> bool:
    """'J.' in 'J. Smith' is an initial; 'I.' in 'photosystem I.' ends a sentence."""
    if not re.fullmatch(r"[A-Za-z]", bare) or bare == "I":
        return False
    previous = before[0].rsplit(None, 1)[-1].strip(",;") if len(before) > 1 and before[0].strip() else ""
    return not previous[:1].islower() or previous in ("by", "and", "of", "to", "with", "from", "said")


# ---------------------------------------------------------------------------------------------
# Plain text and Markdown

_BULLET = re.compile(r"^\s*(?:[-*+•·▪‣◦]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+(?=\S)")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$")
_CHAPTER = re.compile(r"^(?:chapter|part|section|unit|module|appendix|lesson)\s+(?:\d+|[ivxlc]+|[a-z])\b[.:]?\s*", re.I)
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or the to with vs via".split())


def _title_like(line: str, *, strict: bool = False) -> bool:
    """A short line that reads like a heading: capitalised, few words, no sentence punctuation."""
    s = line.strip()
    tokens = s.split()
    if not tokens or len(tokens) > (8 if strict else 12) or len(s) > 90:
        return False
    if s[-1] in ".,;:" or not (s[0].isupper() or s[0].isdigit()) or ". " in s:
        return False
    if sum(ch.isalpha() for ch in s) < 0.6 * len(s.replace(" ", "")):
        return False
    significant = [t for t in tokens if t.lower() not in _SMALL_WORDS and t[:1].isalpha()]
    capitalised = sum(1 for t in significant if t[0].isupper())
    if strict:
        return bool(significant) and capitalised >= 0.6 * len(significant)
    return len(tokens) <= 6 or capitalised >= 0.6 * max(1, len(significant))


def _all_caps(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters) and len(line.split()) <= 12 and not line.rstrip().endswith((".", ","))


def _heading_style(line: str, *, isolated: bool, strict: bool = False) -> str | None:
    """Which kind of heading a plain-text line is ('caps', 'num2', 'title', …) or None."""
    s = line.strip()
    if not s or len(s) > 100 or _BULLET.match(s) and not _NUMBERED_HEADING.match(s):
        return None
    numbered = _NUMBERED_HEADING.match(s)
    if numbered and _title_like(numbered.group(2), strict=strict):
        depth = numbered.group(1).count(".") + 1
        if depth > 1 or isolated:
            return f"num{depth}"
    if _CHAPTER.match(s) and len(s.split()) <= 12 and not s.endswith("."):
        return "chapter"
    if _all_caps(s) and (isolated or not strict):
        return "caps"
    if isolated and _title_like(s, strict=strict) and not numbered:
        return "title"
    return None


class _Levels:
    """Heading levels by first appearance of each style, as reStructuredText does: plain text
    has no markup for levels, but a document uses its heading styles consistently."""

    def __init__(self) -> None:
        self.order: list[str] = []

    def level(self, style: str) -> int:
        if style not in self.order:
            self.order.append(style)
        return self.order.index(style) + 1


def _plain_blocks(text: str, *, page_of_line: list[int] | None = None, strict: bool = False) -> list[_Block]:
    """Paragraphs, lists and heuristic headings of plain text (also used for PDF pages)."""
    lines = _normalise_newlines(text).split("\n")
    levels = _Levels()
    blocks: list[_Block] = []
    para: list[str] = []
    para_page: list[int | None] = [None]
    typical = _typical_length(lines)

    def page(i: int) -> int | None:
        return page_of_line[i] if page_of_line else None

    def flush() -> None:
        if para:
            blocks.append(_Block(_join_lines(para, text), page=para_page[0]))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
        prev_blank = i == 0 or not lines[i - 1].strip()
        if not line.strip():
            flush()
            i += 1
            continue
        setext = _SETEXT.match(nxt)
        if setext and prev_blank and not _BULLET.match(line) and len(line.strip()) <= 100:
            flush()
            style = "setext=" if setext.group(1)[0] == "=" else "setext-"
            blocks.append(_Block(line.strip(), level=levels.level(style), page=page(i)))
            i += 2
            continue
        if _SETEXT.match(line):  # a rule line on its own: a separator, not text
            flush()
            i += 1
            continue
        isolated = prev_blank and not nxt.strip()
        after_heading = bool(blocks) and blocks[-1].is_heading and not para
        at_start = prev_blank or (strict and (_ends_sentence(lines[i - 1]) or after_heading))
        style = _heading_style(line, isolated=isolated or (strict and at_start and _starts_upper(nxt)), strict=strict) if at_start else None
        if style:
            flush()
            blocks.append(_Block(_clean_heading(line), level=levels.level(style), page=page(i)))
            i += 1
            continue
        if _BULLET.match(line):
            flush()
            items, i = _collect_list(lines, i)
            blocks.append(_Block("\n".join(items), page=page(i - 1)))
            continue
        if not para:
            para_page[0] = page(i)
        para.append(line.strip())
        if strict and _ends_sentence(line) and len(line.strip()) < 0.8 * typical:
            flush()  # PDF text has no blank lines: a short line that ends a sentence ends its paragraph
        i += 1
    flush()
    return blocks


def _collect_list(lines: list[str], i: int) -> tuple[list[str], int]:
    """Consecutive list items (with indented continuation lines) starting at line i."""
    items: list[str] = []
    while i < len(lines) and lines[i].strip():
        line = lines[i].rstrip()
        marker = _BULLET.match(line)
        if marker:
            bullet = marker.group(0).strip()
            prefix = bullet if bullet[:1].isdigit() or bullet[:1] == "(" or (len(bullet) == 2 and bullet[0].isalpha()) else "-"
            items.append(f"{prefix} {line[marker.end():].strip()}")
        elif items and (line.startswith((" ", "\t")) or not _ends_sentence(items[-1])):
            items[-1] = _join_lines([items[-1], line.strip()], "")
        else:
            break
        i += 1
    return items, i


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\u00ad", "")


def _ends_sentence(line: str) -> bool:
    return bool(re.search(r"[.!?:][\"'”’)\]]*\s*$", line))


def _starts_upper(line: str) -> bool:
    s = line.strip()
    return bool(s) and (s[0].isupper() or s[0].isdigit() or bool(_BULLET.match(s)))


def _typical_length(lines: list[str]) -> int:
    lengths = sorted(len(x.strip()) for x in lines if len(x.strip()) > 20)
    return lengths[len(lengths) * 3 // 4] if lengths else 80


_HYPHEN_BREAK = re.compile(r"(\w+)-$")


def _join_lines(lines: list[str], context: str) -> str:
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


def _clean_heading(line: str) -> str:
    return " ".join(line.strip().strip("#").split())


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _markdown_blocks(text: str) -> list[_Block]:
    """ATX and setext headings, paragraphs, lists, tables and code of a Markdown file."""
    text = _normalise_newlines(text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if 0 < end < 5000:
            text = text[end + 5 :]
    lines = text.split("\n")
    blocks: list[_Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(_Block(_inline_markdown(_join_lines(para, text))))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = re.sub(r"^\s{0,3}>\s?", "", line)
        nxt = lines[i + 1].rstrip() if i + 1 < len(lines) else ""
        if _FENCE.match(line):
            flush()
            code, i = _collect_fence(lines, i)
            if code.strip():
                blocks.append(_Block(code))
            continue
        atx = _ATX.match(stripped)
        if atx:
            flush()
            blocks.append(_Block(_inline_markdown(atx.group(2)), level=len(atx.group(1))))
        elif not stripped.strip():
            flush()
        elif para == [] and _SETEXT.match(nxt) and not _BULLET.match(stripped) and not _SETEXT.match(stripped):
            blocks.append(_Block(_inline_markdown(stripped.strip()), level=1 if nxt.strip()[0] == "=" else 2))
            i += 1
        elif _SETEXT.match(stripped) or re.fullmatch(r"\s*([*_])(\s*\1){2,}\s*", stripped):
            flush()  # thematic break
        elif stripped.lstrip().startswith("|"):
            flush()
            rows, i = _collect_table(lines, i)
            blocks.append(_Block("\n".join(rows)))
            continue
        elif _BULLET.match(stripped):
            flush()
            items, i = _collect_list(lines, i)
            blocks.append(_Block("\n".join(_inline_markdown(item) for item in items)))
            continue
        else:
            para.append(stripped.strip())
        i += 1
    flush()
    return blocks


def _collect_fence(lines: list[str], i: int) -> tuple[str, int]:
    fence = _FENCE.match(lines[i]).group(1)
    body: list[str] = []
    i += 1
    while i < len(lines) and not lines[i].strip().startswith(fence):
        body.append(lines[i].rstrip())
        i += 1
    return "\n".join(body), i + 1


def _collect_table(lines: list[str], i: int) -> tuple[list[str], int]:
    rows: list[str] = []
    while i < len(lines) and lines[i].strip().startswith("|"):
        if not _TABLE_RULE.match(lines[i]):
            cells = [_inline_markdown(cell.strip()) for cell in lines[i].strip().strip("|").split("|")]
            rows.append(" | ".join(cell for cell in cells if cell))
        i += 1
    return [row for row in rows if row], i


_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!])"), r"\1"),
)


def _inline_markdown(text: str) -> str:
    """Strip inline Markdown (links, emphasis, code, HTML) down to the words a reader sees."""
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


# ---------------------------------------------------------------------------------------------
# PDF


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


def _pdf_blocks(path: Path, name: str) -> list[_Block]:
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
            pages = [_page_text(page) for page in reader.pages]
            outline = _pdf_outline(reader)
        except (FileNotDecryptedError, DependencyError):
            raise MaterialError(f"{name} is password-protected; save an unprotected copy (for example print it to a new PDF) and add that.") from None
        except Exception:  # pypdf raises many types for broken files (PdfReadError, KeyError, struct.error …)
            raise damaged from None
    if not pages:
        raise damaged
    if sum(len(re.findall(r"\w", text)) for text in pages) < 20:
        raise MaterialError(f"{name} has no text layer (it looks like a scanned image); run it through OCR or add a text version.")
    return _pdf_pages_to_blocks(pages, outline)


def _page_text(page: object) -> str:
    try:
        return page.extract_text() or ""  # type: ignore[attr-defined]
    except Exception:  # one bad page (broken font, odd stream) should not lose the others
        return ""


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


def _pdf_pages_to_blocks(pages: list[str], outline: list[tuple[int, str, int]]) -> list[_Block]:
    """Drop running headers/footers and page numbers, then find paragraphs and headings.

    Bookmarks, when the PDF has them, are the authors' own headings: they win over guesses.
    """
    page_lines = [[line.strip() for line in _normalise_newlines(text).split("\n") if line.strip()] for text in pages]
    repeated = _repeated_margins(page_lines)
    bookmarks = _outline_by_page(outline)
    segments: list[tuple[list[str], list[int]]] = [([], [])]
    marks: list[_Block] = []
    for number, plines in enumerate(page_lines):
        kept = [line for k, line in enumerate(plines) if not _is_margin(line, k, len(plines), repeated)]
        heading_at: dict[int, tuple[int, str]] = {}
        for level, title in bookmarks.get(number, []):
            match = next((k for k, line in enumerate(kept) if k not in heading_at and _same_title(line, title)), None)
            heading_at[match if match is not None else -1 - len(heading_at)] = (level, title)
        for k in sorted((key for key in heading_at if key < 0), reverse=True):  # bookmarks whose title is not on the page
            _start_segment(segments, marks, _Block(heading_at[k][1], level=heading_at[k][0], page=number + 1))
        for k, line in enumerate(kept):
            if k in heading_at:
                _start_segment(segments, marks, _Block(heading_at[k][1], level=heading_at[k][0], page=number + 1))
            else:
                segments[-1][0].append(line)
                segments[-1][1].append(number + 1)
    blocks: list[_Block] = []
    for index, (lines, page_of_line) in enumerate(segments):
        if index:
            blocks.append(marks[index - 1])
        for block in _plain_blocks("\n".join(lines), page_of_line=page_of_line, strict=True):
            if block.is_heading and outline:
                block.level = (block.level or 0) + _OUTLINE_DEPTH
            blocks.append(block)
    return blocks


def _start_segment(segments: list[tuple[list[str], list[int]]], marks: list[_Block], heading: _Block) -> None:
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
    return re.sub(r"\d+", "#", line.casefold())


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
    return at_edge and (_margin_key(line) in repeated or bool(_PAGE_NUMBER.match(line)))


# ---------------------------------------------------------------------------------------------
# Word .docx


def _docx_blocks(path: Path, name: str) -> list[_Block]:
    import docx
    from docx.table import Table

    with path.open("rb") as handle:
        if handle.read(4) == b"\xd0\xcf\x11\xe0":
            raise MaterialError(f"{name} is an old Word .doc or a password-protected document; save it as an unprotected .docx and add that.")
    try:
        document = docx.Document(str(path))
        blocks: list[_Block] = []
        numbered = 0
        in_list = False
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.append(_Block(_docx_table(item)))
                numbered, in_list = 0, False
                continue
            block, numbered = _docx_paragraph(item, numbered)
            if block is None:
                continue
            is_item = not block.is_heading and bool(_BULLET.match(block.text))
            if is_item and in_list:
                blocks[-1].text += "\n" + block.text  # one list block, as in the other formats
            else:
                blocks.append(block)
            in_list = is_item
        return blocks
    except Exception:  # BadZipFile, PackageNotFoundError, KeyError, lxml syntax errors …
        raise MaterialError(f"{name} is damaged or not a Word .docx document; open it in Word or LibreOffice, save it as .docx again and add that.") from None


def _docx_paragraph(paragraph: object, numbered: int) -> tuple[_Block | None, int]:
    """A paragraph as a heading, a list item ("1. …" / "- …") or body text."""
    text = " ".join(paragraph.text.split())  # type: ignore[attr-defined]
    if not text:
        return None, numbered
    style = _style_name(paragraph)
    heading = re.fullmatch(r"Heading (\d)", style)
    if heading or style == "Title":
        return _Block(text, level=int(heading.group(1)) if heading else 0), 0
    if "List Number" in style:
        return _Block(f"{numbered + 1}. {text}"), numbered + 1
    ppr = paragraph._p.pPr  # type: ignore[attr-defined]
    if "List" in style or (ppr is not None and ppr.numPr is not None):
        return _Block(f"- {text}"), 0
    return _Block(text), 0


def _style_name(paragraph: object) -> str:
    try:
        return paragraph.style.name or ""  # type: ignore[attr-defined]
    except Exception:  # a style id missing from styles.xml: treat as body text
        return ""


def _docx_table(table: object) -> str:
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


__all__ = [
    "CHUNK_MAX",
    "MAX_BYTES",
    "STOPWORDS",
    "SUPPORTED_SUFFIXES",
    "Chunk",
    "Material",
    "check_material_path",
    "content_words",
    "light_stem",
    "load_material",
    "split_sentences",
    "words",
]
