"""The PDF export format, registered by the programs that can run Qt (the app and the CLI).

Core's export registry cannot name a GUI module, so this Qt-free module describes the format and
adds it; the writer itself (`pdf_export.write_pdf`, which imports Qt) loads only when a PDF is
written.
"""

from __future__ import annotations

from coursegen_desktop.core.export import ExportFormat, register_format

PDF_FORMAT = ExportFormat("pdf", "PDF document", ".pdf", False, "coursegen_desktop.gui.pdf_export:write_pdf")


def register_pdf_format() -> None:
    """Offer PDF export, listed after the web page (idempotent)."""
    register_format(PDF_FORMAT, after="html")
