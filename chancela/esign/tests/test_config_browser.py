"""A person configures Clicksign in a real browser against the real server."""

import pytest
from playwright.sync_api import expect

from chancela.esign.models import SignatureConfig
from chancela.testing.browser import login, open_menu, save_screenshot
from chancela.testing.factories import MANAGE_CONFIG, make_unit, make_user
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_an_admin_create_a_configuration_in_the_browser(page, tmp_path):
    unit = make_unit(name="Campus Centro")
    make_user(units=[unit], perms=[MANAGE_CONFIG], username="ti", password="senha-forte-123")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        login(page, base, "ti", "senha-forte-123")
        open_menu(page, "Configuração")
        save_screenshot(page, "configuracoes-lista-vazia")
        page.get_by_role("link", name="Nova configuração").click()
        page.get_by_label("Descrição").fill("Clicksign Homologação")
        page.get_by_label("Sandbox (homologação)").check()
        page.get_by_label("E-mail do usuário da API").fill("api@escola.edu.br")
        page.get_by_label("Chave de autenticação (Token)").fill("not-a-token")
        page.get_by_label("Email para notificações").fill("ti@escola.edu.br")
        page.get_by_role("button", name="Salvar").click()
        # the error is next to the field and what was typed is kept
        expect(page.get_by_text("O token da Clicksign tem 36 caracteres")).to_be_visible()
        expect(page.get_by_label("E-mail do usuário da API")).to_have_value("api@escola.edu.br")
        save_screenshot(page, "configuracao-erro-de-token")
        page.get_by_label("Chave de autenticação (Token)").fill(
            "aa11bb22-cc33-4d44-8e55-ff6677889900"
        )
        page.get_by_role("button", name="Salvar").click()
        expect(page.get_by_role("heading", name="Dados da integração")).to_be_visible()
        expect(page.get_by_text("Sandbox — sem validade jurídica").first).to_be_visible()
        assert "aa11bb22-cc33-4d44-8e55-ff6677889900" not in page.content()
        save_screenshot(page, "configuracao-detalhe")
    config = SignatureConfig.objects.get()
    assert config.name == "Clicksign Homologação" and config.environment == "sandbox"
