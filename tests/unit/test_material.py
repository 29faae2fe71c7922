"""Reading study material: what a user sees when they add .txt, .md, .pdf and .docx files."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from coursegen_desktop.core.errors import ErrorKind, MaterialError
from coursegen_desktop.core.material import CHUNK_MAX, MAX_BYTES, Chunk, Material, check_material_path, load_material, split_sentences
from tests.helpers.make_docs import write_docx, write_encrypted_pdf, write_pdf

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"

PDF_PAGES = [
    ["Cell Biology Notes", "1 Cell Structure", "The nucleus is the control centre of the cell and holds the genetic material of the organism.", "Mitochondria are the organelles that release energy from glucose by res-", "piration, which happens in every living cell.", "The cell membrane controls what enters and leaves the cell.", "1"],
    ["Cell Biology Notes", "2 Energy in Cells", "Respiration is the chemical reaction that releases energy from glucose in all cells.", "Aerobic respiration needs oxygen and produces carbon dioxide and water as waste.", "Page 2 of 3"],
    ["Cell Biology Notes", "3 Transport", "Diffusion is the net movement of particles from a high to a low concentration.", "Osmosis is the diffusion of water across a partially permeable membrane.", "Page 3 of 3"],
]


def _error(path: Path) -> MaterialError:
    with pytest.raises(MaterialError) as caught:
        load_material([path])
    return caught.value


def _assert_one_sentence_naming(error: MaterialError, name: str) -> None:
    assert error.kind == ErrorKind.MATERIAL
    assert name in error.message
    assert error.message.endswith(".") and "\n" not in error.message and "Traceback" not in error.message


# -- plain text and markdown ---------------------------------------------------------------------


def test_plain_text_headings_become_section_paths(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "RIVERS AND LAKES\n\n"
        "Rivers carry water from high ground to the sea, shaping valleys on the way.\n\n"
        "1.1 Erosion\n"
        "Erosion is the wearing away of rock and soil by moving water.\n\n"
        "1.2 Deposition\n"
        "Deposition happens when a river slows down and drops its load.\n\n"
        "Lakes and Ponds\n\n"
        "A lake is a large body of still water surrounded by land.\n",
        encoding="utf-8",
    )
    chunks = load_material([path]).chunks
    assert [c.path for c in chunks] == [
        ("RIVERS AND LAKES",),
        ("RIVERS AND LAKES", "1.1 Erosion"),
        ("RIVERS AND LAKES", "1.2 Deposition"),
        ("RIVERS AND LAKES", "1.2 Deposition", "Lakes and Ponds"),  # a new style nests one deeper
    ]
    assert chunks[1].heading == "1.1 Erosion" and chunks[1].text.startswith("Erosion is the wearing")
    assert all(c.source == "notes.txt" for c in chunks)


def test_underlined_headings_nest_by_their_order_of_appearance(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "Rivers\n======\n\nRivers shape the land.\n\nErosion\n-------\n\nErosion wears rock away.\n\n"
        "Deposition\n----------\n\nDeposition drops the load.\n\nLakes\n=====\n\nLakes hold still water.\n",
        encoding="utf-8",
    )
    assert [c.path for c in load_material([path]).chunks] == [("Rivers",), ("Rivers", "Erosion"), ("Rivers", "Deposition"), ("Lakes",)]


def test_markdown_headings_lists_and_inline_markup(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "---\ntitle: ignored front matter\n---\n"
        "# Cells\n\nA **cell** is the [basic unit](https://example.org) of `life`.\n\n"
        "## Steps\n\n1. First, stain the slide.\n2. Then look through the microscope.\n\n"
        "| Part | Job |\n|---|---|\n| Nucleus | Control |\n",
        encoding="utf-8",
    )
    chunks = load_material([path]).chunks
    assert chunks[0].path == ("Cells",)
    assert chunks[0].text == "A cell is the basic unit of `life`."  # inline code stays code
    assert chunks[1].path == ("Cells", "Steps")
    assert "1. First, stain the slide.\n2. Then look through the microscope." in chunks[1].text
    assert "Nucleus | Control" in chunks[1].text
    assert "front matter" not in " ".join(c.text for c in chunks)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8-sig", b""), ("utf-16", b""), ("cp1252", b"")],
)
def test_text_encodings_are_decoded(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = "Café au lait – naïve résumé costs 5 €.\n\nThe second paragraph is here."
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(prefix + text.encode(encoding))
    joined = " ".join(chunk.text for chunk in load_material([path]).chunks)
    assert "Café au lait – naïve résumé costs 5 €." in joined


def test_latin1_control_bytes_fall_back_without_error(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Über die Wärme und das Wasser im Boden.".encode("latin-1"))
    assert "Über die Wärme" in load_material([path]).chunks[0].text


def test_long_text_is_split_into_bounded_chunks_with_their_heading(tmp_path: Path) -> None:
    body = " ".join(f"Sentence number {i} explains one more detail about glaciers and ice." for i in range(600))
    path = tmp_path / "long.md"
    path.write_text(f"# Glaciers\n\n{body}\n\n# Deserts\n\nDeserts receive very little rain each year.\n", encoding="utf-8")
    chunks = load_material([path]).chunks
    assert len(chunks) > 5
    assert all(len(c.text) <= CHUNK_MAX for c in chunks)
    assert {c.heading for c in chunks[:-1]} == {"Glaciers"} and chunks[-1].heading == "Deserts"
    rebuilt = " ".join(c.text for c in chunks[:-1])
    assert rebuilt.split() == body.split()  # nothing lost or duplicated at chunk borders


def test_sentence_splitter_keeps_abbreviations_and_initials() -> None:
    text = "Dr. Ruben worked with e.g. heavy oxygen. It was shown by J. Smith in 1941. Electrons reach photosystem I. Then they move on."
    assert split_sentences(text) == [
        "Dr. Ruben worked with e.g. heavy oxygen.",
        "It was shown by J. Smith in 1941.",
        "Electrons reach photosystem I.",
        "Then they move on.",
    ]


def test_samples_load_with_their_structure() -> None:
    material = load_material([SAMPLES / "photosynthesis.md", SAMPLES / "water-cycle.txt"])
    assert material.sources == ["photosynthesis.md", "water-cycle.txt"]
    headings = [c.heading for c in material.chunks]
    assert "Steps of the Calvin cycle" in headings and "2.1 Precipitation" in headings
    assert material.char_count > 10_000


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Photosynthesis makes sugar from light, water and carbon dioxide.", encoding="utf-8")
    assert len(load_material([path, path]).chunks) == 1


# -- PDF -----------------------------------------------------------------------------------------


def test_pdf_drops_running_headers_and_page_numbers_and_mends_hyphens(tmp_path: Path) -> None:
    chunks = load_material([write_pdf(tmp_path / "cells.pdf", PDF_PAGES)]).chunks
    text = " ".join(c.text for c in chunks)
    assert "Cell Biology Notes" not in text and "Page 2 of 3" not in text
    assert "by respiration, which happens" in text
    assert [c.heading for c in chunks] == ["1 Cell Structure", "2 Energy in Cells", "3 Transport"]
    assert [c.page for c in chunks] == [1, 2, 3]


def test_pdf_bookmarks_give_the_headings(tmp_path: Path) -> None:
    pages = [lines[2:-1] for lines in PDF_PAGES]  # no heading lines in the text itself
    path = write_pdf(tmp_path / "book.pdf", pages, bookmarks=[("Structure", 0), ("Respiration", 1), ("Transport", 2)])
    chunks = load_material([path]).chunks
    assert [(c.heading, c.page) for c in chunks] == [("Structure", 1), ("Respiration", 2), ("Transport", 3)]
    assert chunks[1].text.startswith("Respiration is the chemical reaction")


def test_password_protected_pdf(tmp_path: Path) -> None:
    error = _error(write_encrypted_pdf(tmp_path / "locked.pdf", PDF_PAGES))
    _assert_one_sentence_naming(error, "locked.pdf")
    assert "password" in error.message


def test_scanned_pdf_without_text(tmp_path: Path) -> None:
    error = _error(write_pdf(tmp_path / "scan.pdf", [[], [], []]))
    _assert_one_sentence_naming(error, "scan.pdf")
    assert "scanned" in error.message and "OCR" in error.message


@pytest.mark.parametrize("damage", ["truncated", "garbage", "no_header"])
def test_damaged_pdf(tmp_path: Path, damage: str) -> None:
    good = write_pdf(tmp_path / "good.pdf", PDF_PAGES).read_bytes()
    data = {"truncated": good[:400], "garbage": b"%PDF-1.4\n" + bytes(range(256)) * 20, "no_header": b"hello " * 100}[damage]
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    error = _error(path)
    _assert_one_sentence_naming(error, "broken.pdf")
    assert "damaged" in error.message or "no text" in error.message


# -- Word ----------------------------------------------------------------------------------------


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "cells.docx",
        [("h1", "Cells"), ("p", "A cell is the basic unit of life."), ("h2", "Looking at cells"), ("number", "Stain the slide."), ("number", "Focus the microscope."), ("bullet", "Draw what you see.")],
        table=[["Part", "Job"], ["Nucleus", "Control"]],
    )
    chunks = load_material([path]).chunks
    assert [c.path for c in chunks] == [("Cells",), ("Cells", "Looking at cells")]
    assert chunks[1].text == "1. Stain the slide.\n2. Focus the microscope.\n- Draw what you see.\n\nPart | Job\nNucleus | Control"


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0old word file", b"plain text pretending"])
def test_damaged_or_old_docx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(content * 10)
    error = _error(path)
    _assert_one_sentence_naming(error, "report.docx")
    assert ".docx" in error.message


# -- cheap path checks ---------------------------------------------------------------------------


def test_missing_file() -> None:
    with pytest.raises(MaterialError) as caught:
        check_material_path(Path("/nowhere/lecture-notes.pdf"))
    _assert_one_sentence_naming(caught.value, "lecture-notes.pdf")
    assert "does not exist" in caught.value.message


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "chapter1.txt"
    folder.mkdir()
    with pytest.raises(MaterialError) as caught:
        check_material_path(folder)
    _assert_one_sentence_naming(caught.value, "chapter1.txt")
    assert "folder" in caught.value.message


def test_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)
    with pytest.raises(MaterialError) as caught:
        check_material_path(loop)
    _assert_one_sentence_naming(caught.value, "loop.txt")
    assert "link" in caught.value.message


def test_unsupported_suffix_lists_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(MaterialError) as caught:
        check_material_path(path)
    _assert_one_sentence_naming(caught.value, "slides.pptx")
    for suffix in (".txt", ".md", ".pdf", ".docx"):
        assert suffix in caught.value.message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.touch()
    with pytest.raises(MaterialError) as caught:
        check_material_path(path)
    _assert_one_sentence_naming(caught.value, "empty.md")
    assert "empty" in caught.value.message


def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: no 50 MB actually written
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(MaterialError) as caught:
        check_material_path(path)
    _assert_one_sentence_naming(caught.value, "huge.txt")
    assert "too large" in caught.value.message


@pytest.mark.parametrize("name", ["photo.txt", "notes.md"])
def test_binary_content_in_a_text_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(MaterialError) as caught:
        check_material_path(path)
    _assert_one_sentence_naming(caught.value, name)
    assert "binary" in caught.value.message


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("Some notes.", encoding="utf-8")
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: make opening fail the way it does for a normal user
        real_open = Path.open

        def deny(self: Path, *args: object, **kwargs: object):
            if self.name == "secret.txt":
                raise PermissionError(13, "Permission denied")
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(MaterialError) as caught:
        check_material_path(path)
    _assert_one_sentence_naming(caught.value, "secret.txt")
    assert "permission" in caught.value.message


def test_file_with_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("   \n\n\t\n", encoding="utf-8")
    error = _error(path)
    _assert_one_sentence_naming(error, "blank.txt")
    assert "no text" in error.message


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".txt", ".md"])
def test_random_bytes_never_escape_as_another_exception(tmp_path: Path, suffix: str) -> None:
    rng = random.Random(suffix)
    for n in range(15):
        path = tmp_path / f"fuzz{n}{suffix}"
        head = {".pdf": b"%PDF-1.7\n", ".docx": b"PK\x03\x04"}.get(suffix, b"")
        path.write_bytes(head + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))))
        try:
            load_material([path])
        except MaterialError as exc:
            assert path.name in exc.message


# -- selecting chunks for a query ----------------------------------------------------------------


def _material() -> Material:
    texts = [
        ("Soil", "Soil forms slowly as rock weathers and organic matter builds up."),
        ("Rivers", "A river meander migrates as the outer bank erodes and the inner bank gains sediment."),
        ("Glaciers", "Glaciers carve U-shaped valleys; a glacier moves under its own weight."),
        ("Rivers again", "Floodplains form where a river deposits fine sediment during floods."),
        ("Deserts", "Deserts get less than 250 millimetres of rain each year."),
    ]
    return Material(tuple(Chunk(source="geo.txt", heading=h, text=t) for h, t in texts))


def test_select_returns_relevant_chunks_in_source_order_within_budget() -> None:
    material = _material()
    chosen = material.select("river sediment floods", max_chars=200)
    assert [c.heading for c in chosen] == ["Rivers", "Rivers again"]
    assert sum(len(c.text) for c in chosen) <= 200
    assert material.select("river sediment floods", max_chars=200) == chosen  # deterministic


def test_select_everything_when_it_fits_and_nothing_for_no_room() -> None:
    material = _material()
    assert material.select("anything", max_chars=10_000) == list(material.chunks)
    assert material.select("river", max_chars=0) == []
