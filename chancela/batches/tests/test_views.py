"""The batch screens: permission, unit filter, upload, review, fix, exclude, start, progress."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chancela.batches.columns import XLSX_CONTENT_TYPE
from chancela.batches.models import Batch, BatchRow, BatchStatus
from chancela.batches.tests.helpers import (
    MALFORMED_ZIP_KINDS,
    csv_bytes,
    good_row,
    malformed_zip,
    xlsx_bytes,
    zip_for,
)
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db


def upload(client, unit, document_type, rows, **extra):
    return client.post(
        reverse("batches:batch_new"),
        {
            "unit": unit.pk,
            "document_type": document_type.pk,
            "title": "Rematrícula 2027",
            "csv_file": SimpleUploadedFile("turma.csv", csv_bytes(rows), "text/csv"),
            "zip_file": SimpleUploadedFile("pdfs.zip", zip_for(rows), "application/zip"),
            **extra,
        },
    )


@pytest.fixture
def staff(client, sendable):
    unit, _ = sendable
    user = make_user(units=[unit], perms=[SEND_DOCUMENTS])
    client.force_login(user)
    return user


def test_it_needs_the_send_permission(client, sendable):
    unit, _ = sendable
    client.force_login(make_user(units=[unit]))
    assert client.get(reverse("batches:batch_list")).status_code == 403


def test_it_offers_the_csv_template(client, staff):
    response = client.get(reverse("batches:template"))
    assert response.status_code == 200
    assert response.content.startswith("\ufeffcodigo_aluno;nome_aluno".encode())


def test_it_offers_the_same_template_as_an_excel_workbook(client, staff):
    from chancela.batches.uploads import spreadsheet_rows_read

    response = client.get(reverse("batches:template_xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('modelo-envio-em-lote.xlsx"')
    rows = spreadsheet_rows_read(
        io.BytesIO(response.content), name="modelo.xlsx", size=len(response.content)
    )
    assert rows[0][1]["student_code"]


def test_it_checks_an_excel_upload_as_it_checks_a_csv(client, staff, sendable):
    unit, document_type = sendable
    rows = [good_row(0), good_row(1, student_email="sem-arroba")]
    response = client.post(
        reverse("batches:batch_new"),
        {
            "unit": unit.pk,
            "document_type": document_type.pk,
            "title": "Rematrícula 2027",
            "csv_file": SimpleUploadedFile("turma.xlsx", xlsx_bytes(rows), XLSX_CONTENT_TYPE),
            "zip_file": SimpleUploadedFile("pdfs.zip", zip_for(rows), "application/zip"),
        },
    )
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert batch.csv_filename == "turma.xlsx"
    assert batch.rows.count() == 2
    assert [row.line for row in batch.rows.order_by("line")] == [2, 3]
    bad = batch.rows.get(line=3)
    assert any("e-mail do aluno" in problem["message"] for problem in bad.problems)


def test_it_shows_the_problems_and_masks_the_cpf(client, staff, sendable):
    unit, document_type = sendable
    rows = [good_row(0), good_row(1, student_email="sem-arroba")]
    response = upload(client, unit, document_type, rows)
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/lotes/{batch.public_id}/"
    )
    page = client.get(response["Location"]).content.decode()
    assert "O e-mail do aluno (“sem-arroba”) é inválido." in page
    assert rows[1]["student_cpf"] not in page and rows[1]["guardian_cpf"] not in page
    assert f"***.{rows[1]['student_cpf'][3:6]}" in page
    assert "1 linha com problema" in page


def test_it_keeps_the_form_and_explains_a_bad_csv(client, staff, sendable):
    unit, document_type = sendable
    response = client.post(
        reverse("batches:batch_new"),
        {
            "unit": unit.pk,
            "document_type": document_type.pk,
            "title": "Rematrícula 2027",
            "csv_file": SimpleUploadedFile("turma.csv", b"nome;email\nAna Souza;a@b.com\n"),
            "zip_file": SimpleUploadedFile("pdfs.zip", zip_for([good_row(0)])),
        },
    )
    assert response.status_code == 200
    assert "Faltam colunas na planilha" in response.content.decode()
    assert 'value="Rematrícula 2027"' in response.content.decode()


def test_it_does_not_offer_document_types_of_other_units(client, staff, sendable):
    other = make_unit()
    foreign = make_document_type(make_config(other), name="Tipo de outra unidade")
    page = client.get(reverse("batches:batch_new")).content.decode()
    assert "Contrato de rematrícula" in page and "Tipo de outra unidade" not in page
    unit, _ = sendable
    response = upload(client, unit, foreign, [good_row(0)])
    assert response.status_code == 200 and Batch.objects.count() == 0


def test_it_answers_404_for_another_units_batch(client, staff):
    other = make_unit()
    user = make_user(units=[other], perms=[SEND_DOCUMENTS])
    document_type = make_document_type(make_config(other))
    client.force_login(user)
    upload(client, other, document_type, [good_row(0)])
    batch = Batch.objects.get()
    client.force_login(staff)
    for name in ("batch_detail", "batch_progress"):
        assert client.get(reverse(f"batches:{name}", args=[batch.public_id])).status_code == 404
    assert client.post(reverse("batches:batch_run", args=[batch.public_id])).status_code == 404
    edit = reverse("batches:row_edit", args=[batch.public_id, 2])
    assert client.get(edit).status_code == 404


def test_it_fixes_a_row_inline_and_starts(client, staff, sendable):
    unit, document_type = sendable
    rows = [good_row(0), good_row(1, guardian_name="Carlos")]
    upload(client, unit, document_type, rows)
    batch = Batch.objects.get()
    edit = reverse("batches:row_edit", args=[batch.public_id, 3])
    fragment = client.get(edit, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<tr id="linha-3">') and 'value="Carlos"' in fragment
    response = client.post(edit, {**rows[1], "guardian_name": "Carlos Souza"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Linha 3 corrigida." in page
    assert "Todas as 2 linhas incluídas estão prontas para envio." in page
    client.post(reverse("batches:batch_run", args=[batch.public_id]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING
    progress = client.get(reverse("batches:batch_progress", args=[batch.public_id])).content
    assert b'hx-trigger="every 1s"' in progress and b"0 de 2 linhas processadas" in progress


def test_it_excludes_a_row_and_the_rows_with_problems(client, staff, sendable):
    unit, document_type = sendable
    rows = [good_row(0), good_row(1, age=17, student_email=""), good_row(2, student_name="Ana")]
    upload(client, unit, document_type, rows)
    batch = Batch.objects.get()
    client.post(reverse("batches:row_exclude", args=[batch.public_id, 3]), {"excluir": "1"})
    client.post(reverse("batches:batch_exclude_problems", args=[batch.public_id]))
    page = client.get(reverse("batches:batch_detail", args=[batch.public_id])).content.decode()
    assert "1 incluída · 0 com problemas · 2 excluídas" in page


def test_it_exports_the_occurrence_log_without_cpfs(client, staff, sendable):
    from chancela.batches.services import batch_process

    unit, document_type = sendable
    rows = [good_row(0), good_row(1)]
    upload(client, unit, document_type, rows)
    batch = Batch.objects.get()
    client.post(reverse("batches:batch_run", args=[batch.public_id]))
    batch_process(batch_id=str(batch.public_id))
    page = client.get(reverse("batches:batch_detail", args=[batch.public_id])).content.decode()
    assert "2 de 2 linhas processadas (100%)" in page and "hx-trigger" not in page
    response = client.get(reverse("batches:batch_occurrences_csv", args=[batch.public_id]))
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "linha;codigo_aluno;nome_aluno;resultado;solicitacao;motivo"
    assert lines[1].startswith("2;A00000;") and "Solicitação criada" in lines[1]
    assert rows[0]["student_cpf"] not in text


def test_it_neutralises_formulas_in_the_occurrence_log(client, staff, sendable):
    from chancela.batches.services import batch_process

    unit, document_type = sendable
    rows = [good_row(0, student_name="=cmd|' /C calc'!A Silva")]
    upload(client, unit, document_type, rows)
    batch = Batch.objects.get()
    client.post(reverse("batches:batch_run", args=[batch.public_id]))
    batch_process(batch_id=str(batch.public_id))
    response = client.get(reverse("batches:batch_occurrences_csv", args=[batch.public_id]))
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("2;A00000;'=cmd|' /C calc'!A Silva;Solicitação criada;")


@pytest.mark.parametrize("kind", MALFORMED_ZIP_KINDS)
def test_it_answers_a_malformed_zip_entry_with_a_message_and_stores_nothing(
    client, staff, sendable, kind, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    unit, document_type = sendable
    rows = [good_row(1), good_row(2)]
    response = upload(
        client,
        unit,
        document_type,
        rows,
        zip_file=SimpleUploadedFile("pdfs.zip", malformed_zip(rows, kind), "application/zip"),
    )
    assert response.status_code == 200
    assert "“A00002.pdf” dentro do ZIP" in response.content.decode()
    assert not Batch.objects.exists() and not BatchRow.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_it_names_the_size_sent_of_an_oversized_pdf_when_fixing_a_row(client, staff, sendable):
    unit, document_type = sendable
    rows = [good_row(0), good_row(1)]
    upload(client, unit, document_type, rows)
    batch = Batch.objects.get()
    edit = reverse("batches:row_edit", args=[batch.public_id, 3])
    # The upload handler keeps one byte over the 10 MB limit; the message tells the 12 MB sent.
    big = SimpleUploadedFile("grande.pdf", b"%PDF-1.4\n" + b"0" * (12 * 1024 * 1024))
    response = client.post(edit, {**rows[1], "pdf": big})
    assert response.status_code == 302
    row = BatchRow.objects.get(batch=batch, line=3)
    (problem,) = [p for p in row.problems if p["field"] == "pdf"]
    assert problem["code"] == "pdf_too_large"
    assert "“grande.pdf” tem 12 MB; o limite da Clicksign é 10 MB" in problem["message"]
    assert row.pdf_path == ""
