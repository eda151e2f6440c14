"""Builders for batch tests: rows, CSV and ZIP files."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from chancela.batches.columns import COLUMNS
from chancela.testing.factories import birth_date_for_age, letters, make_cpf, make_pdf_bytes

_PDF: bytes | None = None


def pdf() -> bytes:
    global _PDF
    if _PDF is None:
        _PDF = make_pdf_bytes()
    return _PDF


def good_row(n: int, *, age: int = 15, **overrides: str) -> dict[str, str]:
    """A valid row: a minor student (15 by default) with a legal guardian."""
    row = {
        "student_code": f"A{n:05d}",
        "student_name": f"Aluno {letters(n)} Silva",
        "student_email": f"aluno{n}@example.com",
        "student_cpf": make_cpf(10_000 + n),
        "student_birth_date": birth_date_for_age(age, days=10).strftime("%d/%m/%Y"),
        "student_phone": "",
        "emancipated": "não",
        "guardian_name": f"Responsavel {letters(n)} Silva",
        "guardian_email": f"resp{n}@example.com",
        "guardian_cpf": make_cpf(50_000 + n),
        "guardian_phone": "11987654321",
        "financial_name": "",
        "financial_email": "",
        "financial_cpf": "",
        "financial_phone": "",
        "external_id": "",
    }
    row.update(overrides)
    return row


def csv_bytes(
    rows: list[dict[str, str]], *, delimiter: str = ";", encoding: str = "utf-8-sig"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in COLUMNS])
    return buffer.getvalue().encode(encoding)


def zip_bytes(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_for(rows: list[dict[str, str]], **extra: bytes) -> bytes:
    files: dict[str, Any] = {f"{row['student_code']}.pdf": pdf() for row in rows}
    files.update(extra)
    return zip_bytes(files)


def xlsx_bytes(rows: list[dict[str, Any]], *, header_row: int = 1) -> bytes:
    """An Excel workbook with the template's columns; values keep their Python types (a
    ``date`` or an ``int`` becomes a date or number cell, as a secretaria's sheet would)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for _ in range(header_row - 1):
        sheet.append([])
    sheet.append([c.header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MALFORMED_ZIP_KINDS = ("bad_crc", "false_size", "encrypted", "corrupt_deflate", "unknown_method")


def malformed_zip(rows: list[dict[str, str]], kind: str, *, entry: int = -1) -> bytes:
    """The batch ZIP of ``rows`` with one entry (the last by default) damaged the way ``kind``
    says, by patching the bytes zipfile wrote (its local header and central directory record)."""
    import struct

    raw = zip_for(rows)
    data = bytearray(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        infos = archive.infolist()
    index = entry % len(infos)
    local = infos[index].header_offset
    central = data.index(b"PK\x01\x02")
    for _ in range(index):
        central = data.index(b"PK\x01\x02", central + 4)
    name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_length + extra_length
    size = struct.unpack_from("<I", data, local + 18)[0]

    def both(local_offset: int, central_offset: int, fmt: str, value: int) -> None:
        struct.pack_into(fmt, data, local + local_offset, value)
        struct.pack_into(fmt, data, central + central_offset, value)

    if kind == "bad_crc":
        crc = struct.unpack_from("<I", data, local + 14)[0]
        both(14, 16, "<I", crc ^ 0xFFFF)
    elif kind == "false_size":
        real = struct.unpack_from("<I", data, local + 22)[0]
        both(22, 24, "<I", real + 1000)
    elif kind == "encrypted":
        both(6, 8, "<H", struct.unpack_from("<H", data, local + 6)[0] | 0x1)
    elif kind == "corrupt_deflate":
        data[start : start + size] = bytes([0xFF]) * size
    elif kind == "unknown_method":
        both(8, 10, "<H", 99)
    else:
        raise ValueError(kind)
    return bytes(data)


def make_batch(unit: Any, document_type: Any, rows: list[dict[str, str]], **kwargs: Any) -> Any:
    """A batch created from ``rows`` (CSV) and a ZIP with one PDF per row, as uploaded."""
    from chancela.batches.services import batch_create
    from chancela.batches.uploads import ZipReport, csv_rows_read, zip_pdfs_read

    zip_data = kwargs.pop("zip_data", None) or zip_for(rows)
    report = ZipReport(notes=[])
    kwargs.setdefault("title", "Rematrícula 2027")
    return batch_create(
        unit=unit,
        document_type=document_type,
        rows=csv_rows_read(csv_bytes(rows)),
        zip_pdfs=zip_pdfs_read(io.BytesIO(zip_data), size=len(zip_data), report=report),
        notes=report.notes,
        **kwargs,
    )
