"""Loading files into `Material`: picks the reader by suffix and turns every failure into one
`MaterialError` sentence naming the file (a bad file must never look like a crash)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from coursegen_desktop.core.errors import MaterialError
from coursegen_desktop.core.material.checks import check_material_path, stat_error
from coursegen_desktop.core.material.chunking import chunk_blocks
from coursegen_desktop.core.material.docx_reader import docx_blocks
from coursegen_desktop.core.material.encoding import decode_text
from coursegen_desktop.core.material.markdown_reader import markdown_blocks
from coursegen_desktop.core.material.model import Chunk, Material
from coursegen_desktop.core.material.pdf_reader import pdf_blocks
from coursegen_desktop.core.material.text_reader import plain_blocks


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
            blocks = pdf_blocks(path, name)
        elif suffix == ".docx":
            blocks = docx_blocks(path, name)
        else:
            text = decode_text(path.read_bytes(), name)
            blocks = markdown_blocks(text) if suffix in (".md", ".markdown") else plain_blocks(text)
        chunks = chunk_blocks(name, blocks)
    except MaterialError:
        raise
    except OSError as exc:
        raise stat_error(name, exc) from None
    except RecursionError:
        raise MaterialError(f"{name} is too deeply nested to read; save it again in a simpler form (for example print it to a new PDF).") from None
    except Exception as exc:  # a reader bug or a file it chokes on: never a traceback for the user
        raise MaterialError(f"{name} could not be read ({type(exc).__name__}); save it again or convert it to .txt, then add it again.") from None
    if not any(chunk.text.strip() for chunk in chunks):
        raise MaterialError(f"{name} contains no text to learn from; add a file with study text in it.")
    return chunks
