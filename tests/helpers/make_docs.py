"""Build study-material files at test time: text PDFs (a tiny hand-made writer), encrypted and
scanned-looking PDFs, and Word documents.

pypdf cannot lay out text, so `write_pdf` emits a minimal valid PDF itself: one Helvetica font,
one text object per page, optional bookmarks. Text must be Latin-1.
"""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _page_stream(lines: list[str]) -> bytes:
    body = [b"BT /F1 11 Tf 14 TL 72 760 Td"]
    for line in lines:
        body.append(b"(" + _escape(line) + b") Tj T*")
    body.append(b"ET")
    return b"\n".join(body)


def pdf_bytes(pages: list[list[str]], bookmarks: list[tuple[str, int]] | None = None) -> bytes:
    """A PDF with one page per list of lines; `bookmarks` are (title, page index) outline entries."""
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the outline exists
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for lines in pages:
        stream = _page_stream(lines) if lines else b""
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (pages_id, font, content)))
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    outline_ref = b""
    if bookmarks:
        root = add(b"")
        first = len(objects) + 1
        items = list(range(first, first + len(bookmarks)))
        for k, (title, page) in enumerate(bookmarks):
            links = b""
            if k > 0:
                links += b" /Prev %d 0 R" % items[k - 1]
            if k + 1 < len(items):
                links += b" /Next %d 0 R" % items[k + 1]
            add(b"<< /Title (" + _escape(title) + b") /Parent %d 0 R /Dest [%d 0 R /XYZ 0 792 0]" % (root, page_ids[page]) + links + b" >>")
        objects[root - 1] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (items[0], items[-1], len(items))
        outline_ref = b" /Outlines %d 0 R /PageMode /UseOutlines" % root
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R" % pages_id + outline_ref + b" >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def write_pdf(path: Path, pages: list[list[str]], bookmarks: list[tuple[str, int]] | None = None) -> Path:
    path.write_bytes(pdf_bytes(pages, bookmarks))
    return path


def write_encrypted_pdf(path: Path, pages: list[list[str]], password: str = "secret") -> Path:
    """A copy of a text PDF that needs `password` to open (pypdf's own encryption)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages))))
    writer.encrypt(password, algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_docx(path: Path, blocks: list[tuple[str, str]], table: list[list[str]] | None = None) -> Path:
    """A Word file from (kind, text) blocks: kind is "h1".."h3", "p", "number" or "bullet"."""
    import docx

    document = docx.Document()
    for kind, text in blocks:
        if kind.startswith("h"):
            document.add_heading(text, level=int(kind[1:]))
        elif kind == "number":
            document.add_paragraph(text, style="List Number")
        elif kind == "bullet":
            document.add_paragraph(text, style="List Bullet")
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


_ROOTS = "hydro geo litho bio chemo thermo photo aero cryo magneto electro seismo limno pedo dendro petro".split()
_ENDS = "lysis sphere cline morph genesis tropy phile stasis meter graph plasm cyte zone gen lith".split()
_ADJECTIVES = "dense porous stable layered acidic saline fertile coarse humid ancient shallow mobile".split()
_VERBS = "controls shapes releases stores transports absorbs reflects erodes deposits regulates".split()


def long_text(pages: int, *, headings: bool = True) -> str:
    """About `pages` pages (~3,000 characters each) of varied study text with chapters,
    numbered sections, definitions and step lists, built from a few hundred made-up terms."""
    import random

    rng = random.Random(pages * 7919 + headings)
    terms = sorted({r + e for r in _ROOTS for e in _ENDS})
    rng.shuffle(terms)
    chapters = max(3, pages // 10)
    parts: list[str] = []
    size = 0
    chapter = 0
    while size < pages * 3000:
        chapter += 1
        pool = terms[(chapter * 12) % len(terms) :][:24] or terms[:24]
        if headings:
            parts.append(f"CHAPTER {chapter}: {pool[0].upper()} AND {pool[1].upper()}\n")
        for section in range(1, 4):
            if headings:
                parts.append(f"{chapter}.{section} The {pool[section + 1]} in practice\n")
            for _ in range(3):
                paragraph = [_sentence(rng, pool) for _ in range(rng.randint(5, 8))]
                parts.append(" ".join(paragraph) + "\n")
            if section == 2:
                steps = rng.sample(pool, 4)
                parts.append("\n".join(f"{k}. The {a} {rng.choice(_VERBS)} the {rng.choice(pool)}." for k, a in enumerate(steps, start=1)) + "\n")
        size = sum(len(part) for part in parts)
        if chapter > chapters * 20:
            break
    return "\n".join(parts)


def _sentence(rng, pool: list[str]) -> str:
    a, b, c = rng.sample(pool, 3)
    adjective, verb = rng.choice(_ADJECTIVES), rng.choice(_VERBS)
    return rng.choice(
        [
            f"{a.capitalize()} is the {adjective} layer that {verb} the {b} in the {c}.",
            f"The {a} {verb} the {b}, because the {c} is {adjective} in most regions.",
            f"A {adjective} {a} is called a {b} when it {verb} the {c} for many years.",
            f"Field studies show that the {a} {verb} the {b} faster where the {c} is {adjective}.",
            f"Students compare the {a} with the {b} to explain why the {c} looks {adjective}.",
            f"In {rng.randint(1900, 2020)}, researchers measured the {a} and found about {rng.randint(2, 95)} percent of the {b} near the {c}.",
        ]
    )
