"""Word .docx into blocks: heading styles, numbered and bulleted lists, tables, and code:
paragraphs in a code style or wholly in a monospace font (one block per run of them, line
breaks and indentation kept), monospace runs inside prose as `inline code`."""

from __future__ import annotations

import re
from pathlib import Path

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.material.blocks import BULLET, Block
from coursegen_desktop.core.material.code import SESSION_LANG, is_monospace_font, is_prompt, tidy_code


def docx_blocks(path: Path, name: str) -> list[Block]:
    import docx
    from docx.table import Table

    with path.open("rb") as handle:
        if handle.read(4) == b"\xd0\xcf\x11\xe0":
            raise MaterialError(f"{name} is an old Word .doc or a password-protected document; save it as an unprotected .docx and add that.")
    try:
        document = docx.Document(str(path))
        paragraphs = [p for p in document.paragraphs if p.text.strip()]
        mono_chars = sum(len(p.text) for p in paragraphs if _is_code_paragraph(p))
        fonts_tell = mono_chars <= 0.6 * max(1, sum(len(p.text) for p in paragraphs))  # not one font throughout
        blocks: list[Block] = []
        numbered = 0
        in_list = False
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.append(Block(_docx_table(item)))
                numbered, in_list = 0, False
                continue
            if _is_code_paragraph(item, fonts=fonts_tell):
                line = item.text.replace("\t", "    ").rstrip()  # type: ignore[attr-defined]
                if blocks and blocks[-1].code:
                    blocks[-1].text += "\n" + line
                else:
                    blocks.append(Block(line, code=True))
                numbered, in_list = 0, False
                continue
            block, numbered = _docx_paragraph(item, numbered, fonts=fonts_tell)
            if block is None:
                if blocks and blocks[-1].code:
                    blocks[-1].text += "\n"  # a blank line inside code (trimmed at the end)
                continue
            is_item = not block.is_heading and bool(BULLET.match(block.text))
            if is_item and in_list:
                blocks[-1].text += "\n" + block.text  # one list block, as in the other formats
            else:
                blocks.append(block)
            in_list = is_item
        for block in blocks:
            if block.code:
                block.text = tidy_code(block.text)
                block.lang = SESSION_LANG if is_prompt(block.text) else ""
        return blocks
    except Exception:  # BadZipFile, PackageNotFoundError, KeyError, lxml syntax errors …
        raise MaterialError(f"{name} is damaged or not a Word .docx document; open it in Word or LibreOffice, save it as .docx again and add that.") from None


_CODE_STYLE = re.compile(r"code|preformatted|source|verbatim|macro|listing|console|plain text", re.I)


def _is_code_paragraph(paragraph: object, *, fonts: bool = True) -> bool:
    """A code style, every visible run in a monospace font (when `fonts`: not in a document
    written wholly in one), or a `>>>` prompt line."""
    text = paragraph.text  # type: ignore[attr-defined]
    style = _style_name(paragraph)
    if re.fullmatch(r"Heading \d|Title", style):
        return False
    if _CODE_STYLE.search(style) or is_prompt(text):
        return bool(text.strip()) or bool(_CODE_STYLE.search(style))
    runs = [run for run in paragraph.runs if run.text.strip()]  # type: ignore[attr-defined]
    return fonts and bool(runs) and all(_run_is_monospace(run, paragraph) for run in runs)


def _run_is_monospace(run: object, paragraph: object) -> bool:
    try:
        name = run.font.name or (run.style.font.name if run.style is not None else None) or paragraph.style.font.name  # type: ignore[attr-defined]
    except Exception:
        return False
    return is_monospace_font(name)


def _paragraph_text(paragraph: object, fonts: bool) -> str:
    """The paragraph's words, monospace runs inside prose as `inline code` (when `fonts`)."""
    if not fonts:
        return paragraph.text  # type: ignore[attr-defined]
    try:
        runs = list(paragraph.runs)  # type: ignore[attr-defined]
    except Exception:
        runs = []
    if not runs or "".join(run.text for run in runs).strip() != paragraph.text.strip():  # type: ignore[attr-defined]
        return paragraph.text  # type: ignore[attr-defined]  # hyperlinks, fields: keep it plain
    out: list[str] = []
    code = ""
    for run in runs:
        if run.text.strip() and _run_is_monospace(run, paragraph):
            code += run.text
            continue
        if code:
            out.append(f"`{code.strip()}`" if "`" not in code else code)
            code = ""
        out.append(run.text)
    if code:
        out.append(f"`{code.strip()}`" if "`" not in code else code)
    return "".join(out)


def _docx_paragraph(paragraph: object, numbered: int, *, fonts: bool = True) -> tuple[Block | None, int]:
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
    body = " ".join(_paragraph_text(paragraph, fonts).split())
    if "List" in style or (ppr is not None and ppr.numPr is not None):
        return Block(f"- {body}"), 0
    return Block(body), 0


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
