from __future__ import annotations

import hashlib

import pytest

from chancela.core.pdf import (
    MAX_DOCUMENT_BYTES,
    PdfError,
    pdf_check_total,
    pdf_filename_clean,
    pdf_inspect,
)
from chancela.testing.factories import PDF_ACTIVE_KINDS, make_pdf_bytes


def test_it_accepts_a_plain_pdf_and_reports_its_hash_size_and_pages():
    data = make_pdf_bytes(pages=4)
    info = pdf_inspect(data, filename="contrato.pdf")
    assert info.page_count == 4
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()


def test_it_accepts_an_open_action_that_only_goes_to_a_page():
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(BytesIO(make_pdf_bytes(pages=2))))
    writer.root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[1].indirect_reference, NameObject("/Fit")]
    )
    buffer = BytesIO()
    writer.write(buffer)
    assert pdf_inspect(buffer.getvalue(), filename="a.pdf").page_count == 2


EXPECTED_CODES = {
    "names_javascript": "pdf_javascript",
    "open_action_javascript": "pdf_javascript",
    "open_action_launch": "pdf_launch_action",
    "page_aa_javascript": "pdf_javascript",
    "annotation_javascript": "pdf_javascript",
    "embedded_file": "pdf_embedded_file",
    "file_attachment_annotation": "pdf_embedded_file",
}


@pytest.mark.parametrize("kind", PDF_ACTIVE_KINDS)
def test_it_refuses_active_content(kind):
    with pytest.raises(PdfError) as error:
        pdf_inspect(make_pdf_bytes(active=kind), filename="x.pdf", field="documents[0]")
    assert error.value.code == EXPECTED_CODES[kind]
    assert error.value.field == "documents[0]"
    assert "“x.pdf”" in error.value.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "pdf_empty"),
        (b"PK\x03\x04 not a pdf at all", "pdf_not_pdf"),
        (b"<html>%PDF-1.7</html>", "pdf_not_pdf"),
        (make_pdf_bytes()[:300], "pdf_truncated"),
        (b"%PDF-1.7\n garbage that is not a pdf body\n%%EOF\n", "pdf_unreadable"),
        (make_pdf_bytes(encrypted=True), "pdf_encrypted"),
        (make_pdf_bytes() + b"%" + b"0" * MAX_DOCUMENT_BYTES, "pdf_too_large"),
    ],
    ids=["empty", "zip", "html", "truncated", "garbage", "encrypted", "oversize"],
)
def test_it_refuses_what_is_not_an_acceptable_pdf(data, code):
    with pytest.raises(PdfError) as error:
        pdf_inspect(data, filename="doc.pdf")
    assert error.value.code == code


def _pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes (a comment padding the page's content stream)."""
    from io import BytesIO

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    def build(padding: int) -> bytes:
        writer = PdfWriter()
        page = writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(b"%" + b"0" * padding + b"\n")
        page[NameObject("/Contents")] = writer._add_object(stream)
        buffer = BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    padding = size - len(build(0))
    for _ in range(3):  # the /Length digits grow with the padding
        data = build(padding)
        padding += size - len(data)
    assert len(data) == size
    return data


def test_it_accepts_exactly_10_mib_and_refuses_one_byte_more():
    assert pdf_inspect(_pdf_of_size(MAX_DOCUMENT_BYTES), filename="a.pdf").page_count == 1
    with pytest.raises(PdfError) as error:
        pdf_inspect(_pdf_of_size(MAX_DOCUMENT_BYTES + 1), filename="a.pdf")
    assert error.value.code == "pdf_too_large"
    assert "10,0 MB" in error.value.message


def test_it_refuses_a_request_over_100_mib():
    with pytest.raises(PdfError) as error:
        pdf_check_total(100 * 1024 * 1024 + 1, field="documents")
    assert error.value.code == "request_too_large"
    pdf_check_total(100 * 1024 * 1024)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("contrato.pdf", "contrato.pdf"),
        ("Contrato de matrícula.PDF", "Contrato de matrícula.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\ana\\termo.pdf", "termo.pdf"),
        ("re\x00la\ttório<script>.pdf", "relatório_script.pdf"),
        ("", "documento.pdf"),
        ("...", "documento.pdf"),
    ],
)
def test_it_cleans_file_names(given, clean):
    assert pdf_filename_clean(given) == clean
