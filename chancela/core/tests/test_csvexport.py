from __future__ import annotations

import csv
import io

import pytest

from chancela.core.csvexport import csv_cell, csv_document, csv_line


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=cmd|' /C calc'!A Silva", "'=cmd|' /C calc'!A Silva"),
        ("+5511987654321", "'+5511987654321"),
        ("-12", "'-12"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Ana Souza", "Ana Souza"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_it_neutralises_cells_a_spreadsheet_would_run(value, written):
    assert csv_cell(value) == written


def test_it_writes_semicolons_crlf_and_a_bom_that_read_back():
    document = csv_document(["nome", "código"], [["=1+1", "Inês; Araújo"]])
    assert document.startswith("\ufeff".encode())
    text = document.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
        ["nome", "código"],
        ["'=1+1", "Inês; Araújo"],
    ]
    assert csv_line(["-1"]) == "'-1\r\n"
