"""A secretaria sends a class of 50 in a real browser against the real server and worker."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chancela.batches.models import Batch, BatchStatus, RowState
from chancela.batches.tests.helpers import good_row, xlsx_bytes, zip_for
from chancela.signing.models import SignatureRequest
from chancela.testing.browser import login, save_screenshot
from chancela.testing.factories import SEND_DOCUMENTS, make_document_type, make_user
from chancela.testing.processes import (
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
    worker_process,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def class_of_50() -> list[dict[str, str]]:
    rows = [good_row(n, age=15 if n % 2 else 17) for n in range(50)]
    rows[9]["student_email"] = "joana.silva-at-example.com"  # invalid e-mail
    rows[19]["guardian_name"] = "Roberto"  # one-word name
    for key in ("guardian_name", "guardian_email", "guardian_cpf", "guardian_phone"):
        rows[29][key] = ""  # a minor without a guardian
    return rows


def test_it_runs_a_batch_of_50_where_the_preflight_catches_3(page, tmp_path, emulated_config):
    unit = emulated_config.unit
    unit.name = "Colégio Centro"
    unit.save()
    make_document_type(emulated_config, units=[unit], name="Contrato de rematrícula")
    make_user(units=[unit], perms=[SEND_DOCUMENTS], username="secretaria", password="senha-123-x")
    rows = class_of_50()
    # The class list as secretarias keep it: an Excel workbook (the CSV path has its own tests).
    csv_path, zip_path = tmp_path / "turma-9A.xlsx", tmp_path / "pdfs-9A.zip"
    csv_path.write_bytes(xlsx_bytes(rows))
    zip_path.write_bytes(zip_for(rows))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env()
    with running(web_process(port, tmp_path, env, workers=1), worker_process(tmp_path, env)) as (
        web,
        _worker,
    ):
        wait_for_http(f"{base}/entrar/", process=web)
        login(page, base, "secretaria", "senha-123-x")
        page.get_by_role("link", name="Envio em lote").click()
        save_screenshot(page, "lote-lista")
        page.get_by_role("link", name="Novo envio em lote").click()
        page.get_by_label("Unidade").select_option(label="Colégio Centro")
        page.get_by_label("Tipo de documento").select_option(label="Contrato de rematrícula")
        page.get_by_label("Título").fill("Rematrícula 2027 — 9º ano A")
        page.get_by_label("Planilha (Excel .xlsx ou CSV)").set_input_files(str(csv_path))
        page.get_by_label("PDFs (ZIP)").set_input_files(str(zip_path))
        save_screenshot(page, "lote-novo")
        page.get_by_role("button", name="Conferir lote").click()

        # The pre-flight lists the three bad rows (lines 11, 21 and 31 of the CSV).
        expect(page.get_by_text("3 linhas com problemas: corrija ou exclua")).to_be_visible()
        expect(
            page.get_by_text("O e-mail do aluno (“joana.silva-at-example.com”) é inválido.")
        ).to_be_visible()
        expect(page.get_by_text("O nome do responsável (“Roberto”) não é completo")).to_be_visible()
        expect(page.get_by_text("Aluno menor de idade (15 anos) sem responsável")).to_be_visible()
        expect(
            page.get_by_role("button", name="Corrija ou exclua as linhas com problema para enviar")
        ).to_be_disabled()
        assert rows[9]["student_cpf"] not in page.content()  # CPF masked
        save_screenshot(page, "lote-conferencia")

        # A row can be fixed inline (htmx): open the form, look, cancel.
        page.get_by_role("link", name="Corrigir a linha 21").click()
        expect(page.get_by_role("form", name="Corrigir a linha 21")).to_be_visible()
        expect(page.get_by_label("Nome do responsável", exact=True)).to_have_value("Roberto")
        save_screenshot(page, "lote-corrigir-linha")
        page.get_by_role("link", name="Cancelar").click()

        page.get_by_role("button", name="Excluir as 3 linhas com problemas").click()
        expect(
            page.get_by_text("Todas as 47 linhas incluídas estão prontas para envio.")
        ).to_be_visible()
        save_screenshot(page, "lote-pronto")
        page.get_by_role("button", name="Iniciar envio de 47 documentos").click()

        # The progress bar follows the background run (htmx polling) to the end.
        expect(page.get_by_test_id("progress-text")).to_have_text(
            "47 de 47 linhas processadas (100%)", timeout=120_000
        )
        expect(page.get_by_text("Concluído", exact=True).first).to_be_visible()
        # The header's badge follows the progress without a reload.
        expect(page.locator("#batch-status")).to_have_text("Concluído")
        save_screenshot(page, "lote-concluido")

    batch = Batch.objects.get()
    assert batch.status == BatchStatus.DONE
    assert batch.rows.filter(state=RowState.CREATED).count() == 47
    assert batch.rows.filter(excluded=True).count() == 3
    requests = SignatureRequest.objects.filter(external_id__startswith=f"lote-{batch.public_id}-")
    assert requests.count() == 47 == SignatureRequest.objects.count()
