"""The columns of a batch: CSV headers (pt-BR, as in the downloadable template) and field keys.

The CSV template has one line per student. The API uses the English keys as JSON fields.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from chancela.core.csvexport import csv_document


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    label: str
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("student_code", "codigo_aluno", "Código do aluno", "2027001"),
    Column("student_name", "nome_aluno", "Nome do aluno", "Ana Beatriz Souza"),
    Column("student_email", "email_aluno", "E-mail do aluno", "ana.souza@example.com"),
    Column("student_cpf", "cpf_aluno", "CPF do aluno", "529.982.247-25"),
    Column("student_birth_date", "data_nascimento_aluno", "Nascimento do aluno", "14/03/2011"),
    Column("student_phone", "telefone_aluno", "Telefone do aluno", ""),
    Column("emancipated", "emancipado", "Emancipado (sim/não)", "não"),
    Column("guardian_name", "nome_responsavel", "Nome do responsável", "Carlos Alberto Souza"),
    Column("guardian_email", "email_responsavel", "E-mail do responsável", "carlos@example.com"),
    Column("guardian_cpf", "cpf_responsavel", "CPF do responsável", "111.444.777-35"),
    Column("guardian_phone", "telefone_responsavel", "Telefone do responsável", "11987654321"),
    Column("financial_name", "nome_responsavel_financeiro", "Nome do responsável financeiro"),
    Column("financial_email", "email_responsavel_financeiro", "E-mail do responsável financeiro"),
    Column("financial_cpf", "cpf_responsavel_financeiro", "CPF do responsável financeiro"),
    Column("financial_phone", "telefone_responsavel_financeiro", "Telefone do resp. financeiro"),
    Column("external_id", "external_id", "Identificador no sistema acadêmico (opcional)"),
)
FIELD_KEYS = tuple(column.key for column in COLUMNS)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
LABELS = {column.key: column.label for column in COLUMNS}
# The student's e-mail may be blank (or its column absent) when the guardian signs for him.
REQUIRED_HEADERS = ("codigo_aluno", "nome_aluno", "data_nascimento_aluno")


def header_key(header: str) -> str | None:
    """The field key of a CSV header: pt-BR header or English key, any case and accents."""
    text = unicodedata.normalize("NFKD", header or "").encode("ascii", "ignore").decode()
    text = "".join(ch for ch in text.lower() if ch.isalnum())
    for column in COLUMNS:
        if text in (column.header.replace("_", ""), column.key.replace("_", "")):
            return column.key
    return None


def template_csv() -> bytes:
    """The downloadable template: headers, one example line, ``;``-separated, UTF-8 with BOM
    (so that spreadsheet programs open the accents right)."""
    return csv_document(
        [column.header for column in COLUMNS], [[column.example for column in COLUMNS]]
    )


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_xlsx() -> bytes:
    """The same template as an Excel workbook (headers, one example line, every cell text so
    that codes, CPFs and dates keep their leading zeros and format)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Alunos")
    sheet.append([column.header for column in COLUMNS])
    sheet.append([column.example for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
