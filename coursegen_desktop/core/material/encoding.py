"""Guessing the encoding of a text file: users bring UTF-8, UTF-16, Windows-1252 and Latin-1."""

from __future__ import annotations

import codecs

from coursegen_desktop.core.errors import MaterialError


def bom_encoding(data: bytes) -> str | None:
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return encoding
    return None


def utf16_without_bom(data: bytes) -> str | None:
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


def control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) <= 0x9F or ch == "\ufffd")
    return bad / len(text)


def decode_text(data: bytes, name: str) -> str:
    """Decode a text file: BOMs first, then UTF-8, then Windows-1252, then Latin-1."""
    encoding = bom_encoding(data) or utf16_without_bom(data)
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
        if control_ratio(text) < 0.01:
            return text
    raise MaterialError(f"{name} contains binary data, not text; save it as plain text (UTF-8) or add the original PDF or Word file.")
