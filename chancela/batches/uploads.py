"""Reading the uploaded files of a batch, defensively: the CSV of rows and the ZIP of PDFs.

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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from chancela.batches.columns import FIELD_KEYS, REQUIRED_HEADERS, header_key
from chancela.batches.errors import BatchError
from chancela.core.pdf import MAX_DOCUMENT_BYTES

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_ZIP_BYTES = 512 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
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
            "O arquivo não parece um CSV (é uma planilha .xlsx?). Salve como CSV.",
            "csv_file",
        )
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BatchError("csv_empty", "A planilha está vazia.", "csv_file") from None
    keys = [header_key(h) for h in header]
    missing = [h for h in REQUIRED_HEADERS if header_key(h) not in keys]
    if missing:
        raise BatchError(
            "csv_columns_missing",
            "Faltam colunas na planilha: "
            + ", ".join(missing)
            + ". Use o modelo para baixar (a primeira linha tem os nomes das colunas).",
            "csv_file",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise BatchError(
                    "csv_too_many_rows",
                    f"A planilha tem mais de {MAX_ROWS} linhas: divida-a em lotes menores.",
                    "csv_file",
                )
            data = dict.fromkeys(FIELD_KEYS, "")
            for key, cell in zip(keys, record, strict=False):
                if key is not None:
                    data[key] = cell.strip()[:300]
            rows.append((reader.line_num, data))
    except csv.Error as error:
        raise BatchError(
            "csv_invalid",
            f"A planilha tem um erro na linha {reader.line_num}: {error}.",
            "csv_file",
        ) from None
    if not rows:
        raise BatchError("csv_empty", "A planilha não tem nenhuma linha de aluno.", "csv_file")
    return rows


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
    except (zipfile.BadZipFile, OSError):
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
            with archive.open(info) as entry:
                content = entry.read(MAX_DOCUMENT_BYTES + 1)
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
