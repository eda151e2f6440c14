"""The whole path in a real browser against the real processes (gunicorn web, db_worker, the
Clicksign emulator): log in, configure, send one document, sign it on the emulator's signing
page, see "Assinado", download the signed PDF.

The request goes through the real dispatch saga (worker) and the real callbacks inbox (the
emulator's webhooks, delivered automatically to the web process).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from chancela.esign.models import SignatureConfig
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.browser import login, open_menu, save_screenshot
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    make_document_type,
    make_pdf_bytes,
    make_person,
    make_unit,
    make_user,
)
from chancela.testing.processes import (
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
    worker_process,
)
from clicksign_emulator import DEMO_API_USER_EMAIL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "senha-forte-123"


def wait_until(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy (a wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


def test_it_sends_signs_and_downloads_in_the_browser(page, tmp_path, settings, clicksign_emulator):
    from chancela.testing.clicksign import point_clicksign_at

    point_clicksign_at(settings, clicksign_emulator)
    control = clicksign_emulator.control
    control.webhook_settings(mode="automatic")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings.PUBLIC_URL = base  # the webhook URL the configuration registers at Clicksign
    unit = make_unit(name="Colégio Centro")
    make_user(
        units=[unit],
        perms=[MANAGE_CONFIG, SEND_DOCUMENTS],
        username="secretaria",
        password=PASSWORD,
    )
    make_person(unit, name="Helena Duarte Campos", email="helena@familia.com.br")
    pdf = tmp_path / "contrato-matricula.pdf"
    pdf.write_bytes(make_pdf_bytes(text="Contrato de matrícula 2027"))
    env = process_env()
    with running(web_process(port, tmp_path, env, workers=1), worker_process(tmp_path, env)) as (
        web,
        worker,
    ):
        wait_for_http(f"{base}/entrar/", process=web)
        login(page, base, "secretaria", PASSWORD)

        # Configure: the configuration screen, "Testar conexão", "Registrar webhook".
        open_menu(page, "Configuração")
        page.get_by_role("link", name="Nova configuração").click()
        page.get_by_label("Descrição").fill("Clicksign Homologação")
        page.get_by_label("Sandbox (homologação)").check()
        page.get_by_label("E-mail do usuário da API").fill(DEMO_API_USER_EMAIL)
        page.get_by_label("Chave de autenticação (Token)").fill(clicksign_emulator.token)
        page.get_by_label("Email para notificações").fill("ti@escola.edu.br")
        page.get_by_role("button", name="Salvar").click()
        expect(page.get_by_role("heading", name="Dados da integração")).to_be_visible()
        page.get_by_role("button", name="Testar conexão").click()
        page.get_by_role("button", name="Registrar webhook na Clicksign").click()
        save_screenshot(page, "e2e-configuracao")
        config = SignatureConfig.objects.get()
        assert config.clicksign_webhook_id
        make_document_type(config, name="Contrato de matrícula", code="CONTRATO")

        # Send one document to an adult student picked from the unit's people.
        open_menu(page, "Enviar")
        page.locator("#id_unit").select_option(label="Colégio Centro")
        page.locator("#id_document_type").select_option(label="Contrato de matrícula")
        page.locator("#id_documents").set_input_files(str(pdf))
        page.locator("#id_q").fill("Helena")
        page.get_by_role("button", name="Buscar", exact=True).click()
        page.get_by_role("button", name="Escolher como aluno").first.click()
        page.get_by_role("button", name="Pré-visualizar").click()
        expect(page.get_by_text("Helena Duarte Campos").first).to_be_visible()
        save_screenshot(page, "e2e-envio-pre-visualizacao")
        page.get_by_role("button", name="Enviar para assinatura").click()
        expect(page.get_by_text("Documento enviado para assinatura")).to_be_visible()
        request = SignatureRequest.objects.get()

        # The dispatch notifies the signer: the emulator's "mailbox" has the signing link.
        def signing_url() -> str | None:
            request.refresh_from_db()
            if not request.clicksign_envelope_id:
                return None
            sent = control.notifications(envelope_id=request.clicksign_envelope_id)
            return sent[0]["signing_url"] if sent else None

        url = wait_until(signing_url, timeout=90, what="the signing invitation")
        page.goto(url)
        page.get_by_role("button", name="Assinar").click()
        save_screenshot(page, "e2e-emulador-assinado")

        # The callback arrives, the signed PDF is archived: "Assinado" on the request page.
        def signed() -> bool:
            request.refresh_from_db()
            return request.status == RequestStatus.SIGNED and all(
                d.signed_file for d in request.documents.all()
            )

        wait_until(signed, timeout=120, what="the request to be signed and archived")
        page.goto(f"{base}/solicitacoes/{request.public_id}/")
        expect(page.locator(".lead .badge").first).to_have_text("Assinado")
        save_screenshot(page, "e2e-solicitacao-assinada")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="assinado", exact=True).click()
        download = download_info.value
        assert download.suggested_filename == (
            "contrato-matricula-assinado-SANDBOX-sem-validade-juridica.pdf"
        )
        with open(download.path(), "rb") as signed_pdf:
            assert signed_pdf.read(5) == b"%PDF-"
        assert worker.running
