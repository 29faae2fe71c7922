"""Word .docx into blocks: heading styles, numbered and bulleted lists, tables."""

from __future__ import annotations

import re
from pathlib import Path

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.material.blocks import BULLET, Block


def docx_blocks(path: Path, name: str) -> list[Block]:
    import docx
    from docx.table import Table

    with path.open("rb") as handle:
        if handle.read(4) == b"\xd0\xcf\x11\xe0":
            raise MaterialError(f"{name} is an old Word .doc or a password-protected document; save it as an unprotected .docx and add that.")
    try:
        document = docx.Document(str(path))
        blocks: list[Block] = []
        numbered = 0
        in_list = False
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.append(Block(_docx_table(item)))
                numbered, in_list = 0, False
                continue
            block, numbered = _docx_paragraph(item, numbered)
            if block is None:
                continue
            is_item = not block.is_heading and bool(BULLET.match(block.text))
            if is_item and in_list:
                blocks[-1].text += "\n" + block.text  # one list block, as in the other formats
            else:
                blocks.append(block)
            in_list = is_item
        return blocks
    except Exception:  # BadZipFile, PackageNotFoundError, KeyError, lxml syntax errors …
        raise MaterialError(f"{name} is damaged or not a Word .docx document; open it in Word or LibreOffice, save it as .docx again and add that.") from None


def _docx_paragraph(paragraph: object, numbered: int) -> tuple[Block | None, int]:
    """A paragraph as a heading, a list item ("1. …" / "- …") or body text."""
    text = " ".join(paragraph.text.split())  # type: ignore[attr-defined]
    if not text:
        return None, numbered
    style = _style_name(paragraph)
    heading = re.fullmatch(r"Heading (\d)", style)
    if heading or style == "Title":
        return Block(text, level=int(heading.group(1)) if heading else 0), 0
    if "List Number" in style:
        return Block(f"{numbered + 1}. {text}"), numbered + 1
    ppr = paragraph._p.pPr  # type: ignore[attr-defined]
    if "List" in style or (ppr is not None and ppr.numPr is not None):
        return Block(f"- {text}"), 0
    return Block(text), 0


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
