"""bulk_insert writes what bulk_create would (COPY on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import transaction

from chancela.batches.models import Batch, BatchRow
from chancela.core.bulk import bulk_insert
from chancela.testing.factories import make_config, make_document_type, make_unit

pytestmark = pytest.mark.django_db

AWKWARD = 'aspas "duplas", \\barra\\, tab\t, linha\nnova, \\N, acentuação “curva” \x7f'


def _rows(batch):
    return [
        BatchRow(
            batch=batch,
            unit=batch.unit,
            line=line,
            data={"student_name": AWKWARD, "n": line, "empty": "", "nothing": None},
            problems=[{"field": "pdf", "code": "x", "message": AWKWARD}] if line % 2 else [],
            pdf_path="" if line % 3 else f"batches/{line}.pdf",
            pdf_filename=AWKWARD[:50],
            duplicate_of=None if line % 2 else line - 1,
            excluded=bool(line % 4 == 0),
        )
        for line in range(2, 40)
    ]


def _stored(batch):
    return list(
        BatchRow.objects.filter(batch=batch)
        .order_by("line")
        .values(
            "unit_id",
            "line",
            "data",
            "problems",
            "pdf_path",
            "pdf_filename",
            "duplicate_of",
            "excluded",
            "state",
            "error",
            "request_id",
            "processed_at",
            "anonymised_at",
        )
    )


def test_it_writes_the_same_rows_as_bulk_create():
    unit = make_unit()
    document_type = make_document_type(make_config(unit))
    first = Batch.objects.create(unit=unit, document_type=document_type, title="a")
    second = Batch.objects.create(unit=unit, document_type=document_type, title="b")
    BatchRow.objects.bulk_create(_rows(first))
    with transaction.atomic():
        bulk_insert(_rows(second))
    assert len(_stored(second)) == 38
    assert _stored(second) == _stored(first)


def test_it_writes_nothing_for_no_rows():
    bulk_insert([])
    assert not BatchRow.objects.exists()
