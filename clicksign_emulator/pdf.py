"""The signed PDF: the original's pages plus one signature-log page (or more if long).

The log page is a raw content stream using the standard Type1 font Helvetica with
WinAnsiEncoding, so Portuguese accents render and text extraction finds every line.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

PAGE_WIDTH = 595.28  # A4
PAGE_HEIGHT = 841.89
MARGIN = 50
LINE_HEIGHT = 13
FONT_SIZE = 9
TITLE_SIZE = 14
MAX_CHARS = 105


@dataclass
class LogEntry:
    heading: str
    lines: list[str] = field(default_factory=list)


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _font_resources() -> DictionaryObject:
    def font(base: str) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(base),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )

    return DictionaryObject(
        {
            NameObject("/Font"): DictionaryObject(
                {NameObject("/F1"): font("/Helvetica"), NameObject("/F2"): font("/Helvetica-Bold")}
            ),
            NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/Text")]),
        }
    )


def _text_page(writer: PdfWriter, lines: list[tuple[str, str]]) -> PageObject:
    """A page with ``lines`` of (style, text); style is "title", "bold" or "body"."""
    page = PageObject.create_blank_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
    ops: list[bytes] = [b"BT"]
    y = PAGE_HEIGHT - MARGIN
    for style, text in lines:
        size = TITLE_SIZE if style == "title" else FONT_SIZE
        font = b"/F2" if style in ("title", "bold") else b"/F1"
        ops.append(font + b" %d Tf" % size)
        ops.append(b"1 0 0 1 %.2f %.2f Tm" % (MARGIN, y))
        ops.append(b"(" + _escape(text) + b") Tj")
        y -= LINE_HEIGHT + (6 if style == "title" else 0)
    ops.append(b"ET")
    stream = DecodedStreamObject()
    stream.set_data(b"\n".join(ops))
    page[NameObject("/Contents")] = writer._add_object(stream)
    page[NameObject("/Resources")] = _font_resources()
    return page


def _layout(title: str, intro: list[str], entries: list[LogEntry]) -> list[list[tuple[str, str]]]:
    lines: list[tuple[str, str]] = [("title", title)]
    for text in intro:
        for part in textwrap.wrap(text, MAX_CHARS) or [""]:
            lines.append(("body", part))
    for entry in entries:
        lines.append(("body", ""))
        lines.append(("bold", entry.heading))
        for text in entry.lines:
            for part in textwrap.wrap(text, MAX_CHARS, subsequent_indent="    ") or [""]:
                lines.append(("body", part))
    per_page = int((PAGE_HEIGHT - 2 * MARGIN) // LINE_HEIGHT) - 1
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    return pages or [[("title", title)]]


def build_signed_pdf(
    *,
    original: bytes,
    original_mime: str,
    original_filename: str,
    title: str,
    intro: list[str],
    entries: list[LogEntry],
) -> bytes:
    """Original pages (when the original is a PDF) + the signature log."""
    writer = PdfWriter()
    if original_mime == "application/pdf":
        try:
            reader = PdfReader(io.BytesIO(original))
            for page in reader.pages:
                writer.add_page(page)
        except Exception:  # noqa: BLE001 - an unreadable PDF still gets a signed copy
            writer.add_page(
                _text_page(writer, [("title", original_filename), ("body", "PDF ilegível")])
            )
    else:
        writer.add_page(
            _text_page(
                writer,
                [
                    ("title", original_filename),
                    ("body", f"Documento original do tipo {original_mime}."),
                    ("body", "O emulador não converte este formato; veja o arquivo original."),
                ],
            )
        )
    for page_lines in _layout(title, intro, entries):
        writer.add_page(_text_page(writer, page_lines))
    writer.add_metadata({"/Producer": "clicksign_emulator", "/Title": original_filename})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(pages: int = 1, text: str = "Documento de teste") -> bytes:
    """A small valid PDF with ``pages`` pages of text (for tests and demo data)."""
    writer = PdfWriter()
    for number in range(1, pages + 1):
        writer.add_page(
            _text_page(writer, [("title", text), ("body", f"Página {number} de {pages}")])
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
