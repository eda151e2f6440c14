"""A person promotes a sandbox configuration to production in a real browser, against the real
web server (gunicorn) and the Clicksign emulator, both as processes; then cleans up the sandbox's
signer registrations. Screenshots of every step go to ``artifacts/screenshots/``."""

from __future__ import annotations

import re
import sys

import pytest
from playwright.sync_api import expect

from chancela.esign.models import ConfigPromotion, DocumentType, SignatureConfig
from chancela.esign.models import SignerRegistration as Registration
from chancela.testing.browser import login, open_menu, save_screenshot
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_person,
    make_signature_request,
    make_signer_registration,
    make_unit,
    make_user,
)
from chancela.testing.processes import (
    ManagedProcess,
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
)
from clicksign_emulator import DEMO_API_USER_EMAIL, DEMO_SANDBOX_TOKEN, ControlClient

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNKNOWN_TOKEN = "4b5c6d7e-0000-4000-8000-00000000dead"


def test_it_lets_an_admin_promote_a_sandbox_to_production_in_the_browser(page, settings, tmp_path):
    emulator_port, web_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    base = f"http://127.0.0.1:{web_port}"
    settings.CLICKSIGN_URLS = {"sandbox": emulator_url, "production": emulator_url}
    settings.PUBLIC_URL = base

    unit = make_unit(name="Campus Centro")
    make_user(
        units=[unit], perms=[MANAGE_CONFIG, SEND_DOCUMENTS], username="ti", password="s3nha-forte"
    )
    sandbox = make_config(
        unit,
        name="Clicksign Homologação",
        token=DEMO_SANDBOX_TOKEN,
        api_user_email=DEMO_API_USER_EMAIL,
        notification_email="ti@escola.edu.br",
        require_handwritten=True,
    )
    contract = make_document_type(sandbox, name="Contrato de matrícula", code="CONTRATO")
    make_document_type(sandbox, name="Declaração de teste", code="DECL_TESTE")
    in_flight = make_signature_request(unit, contract)
    make_signer_registration(sandbox, make_person(unit, email="teste@escola.edu.br"))

    emulator = ManagedProcess(
        "emulator",
        [sys.executable, "-m", "clicksign_emulator", "--port", str(emulator_port),
         "--webhook-mode", "manual"],
        process_env(),
        tmp_path / "emulator.log",
    )  # fmt: skip
    web = web_process(web_port, tmp_path, process_env(), workers=1)
    with running(emulator, web):
        wait_for_http(f"{emulator_url}/__emulator/health", process=emulator)
        wait_for_http(f"{base}/entrar/", process=web)
        production = ControlClient(emulator_url).create_account(
            environment="production", api_user_email="api.producao@escola.edu.br"
        )
        login(page, base, "ti", "s3nha-forte")
        open_menu(page, "Configuração")
        page.get_by_role("link", name="Clicksign Homologação").click()
        save_screenshot(page, "promocao-0-sandbox")
        page.get_by_role("link", name="Promover para produção").click()

        # 1. Dados da produção: prefilled from the sandbox, token and e-mail asked.
        expect(page.get_by_label("Descrição")).to_have_value("Clicksign Produção")
        expect(page.get_by_label("Email para notificações")).to_have_value("ti@escola.edu.br")
        expect(page.get_by_label("Solicita assinatura manuscrita")).to_be_checked()
        expect(page.get_by_label("E-mail do usuário da API")).to_have_value("")
        page.get_by_label("E-mail do usuário da API").fill("api.producao@escola.edu.br")
        page.get_by_label("Chave de autenticação (Token)").fill(UNKNOWN_TOKEN)
        save_screenshot(page, "promocao-1-dados")
        page.get_by_role("button", name="Criar rascunho e continuar").click()

        # 2. Testar conexão fails (401): no way forward.
        page.get_by_role("button", name="Testar conexão").click()
        expect(page.get_by_text("Token inválido: a Clicksign (produção) recusou")).to_be_visible()
        expect(page.get_by_role("link", name="Continuar", exact=True)).to_have_count(0)
        save_screenshot(page, "promocao-2-conexao-falhou")

        # Back to step 1 with the right token.
        page.get_by_role("link", name=re.compile("Dados da produção")).click()
        page.get_by_label("Chave de autenticação (Token)").fill(production["token"])
        page.get_by_role("button", name="Salvar e continuar").click()
        page.get_by_role("button", name="Testar conexão").click()
        expect(page.get_by_text("Conexão com a Clicksign (produção) funcionando")).to_be_visible()
        save_screenshot(page, "promocao-2-conexao-ok")
        page.get_by_role("link", name="Continuar", exact=True).click()

        # 3. Webhook registered by Chancela on the production account.
        page.get_by_role("button", name="Registrar webhook na Clicksign").click()
        expect(page.get_by_text("Webhook registrado na Clicksign")).to_be_visible()
        save_screenshot(page, "promocao-3-webhook")
        page.get_by_role("link", name="Continuar", exact=True).click()

        # 4. Document types: the test declaration stays on the sandbox.
        expect(page.get_by_label("Contrato de matrícula")).to_be_checked()
        page.get_by_label("Declaração de teste").uncheck()
        save_screenshot(page, "promocao-4-tipos-de-documento")
        page.get_by_role("button", name="Continuar").click()

        # 5. Confirm.
        expect(page.get_by_text("1 solicitação(ões) já enviada(s) pela Sandbox")).to_be_visible()
        save_screenshot(page, "promocao-5-confirmar")
        page.get_by_role("button", name="Concluir a promoção").click()
        expect(page.get_by_text("Promoção concluída")).to_be_visible()
        expect(page.get_by_role("heading", name="Clicksign Produção")).to_be_visible()
        save_screenshot(page, "promocao-concluida")

        # The sandbox's registrations are its own; cleaning them up is tidying, done safely.
        open_menu(page, "Configuração")
        page.get_by_role("link", name="Limpeza de pessoas registradas").click()
        page.get_by_label("Campus Centro").check()
        page.get_by_role("button", name="Simular (não remove nada)").click()
        expect(page.get_by_text("Simulação: 1 registro(s) seriam removidos")).to_be_visible()
        save_screenshot(page, "limpeza-pessoas-registradas-simulacao")
        page.get_by_label(re.compile("Confirmo a remoção definitiva")).check()
        page.get_by_role("button", name="Remover 1 registro(s)").click()
        expect(
            page.get_by_text("1 pessoa(s) registrada(s) para assinatura removida(s)")
        ).to_be_visible()
        save_screenshot(page, "limpeza-pessoas-registradas-removidas")

    sandbox.refresh_from_db()
    target = SignatureConfig.objects.get(environment="production")
    assert target.active and not sandbox.active
    assert target.token == production["token"] and target.clicksign_webhook_id
    assert ConfigPromotion.objects.get().status == "completed"
    assert DocumentType.objects.get(code="CONTRATO").config == target
    assert DocumentType.objects.get(code="DECL_TESTE").config == sandbox
    in_flight.refresh_from_db()
    assert in_flight.config == sandbox and in_flight.is_sandbox
    assert not Registration.objects.exists()
