"""Reading the uploaded files of a batch, defensively: the spreadsheet of rows (CSV or Excel
.xlsx) and the ZIP of PDFs.

Excel: at most ``MAX_XLSX_BYTES``, read with openpyxl in read-only mode (streamed, row by row;
values, never formulas), the first sheet only, with the same columns and checks as the CSV.

CSV: at most ``MAX_CSV_BYTES`` and ``MAX_ROWS`` rows; UTF-8 (with or without BOM), falling back
to Latin-1 (Windows-1252, what spreadsheet programs in Brazil save); ``;`` or ``,`` separated.

ZIP: at most ``MAX_ZIP_BYTES`` and ``MAX_ZIP_ENTRIES`` entries; every entry is read with a hard
cap (the declared size is not trusted), refused above ``MAX_RATIO`` of expansion (zip bomb) or
above the PDF size limit; names with ``..``, absolute paths or drive letters are refused
(path traversal — nothing is ever extracted to disk by name anyway); folders and macOS
metadata are ignored. A PDF is matched to a row by its name without ``.pdf``: the student code.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from chancela.batches.columns import FIELD_KEYS, REQUIRED_HEADERS, header_key
from chancela.batches.errors import BatchError
from chancela.core.pdf import MAX_DOCUMENT_BYTES

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_XLSX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_ZIP_BYTES = 512 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_RATIO = 100
MAX_TOTAL_UNCOMPRESSED = 1024 * 1024 * 1024


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def csv_rows_read(raw: bytes) -> list[tuple[int, dict[str, str]]]:
    """The CSV's data lines as (line number in the file, {field key: value})."""
    if len(raw) > MAX_CSV_BYTES:
        raise BatchError(
            "csv_too_large",
            f"A planilha passa de {MAX_CSV_BYTES // (1024 * 1024)} MB: divida-a em lotes menores.",
            "csv_file",
        )
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        raise BatchError(
            "csv_encoding", "Não foi possível ler a planilha: salve-a como CSV UTF-8.", "csv_file"
        ) from None
    if "\x00" in text:
        raise BatchError(
            "csv_binary",
            "O arquivo não é um CSV nem uma planilha do Excel (.xlsx): use o modelo.",
            "csv_file",
        )
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BatchError("csv_empty", "A planilha está vazia.", "csv_file") from None
    try:
        return _rows_from_records(header, reader, lambda: reader.line_num, "csv_file")
    except csv.Error as error:
        raise BatchError(
            "csv_invalid",
            f"A planilha tem um erro na linha {reader.line_num}: {error}.",
            "csv_file",
        ) from None


def _rows_from_records(
    header: list[str],
    records: Iterator[list[str]],
    line_of: Callable[[], int],
    field: str,
) -> list[tuple[int, dict[str, str]]]:
    """The data rows under ``header``: the column check, the row cap, blank rows skipped."""
    keys = [header_key(h) for h in header]
    missing = [h for h in REQUIRED_HEADERS if header_key(h) not in keys]
    if missing:
        raise BatchError(
            "csv_columns_missing",
            "Faltam colunas na planilha: "
            + ", ".join(missing)
            + ". Use o modelo para baixar (a primeira linha tem os nomes das colunas).",
            field,
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for record in records:
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_ROWS:
            raise BatchError(
                "csv_too_many_rows",
                f"A planilha tem mais de {MAX_ROWS} linhas: divida-a em lotes menores.",
                field,
            )
        data = dict.fromkeys(FIELD_KEYS, "")
        for key, cell in zip(keys, record, strict=False):
            if key is not None:
                data[key] = cell.strip()[:300]
        rows.append((line_of(), data))
    if not rows:
        raise BatchError("csv_empty", "A planilha não tem nenhuma linha de aluno.", field)
    return rows


XLSX_MAGIC = b"PK\x03\x04"


def _cell_text(value: Any, key: str | None) -> str:
    """An Excel cell as the text a CSV would have: dates as dd/mm/aaaa, whole numbers without
    ".0", a CPF typed as a number with its leading zeros back."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        return text.zfill(11) if key and key.endswith("cpf") and len(text) < 11 else text
    return str(value)


def xlsx_rows_read(file: IO[bytes], *, size: int) -> list[tuple[int, dict[str, str]]]:
    """The first sheet's data rows as (row number in the sheet, {field key: value})."""
    from openpyxl import load_workbook

    if size > MAX_XLSX_BYTES:
        raise BatchError(
            "csv_too_large",
            f"A planilha passa de {MAX_XLSX_BYTES // (1024 * 1024)} MB: divida-a em lotes menores.",
            "csv_file",
        )
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise BatchError(
            "xlsx_invalid",
            "Não foi possível abrir a planilha do Excel: salve-a de novo como .xlsx "
            "(Pasta de Trabalho do Excel) ou como CSV.",
            "csv_file",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        line = 0
        header: list[str] | None = None
        for raw in values:
            line += 1
            if any(cell not in (None, "") for cell in raw):
                header = [_cell_text(cell, None) for cell in raw]
                break
        if header is None:
            raise BatchError("csv_empty", "A planilha está vazia.", "csv_file")
        keys = [header_key(h) for h in header]

        def records() -> Iterator[list[str]]:
            nonlocal line
            for raw in values:
                line += 1
                yield [
                    _cell_text(cell, keys[index] if index < len(keys) else None)
                    for index, cell in enumerate(raw)
                ]

        return _rows_from_records(header, records(), lambda: line, "csv_file")
    finally:
        workbook.close()


def spreadsheet_rows_read(
    file: IO[bytes], *, name: str, size: int
) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded spreadsheet, CSV or Excel (.xlsx), by its content."""
    start = file.read(4)
    file.seek(0)
    if start == XLSX_MAGIC or name.lower().endswith(".xlsx"):
        return xlsx_rows_read(file, size=size)
    if name.lower().endswith(".xls"):
        raise BatchError(
            "xls_old_format",
            "Planilhas do Excel 97-2003 (.xls) não são aceitas: salve como .xlsx ou CSV.",
            "csv_file",
        )
    return csv_rows_read(file.read(MAX_CSV_BYTES + 1))


@dataclass(frozen=True)
class ZipPdf:
    code: str
    filename: str
    content: bytes


@dataclass
class ZipReport:
    notes: list[str]


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _malformed(name: str, why: str) -> BatchError:
    return BatchError(
        "zip_entry_invalid",
        f"O arquivo “{name[:80]}” dentro do ZIP {why}. Nada foi guardado: gere o ZIP de novo "
        "(sem senha, com a compactação padrão) e envie outra vez.",
        "zip_file",
    )


def _entry_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """The entry's bytes (at most one over the document limit), or a :class:`BatchError` naming
    it: an entry that cannot be read whole and verified makes the whole ZIP suspect."""
    if info.flag_bits & 0x1:
        raise _malformed(name, "está protegido por senha (criptografado)")
    try:
        with archive.open(info) as entry:
            content = entry.read(MAX_DOCUMENT_BYTES + 1)
            if len(content) <= MAX_DOCUMENT_BYTES:
                entry.read(1)  # reach the end, where zipfile checks the CRC and the size
    except NotImplementedError:
        raise _malformed(name, "usa um método de compactação não suportado") from None
    except zipfile.BadZipFile as error:
        why = (
            "está corrompido (a soma de verificação CRC não confere)"
            if "CRC" in str(error)
            else "está corrompido (cabeçalho inválido)"
        )
        raise _malformed(name, why) from None
    except EOFError:
        raise _malformed(name, "está truncado (termina antes do tamanho declarado)") from None
    except Exception:  # noqa: BLE001 - zlib/bz2/lzma errors of damaged compressed data
        raise _malformed(name, "tem dados compactados corrompidos") from None
    if len(content) <= MAX_DOCUMENT_BYTES and len(content) != info.file_size:
        raise _malformed(name, "tem tamanho diferente do declarado no ZIP")
    return content


def zip_pdfs_read(file: IO[bytes], *, size: int, report: ZipReport) -> Iterator[ZipPdf]:
    """Yield the PDFs of the ZIP one by one (never all in memory); refusals go to ``report``."""
    if size > MAX_ZIP_BYTES:
        raise BatchError(
            "zip_too_large",
            f"O ZIP passa de {MAX_ZIP_BYTES // (1024 * 1024)} MB: divida o lote.",
            "zip_file",
        )
    try:
        archive = zipfile.ZipFile(file)
    except Exception:  # noqa: BLE001 - zipfile raises many types for a damaged directory
        raise BatchError(
            "zip_invalid", "O arquivo enviado não é um ZIP válido.", "zip_file"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise BatchError(
                "zip_too_many_entries",
                f"O ZIP tem mais de {MAX_ZIP_ENTRIES} arquivos.",
                "zip_file",
            )
        total = 0
        for info in infos:
            name = info.filename
            if (
                info.is_dir()
                or name.startswith("__MACOSX/")
                or name.rsplit("/", 1)[-1].startswith(".")
            ):
                continue
            if _unsafe_name(name):
                report.notes.append(f"“{name[:80]}” recusado: caminho inválido no ZIP.")
                continue
            base = name.replace("\\", "/").rsplit("/", 1)[-1]
            if not base.lower().endswith(".pdf"):
                report.notes.append(f"“{base[:80]}” ignorado: não é um PDF.")
                continue
            if info.file_size > MAX_DOCUMENT_BYTES:
                report.notes.append(f"“{base[:80]}” recusado: passa de 10 MB.")
                continue
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                report.notes.append(f"“{base[:80]}” recusado: taxa de compressão suspeita.")
                continue
            content = _entry_read(archive, info, base)
            if len(content) > MAX_DOCUMENT_BYTES or (
                info.compress_size and len(content) / max(info.compress_size, 1) > MAX_RATIO
            ):
                report.notes.append(f"“{base[:80]}” recusado: tamanho real diferente do declarado.")
                continue
            total += len(content)
            if total > MAX_TOTAL_UNCOMPRESSED:
                raise BatchError(
                    "zip_too_large_uncompressed",
                    "O conteúdo do ZIP passa de 1 GB descompactado: divida o lote.",
                    "zip_file",
                )
            yield ZipPdf(code=base[:-4].strip(), filename=base, content=content)
