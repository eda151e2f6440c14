"""Creating a batch (pre-flight), fixing and excluding rows, and the resumable run."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.batches.errors import BatchError
from chancela.batches.models import Batch, BatchRow, BatchStatus, RowState
from chancela.batches.selectors import batch_counts
from chancela.batches.services import (
    RowPdf,
    batch_create,
    batch_exclude_rows_with_problems,
    batch_process,
    batch_row_exclude,
    batch_row_update,
    batch_start,
    batches_resume_stalled,
    row_external_id,
)
from chancela.batches.tests.helpers import csv_bytes, good_row, pdf, zip_bytes, zip_for
from chancela.batches.uploads import ZipReport, csv_rows_read, zip_pdfs_read
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.factories import make_pdf_bytes

pytestmark = pytest.mark.django_db


def create(sendable, rows, *, zip_data=None, **kwargs):
    unit, document_type = sendable
    zip_data = zip_for(rows) if zip_data is None else zip_data
    report = ZipReport(notes=[])
    return batch_create(
        unit=unit,
        document_type=document_type,
        title="Rematrícula 2027",
        rows=csv_rows_read(csv_bytes(rows)),
        zip_pdfs=zip_pdfs_read(io.BytesIO(zip_data), size=len(zip_data), report=report),
        notes=report.notes,
        **kwargs,
    )


def row(batch, line):
    return BatchRow.objects.select_related("batch").get(batch=batch, line=line)


def run_to_end(batch):
    batch_process(batch_id=str(batch.public_id))
    batch.refresh_from_db()


def test_it_stores_a_batch_in_conference_with_each_rows_problems(sendable):
    rows = [good_row(n) for n in range(4)]
    rows[1]["student_cpf"] = "12345678900"
    rows[3]["student_code"] = rows[0]["student_code"]
    batch = create(sendable, rows)
    assert batch.status == BatchStatus.DRAFT
    assert [p["code"] for p in row(batch, 3).problems] == ["cpf_invalid"]
    assert row(batch, 5).duplicate_of == 2
    assert row(batch, 2).problems == [] and row(batch, 2).pdf_path
    assert default_storage.exists(row(batch, 2).pdf_path)
    counts = batch_counts(batch=batch)
    assert (counts.rows, counts.with_problems) == (4, 2)
    assert SignatureRequest.objects.count() == 0  # nothing is sent before the start


def test_it_flags_a_missing_pdf_and_an_invalid_pdf(sendable):
    rows = [good_row(n) for n in range(3)]
    data = zip_bytes(
        {
            "A00000.pdf": pdf(),
            "A00001.pdf": make_pdf_bytes(encrypted=True),
            "SOBRA.pdf": pdf(),
        }
    )
    batch = create(sendable, rows, zip_data=data)
    assert [p["code"] for p in row(batch, 3).problems] == ["pdf_encrypted"]
    assert [p["code"] for p in row(batch, 4).problems] == ["pdf_missing"]
    assert "“SOBRA.pdf” não corresponde a nenhuma linha da planilha." in batch.file_notes


def test_it_refuses_a_document_type_the_unit_cannot_send(sendable):
    unit, document_type = sendable
    document_type.active = False
    document_type.save()
    with pytest.raises(BatchError) as error:
        create(sendable, [good_row(1)])
    assert error.value.code == "document_type_inactive"
    assert Batch.objects.count() == 0


def test_it_lets_the_user_fix_a_row_inline(sendable):
    rows = [good_row(0), good_row(1, student_email="errado")]
    batch = create(sendable, rows)
    fixed = batch_row_update(
        row=row(batch, 3), data={**rows[1], "student_email": "certo@example.com"}
    )
    assert fixed.problems == [] and not fixed.has_problems
    assert fixed.data["student_email"] == "certo@example.com"


def test_it_lets_the_user_replace_a_missing_pdf(sendable):
    rows = [good_row(0), good_row(1)]
    batch = create(sendable, rows, zip_data=zip_bytes({"A00000.pdf": pdf()}))
    assert row(batch, 3).has_problems
    fixed = batch_row_update(row=row(batch, 3), data={}, pdf=RowPdf("novo.pdf", pdf()))
    assert not fixed.has_problems and fixed.pdf_filename == "novo.pdf"


def test_it_clears_a_duplicate_when_the_first_row_is_excluded(sendable):
    rows = [good_row(0), good_row(1, student_code="A00000")]
    batch = create(sendable, rows, zip_data=zip_bytes({"A00000.pdf": pdf()}))
    assert row(batch, 3).duplicate_of == 2
    batch_row_exclude(row=row(batch, 2), excluded=True)
    assert row(batch, 3).duplicate_of is None
    batch_row_exclude(row=row(batch, 2), excluded=False)
    assert row(batch, 3).duplicate_of == 2


def test_it_excludes_every_row_with_problems_at_once(sendable):
    rows = [good_row(n) for n in range(5)]
    rows[1]["guardian_name"] = "Carlos"
    rows[4] = good_row(4, age=17, student_email="")
    batch = create(sendable, rows)
    assert batch_exclude_rows_with_problems(batch=batch) == 2
    counts = batch_counts(batch=batch)
    assert (counts.included, counts.excluded, counts.with_problems) == (3, 2, 0)


def test_it_refuses_to_start_while_an_included_row_has_problems(sendable):
    batch = create(sendable, [good_row(0), good_row(1, age=17, student_email="")])
    with pytest.raises(BatchError) as error:
        batch_start(batch=batch)
    assert error.value.code == "batch_has_problems" and "linhas 3" in error.value.message
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT


def test_it_runs_a_batch_creating_one_queued_request_per_included_row(sendable):
    rows = [good_row(n) for n in range(4)]
    rows[2] = good_row(2, age=17, student_email="")
    batch = create(sendable, rows)
    batch_exclude_rows_with_problems(batch=batch)
    batch_start(batch=batch)
    assert DBTaskResult.objects.filter(task_path="chancela.batches.tasks.run_batch").count() == 1
    run_to_end(batch)
    assert batch.status == BatchStatus.DONE and batch.finished_at
    requests = SignatureRequest.objects.order_by("external_id")
    assert requests.count() == 3
    assert {r.status for r in requests} == {RequestStatus.QUEUED}
    first = row(batch, 2)
    assert first.state == RowState.CREATED
    assert first.request.external_id == f"lote-{batch.public_id}-2"
    assert first.request.title.startswith("Rematrícula 2027 — Aluno")
    assert row(batch, 4).state == RowState.PENDING and row(batch, 4).excluded


def test_it_uses_the_rows_own_external_id_when_given(sendable):
    batch = create(sendable, [good_row(0, external_id="ERP-42")])
    batch_start(batch=batch)
    run_to_end(batch)
    assert SignatureRequest.objects.get().external_id == "ERP-42"
    assert row_external_id(batch=batch, row=row(batch, 2)) == "ERP-42"


def test_it_records_a_row_that_fails_at_creation_and_goes_on(sendable):
    # The external id was already used in the unit for another document: a conflict.
    batch = create(sendable, [good_row(0, external_id="ERP-1"), good_row(1)])
    unit, document_type = sendable
    from chancela.testing.factories import make_signature_request

    make_signature_request(unit, document_type, external_id="ERP-1")
    batch_start(batch=batch)
    run_to_end(batch)
    assert row(batch, 2).state == RowState.FAILED
    assert "ERP-1" in row(batch, 2).error
    assert row(batch, 3).state == RowState.CREATED
    assert batch.status == BatchStatus.DONE


def test_it_resumes_after_a_crash_without_sending_a_row_twice(sendable):
    batch = create(sendable, [good_row(n) for n in range(6)])
    batch_start(batch=batch)
    # A first worker handles two rows, then dies.
    assert batch_process(batch_id=str(batch.public_id), limit=2) == 2
    # It had also created the third row's request but died before marking the row.
    third = row(batch, 4)
    from chancela.batches.services import _row_create

    _row_create(batch, third)
    BatchRow.objects.filter(pk=third.pk).update(state=RowState.PENDING, request=None)
    assert SignatureRequest.objects.count() == 3
    # The sweeper notices the stale heartbeat and enqueues the run again.
    Batch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert batches_resume_stalled() == 1
    assert batches_resume_stalled() == 0  # claimed: not enqueued twice
    run_to_end(batch)
    assert batch.status == BatchStatus.DONE
    assert SignatureRequest.objects.count() == 6
    assert row(batch, 4).request is not None and row(batch, 4).state == RowState.CREATED
    # Running it yet again changes nothing.
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    run_to_end(batch)
    assert SignatureRequest.objects.count() == 6


def test_it_does_not_resume_a_batch_whose_worker_is_alive(sendable):
    batch = create(sendable, [good_row(0)])
    batch_start(batch=batch)
    assert batches_resume_stalled() == 0


def test_it_refuses_changes_once_started(sendable):
    batch = create(sendable, [good_row(0), good_row(1)])
    batch_start(batch=batch)
    with pytest.raises(BatchError):
        batch_row_exclude(row=row(batch, 2), excluded=True)
    with pytest.raises(BatchError):
        batch_row_update(row=row(batch, 2), data={})
    with pytest.raises(BatchError):
        batch_start(batch=batch)


def test_it_returns_the_same_batch_for_the_same_external_id(sendable):
    first = create(sendable, [good_row(0)], external_id="TURMA-7A")
    second = create(sendable, [good_row(0)], external_id="TURMA-7A")
    assert first.pk == second.pk and Batch.objects.count() == 1


def _stored_files(settings):
    from pathlib import Path

    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def test_it_refuses_the_pdf_a_checking_child_dies_on_and_still_judges_every_other_row(
    sendable, monkeypatch, settings
):
    # The PDFs are checked by forked children while the rows are checked; one child dies on the
    # third row's file (as the memory ceiling's SIGKILL would leave it). That row names its file;
    # the others, judged in a fresh child, are stored.
    import os

    from chancela.core import pdf as core_pdf

    monkeypatch.setattr(core_pdf, "INSPECT_CHUNK_FILES", 2)
    real = core_pdf._inspect_budgeted
    marked = make_pdf_bytes(pages=3)

    def dies_on_the_marked_file(data, deadline):
        if data == marked:
            os._exit(9)
        return real(data, deadline)

    monkeypatch.setattr(core_pdf, "_inspect_budgeted", dies_on_the_marked_file)
    rows = [good_row(n) for n in range(5)]
    files = {f"{r['student_code']}.pdf": make_pdf_bytes(pages=1) for r in rows}
    files["A00002.pdf"] = marked
    batch = create(sendable, rows, zip_data=zip_bytes(files))
    refused = row(batch, 4)
    assert [p["code"] for p in refused.problems] == ["pdf_too_complex"]
    assert "“A00002.pdf”" in refused.problems[0]["message"]
    assert refused.pdf_path == "" and refused.pdf_filename == "A00002.pdf"
    for line in (2, 3, 5, 6):
        accepted = row(batch, line)
        assert accepted.problems == [] and default_storage.exists(accepted.pdf_path)
    assert len(_stored_files(settings)) == 4


def test_it_stores_nothing_when_the_zip_is_refused_after_some_pdfs_were_judged(
    sendable, monkeypatch, settings
):
    # One PDF per child, so the first PDFs are judged (and stored) while the ZIP is still being
    # read; the last entry is damaged, the batch refused, and what was stored is removed.
    from chancela.batches.tests.helpers import malformed_zip
    from chancela.core import pdf as core_pdf

    monkeypatch.setattr(core_pdf, "INSPECT_CHUNK_FILES", 1)
    monkeypatch.setattr(core_pdf, "INSPECT_PENDING_BYTES", 1)  # judged before the next is read
    rows = [good_row(n) for n in range(4)]
    with pytest.raises(BatchError) as error:
        create(sendable, rows, zip_data=malformed_zip(rows, "bad_crc"))
    assert error.value.code == "zip_entry_invalid"
    assert "Nada foi guardado" in error.value.message
    assert _stored_files(settings) == []
    assert not Batch.objects.exists() and not BatchRow.objects.exists()


def test_it_stores_nothing_when_writing_the_rows_fails(sendable, monkeypatch, settings):
    from django.db import DatabaseError

    def refuses(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("chancela.batches.services.bulk_insert", refuses)
    with pytest.raises(DatabaseError):
        create(sendable, [good_row(n) for n in range(3)])
    assert _stored_files(settings) == []
    assert not Batch.objects.exists()
