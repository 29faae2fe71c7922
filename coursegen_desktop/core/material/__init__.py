"""Reading study material (.txt .md .pdf .docx) into chunks with their source headings.

Every problem a user can meet with a file becomes one `MaterialError` sentence that names the
file: a bad file must never look like a crash. Chunks keep the heading path of their section so
the offline generator can plan modules and lessons from the material's own structure, and the
Claude generator can cite "file, §heading, p. N".

This package keeps one job per module; everything callers use is re-exported here.
"""

from __future__ import annotations

from coursegen_desktop.core.material.checks import (
    MAX_BYTES,
    SUPPORTED_SUFFIXES,
    check_material_path,
)
from coursegen_desktop.core.material.chunking import CHUNK_MAX, CHUNK_TARGET
from coursegen_desktop.core.material.loader import load_material
from coursegen_desktop.core.material.model import Chunk, Material
from coursegen_desktop.core.material.sentences import split_sentences
from coursegen_desktop.core.material.words import (
    STOPWORDS,
    content_words,
    light_stem,
    words,
)

__all__ = [
    "CHUNK_MAX",
    "CHUNK_TARGET",
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
