"""Reading the uploaded CSV and ZIP defensively."""

from __future__ import annotations

import io
import zipfile

import pytest

from chancela.batches import uploads
from chancela.batches.errors import BatchError
from chancela.batches.tests.helpers import csv_bytes, good_row, pdf, xlsx_bytes, zip_bytes
from chancela.batches.uploads import ZipReport, csv_rows_read, zip_pdfs_read


def test_it_reads_utf8_with_bom_and_semicolons():
    rows = csv_rows_read(csv_bytes([good_row(1, student_name="João Conceição")]))
    assert rows[0][0] == 2
    assert rows[0][1]["student_name"] == "João Conceição"


def test_it_reads_utf8_without_bom_and_commas():
    rows = csv_rows_read(csv_bytes([good_row(1)], delimiter=",", encoding="utf-8"))
    assert rows[0][1]["student_code"] == "A00001"


def test_it_falls_back_to_latin1():
    raw = csv_bytes([good_row(1, student_name="Inês Araújo")], encoding="cp1252")
    assert csv_rows_read(raw)[0][1]["student_name"] == "Inês Araújo"


def test_it_accepts_english_or_accented_headers():
    raw = "Código Aluno;student_name;E-mail aluno;data_nascimento_aluno\r\nX1;Ana Souza;a@b.com;01/01/2000\r\n"
    # "Código Aluno" normalises to codigo_aluno; English keys are accepted too
    rows = csv_rows_read(raw.encode())
    assert rows[0][1]["student_code"] == "X1" and rows[0][1]["student_email"] == "a@b.com"


def test_it_refuses_a_csv_without_the_required_columns():
    with pytest.raises(BatchError) as error:
        csv_rows_read(b"nome;email\nAna Souza;a@b.com\n")
    assert error.value.code == "csv_columns_missing"
    assert "codigo_aluno" in error.value.message


def test_it_refuses_an_oversized_csv(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_CSV_BYTES", 100)
    with pytest.raises(BatchError) as error:
        csv_rows_read(csv_bytes([good_row(1), good_row(2)]))
    assert error.value.code == "csv_too_large"


def test_it_refuses_too_many_rows(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROWS", 2)
    with pytest.raises(BatchError) as error:
        csv_rows_read(csv_bytes([good_row(n) for n in range(3)]))
    assert error.value.code == "csv_too_many_rows"


def test_it_refuses_an_xlsx_saved_as_csv():
    with pytest.raises(BatchError) as error:
        csv_rows_read(b"PK\x03\x04\x00\x00binary")
    assert error.value.code in ("csv_binary", "csv_columns_missing")


def read_zip(data: bytes) -> tuple[list, list[str]]:
    report = ZipReport(notes=[])
    pdfs = list(zip_pdfs_read(io.BytesIO(data), size=len(data), report=report))
    return pdfs, report.notes


def test_it_reads_one_pdf_per_code_in_any_folder():
    pdfs, notes = read_zip(zip_bytes({"A1.pdf": pdf(), "turma/A2.PDF": pdf(), "leia.txt": b"x"}))
    assert [p.code for p in pdfs] == ["A1", "A2"]
    assert notes == ["“leia.txt” ignorado: não é um PDF."]


def test_it_refuses_path_traversal_entries():
    pdfs, notes = read_zip(
        zip_bytes({"../../etc/A1.pdf": pdf(), "/abs/A2.pdf": pdf(), "A3.pdf": pdf()})
    )
    assert [p.code for p in pdfs] == ["A3"]
    assert len(notes) == 2 and all("caminho inválido" in n for n in notes)


def test_it_refuses_a_zip_bomb_entry():
    bomb = b"%PDF-" + b"\x00" * (5 * 1024 * 1024)
    pdfs, notes = read_zip(zip_bytes({"A1.pdf": bomb, "A2.pdf": pdf()}))
    assert [p.code for p in pdfs] == ["A2"]
    assert "taxa de compressão suspeita" in notes[0]


def test_it_refuses_too_many_entries(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ZIP_ENTRIES", 2)
    with pytest.raises(BatchError) as error:
        read_zip(zip_bytes({f"A{n}.pdf": pdf() for n in range(3)}))
    assert error.value.code == "zip_too_many_entries"


def test_it_refuses_an_oversized_zip(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ZIP_BYTES", 10)
    with pytest.raises(BatchError) as error:
        read_zip(zip_bytes({"A1.pdf": pdf()}))
    assert error.value.code == "zip_too_large"


def test_it_refuses_what_is_not_a_zip():
    with pytest.raises(BatchError) as error:
        read_zip(b"not a zip")
    assert error.value.code == "zip_invalid"


def test_it_does_not_trust_the_declared_size():
    # An entry whose header lies about its size is read with a hard cap.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("A1.pdf", pdf())
    pdfs, _ = read_zip(buffer.getvalue())
    assert pdfs[0].content == pdf()


# ---------------------------------------------------------------------- Excel (.xlsx)


def _read_xlsx(raw: bytes, name: str = "turma.xlsx"):
    return uploads.spreadsheet_rows_read(io.BytesIO(raw), name=name, size=len(raw))


def test_it_reads_an_excel_sheet_with_the_same_columns():
    from datetime import date

    row = good_row(1, student_name="João Conceição")
    row["student_birth_date"] = date(2010, 3, 9)  # a date cell
    row["student_cpf"] = int("01234567890")  # typed as a number: the leading zero is lost
    row["student_code"] = 2027001  # a number cell
    rows = _read_xlsx(xlsx_bytes([row], header_row=2))
    line, data = rows[0]
    assert line == 3  # the sheet's own row number, as the CSV's line number
    assert data["student_name"] == "João Conceição"
    assert data["student_birth_date"] == "09/03/2010"
    assert data["student_cpf"] == "01234567890"
    assert data["student_code"] == "2027001"


def test_it_reads_the_excel_template_back_as_its_example_line():
    from chancela.batches.columns import COLUMNS, template_xlsx

    rows = _read_xlsx(template_xlsx())
    assert len(rows) == 1
    assert rows[0][1] == {c.key: c.example for c in COLUMNS} | {
        key: value for key, value in rows[0][1].items() if key not in {c.key for c in COLUMNS}
    }


def test_it_checks_an_excel_sheet_for_missing_columns():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Código do aluno", "Nome"])
    workbook.active.append(["1", "Ana"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(BatchError) as caught:
        _read_xlsx(buffer.getvalue())
    assert caught.value.message.startswith("Faltam colunas na planilha")


def test_it_says_plainly_that_a_damaged_or_old_excel_file_cannot_be_read():
    with pytest.raises(BatchError) as caught:
        _read_xlsx(b"PK\x03\x04 not really a workbook")
    assert "salve-a de novo como .xlsx" in caught.value.message
    with pytest.raises(BatchError) as caught:
        _read_xlsx(b"\xd0\xcf\x11\xe0 old excel", name="turma.xls")
    assert "97-2003 (.xls)" in caught.value.message


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("bad_crc", "a soma de verificação CRC não confere"),
        ("false_size", "tamanho"),
        ("encrypted", "protegido por senha"),
        ("corrupt_deflate", "corrompidos"),
        ("unknown_method", "método de compactação não suportado"),
    ],
)
def test_it_refuses_a_malformed_entry_naming_it(kind, why):
    from chancela.batches.tests.helpers import malformed_zip

    with pytest.raises(BatchError) as error:
        read_zip(malformed_zip([good_row(1), good_row(2)], kind))
    assert error.value.code == "zip_entry_invalid"
    assert error.value.field == "zip_file"
    assert "“A00002.pdf” dentro do ZIP" in error.value.message
    assert why in error.value.message
