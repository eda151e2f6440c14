"""An admin follows Clicksign's callbacks on the monitor screen in a real browser."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from chancela.callbacks.models import CallbackState, InboundCallback
from chancela.testing.browser import login, open_menu, save_screenshot
from chancela.testing.factories import MANAGE_CONFIG, make_config, make_unit, make_user
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process
from clicksign_emulator import webhook_signature

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "e" * 32


def test_it_shows_received_and_rejected_callbacks_and_reprocesses_one(page, tmp_path):
    unit = make_unit(name="Campus Centro")
    config = make_config(unit, name="Clicksign Sandbox", webhook_secret=SECRET)
    make_user(units=[unit], perms=[MANAGE_CONFIG], username="ti", password="senha-forte-123")
    body = json.dumps(
        {"event": {"name": "upload", "data": {}, "occurred_at": "2026-08-10T10:00:00.000-03:00"},
         "document": {"key": "doc-desconhecido", "account_key": "", "metadata": {}, "events": []}}
    ).encode()  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        url = f"{base}/callbackclicksign/{config.public_id}"
        headers = {"Content-Type": "application/json", "Event": "upload"}
        signed = httpx.post(
            url, content=body, headers={**headers, "Content-Hmac": webhook_signature(SECRET, body)}
        )
        assert signed.status_code == 200
        assert httpx.post(url, content=body, headers=headers).status_code == 401
        InboundCallback.objects.update(state=CallbackState.FAILED, last_error="Falhou de teste.")

        login(page, base, "ti", "senha-forte-123")
        open_menu(page, "Retornos da Clicksign")
        expect(page.get_by_role("heading", name="Retornos da Clicksign")).to_be_visible()
        expect(page.get_by_text("Sandbox — sem validade jurídica").first).to_be_visible()
        save_screenshot(page, "retornos-verificados")
        page.get_by_role("link", name="Recusados").click()
        expect(page.get_by_text("Sem assinatura (Content-Hmac)")).to_be_visible()
        save_screenshot(page, "retornos-recusados")
        page.get_by_role("link", name="Com falha").click()
        expect(page.get_by_text("Falhou de teste.")).to_be_visible()
        expect(page.get_by_text("Documento recebido pela Clicksign")).to_be_visible()
        assert "upload" not in page.locator("main table").inner_text()  # no wire codes
        page.get_by_role("button", name="Reprocessar os marcados").click()
        expect(page.get_by_text("Retorno enviado para reprocessamento.")).to_be_visible()
        save_screenshot(page, "retornos-reprocessar")
    assert InboundCallback.objects.get().state == CallbackState.RECEIVED
