"""The one CSV writer of every export Chancela produces.

Semicolon-separated, CRLF line ends, UTF-8 with a BOM (what spreadsheet programs in Brazil open
directly). A cell a spreadsheet would run as a formula — one starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (OWASP "CSV injection") — is prefixed with an apostrophe, so a
student named ``=cmd|' /C calc'!A`` or a code like ``-12`` is shown as typed, never run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


_writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")


def csv_line(row: Iterable[object]) -> str:
    """One CSV line (with its CRLF), every cell neutralised."""
    return str(_writer.writerow([csv_cell(value) for value in row]))


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The BOM and header line, then one line per row — for a streaming response."""
    yield BOM + csv_line(header)
    for row in rows:
        yield csv_line(row)


def csv_document(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """A whole small CSV file, encoded."""
    return "".join(csv_lines(header, rows)).encode("utf-8")
