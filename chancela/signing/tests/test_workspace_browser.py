"""The secretaria's workspace in a real browser (Debian chromium) against the real server:
dashboard, "Documentos em assinatura" (filters, live rows, CSV), the request page and its
actions, and the unit filter (another unit's request is a 404, never listed or exported)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.signing.tests.workspace_helpers import put_at_clicksign
from chancela.signing.transitions import request_event_add
from chancela.testing.browser import login, save_screenshot
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_pdf_bytes,
    make_signature_request,
    make_signer_input,
    make_unit,
    make_user,
)
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "senha-forte-123"


@pytest.fixture
def two_units(emulated_config, clicksign_client):
    """Unit A (the emulated sandbox configuration) with requests in several states, unit B with
    its own; a secretaria of A and one of B."""
    unit_a = emulated_config.unit
    unit_a.name = "Colégio Centro"
    unit_a.save()
    unit_b = make_unit(name="Colégio Norte")
    type_a = make_document_type(emulated_config, name="Contrato de matrícula")
    type_b = make_document_type(make_config(unit_b), name="Declaração do Norte")
    running_request = put_at_clicksign(
        make_signature_request(
            unit_a,
            type_a,
            title="Contrato de matrícula — Ana Beatriz Costa",
            signers=[
                make_signer_input(name="Ana Beatriz Costa", email="ana@familia.com.br"),
                make_signer_input(name="Paulo Costa Ramos", email="paulo@familia.com.br"),
            ],
        ),
        clicksign_client,
    )
    make_signature_request(
        unit_a,
        type_a,
        title="Contrato de matrícula — Bruno Lima",
        status=RequestStatus.SIGNED,
        signed_pdf=make_pdf_bytes(text="Assinado"),
    )
    failed = make_signature_request(unit_a, type_a, title="Contrato de matrícula — Caio Dias")
    SignatureRequest.objects.filter(pk=failed.pk).update(
        status=RequestStatus.FAILED,
        last_error="A Clicksign recusou o e-mail de um signatário: confira o cadastro.",
    )
    queued = make_signature_request(unit_a, type_a, title="Contrato de matrícula — Davi Rocha")
    foreign = make_signature_request(unit_b, type_b, title="Declaração — Zona Norte Sigilosa")
    make_user(units=[unit_a], perms=[SEND_DOCUMENTS], username="secretaria.a", password=PASSWORD)
    make_user(units=[unit_b], perms=[SEND_DOCUMENTS], username="secretaria.b", password=PASSWORD)
    return {"running": running_request, "queued": queued, "foreign": foreign, "failed": failed}


def test_it_follows_and_acts_on_requests_in_the_browser(page, tmp_path, two_units):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        login(page, base, "secretaria.a", PASSWORD)
        expect(page.get_by_role("heading", name="Documentos por unidade")).to_be_visible()
        expect(page.get_by_text("Sandbox — sem validade jurídica").first).to_be_visible()
        expect(page.get_by_text("A Clicksign recusou o e-mail de um signatário")).to_be_visible()
        save_screenshot(page, "inicio-painel-da-unidade")

        # The list: only unit A, counts per status, the failed filter.
        page.get_by_role("link", name="Documentos em assinatura").first.click()
        expect(page.get_by_role("heading", name="Documentos em assinatura")).to_be_visible()
        expect(page.get_by_text("Contrato de matrícula — Ana Beatriz Costa")).to_be_visible()
        assert "Zona Norte Sigilosa" not in page.content()
        save_screenshot(page, "documentos-em-assinatura")

        # A row in flight changes by itself (htmx polls only those rows).
        queued = two_units["queued"]
        row = page.locator(f"#req-{queued.public_id}")
        expect(row.locator(".badge").first).to_have_text("Na fila")
        SignatureRequest.objects.filter(pk=queued.pk).update(status=RequestStatus.SIGNED)
        expect(row.locator(".badge").first).to_have_text("Assinado", timeout=20_000)

        page.get_by_label("Situação", exact=True).select_option("failed")
        page.get_by_role("button", name="Filtrar").click()
        expect(page.get_by_text("Contrato de matrícula — Caio Dias")).to_be_visible()
        expect(page.get_by_text("Contrato de matrícula — Ana Beatriz Costa")).to_have_count(0)
        save_screenshot(page, "documentos-em-assinatura-filtro-falhas")

        # CSV of what the filters show, without unit B.
        page.get_by_label("Situação", exact=True).select_option("")
        page.get_by_role("button", name="Filtrar").click()
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Exportar CSV").click()
        with open(download_info.value.path(), encoding="utf-8-sig") as exported_file:
            exported = exported_file.read()
        assert "Ana Beatriz Costa" in exported and "Zona Norte Sigilosa" not in exported

        # The request page: remind everyone, then too soon; cancel with a reason.
        page.get_by_role("link", name="Contrato de matrícula — Ana Beatriz Costa").click()
        expect(page.get_by_role("heading", name="Linha do tempo")).to_be_visible()
        page.get_by_role("button", name="Lembrar todos os pendentes").click()
        expect(
            page.get_by_text("Lembrete enviado a todos os signatários pendentes.")
        ).to_be_visible()
        page.get_by_role("button", name="Lembrar todos os pendentes").click()
        expect(page.get_by_text("A Clicksign aceita um lembrete por minuto")).to_be_visible()
        save_screenshot(page, "solicitacao-detalhe-acoes")
        # News from Clicksign reach the open page by themselves (htmx asks, the page reloads).
        request_event_add(
            request=two_units["running"],
            source="clicksign",
            kind="viewed",
            message="Ana Beatriz Costa abriu o documento para assinar.",
        )
        expect(page.get_by_text("Ana Beatriz Costa abriu o documento para assinar.")).to_be_visible(
            timeout=20_000
        )
        page.get_by_label("Motivo do cancelamento").fill("Matrícula trancada pela família")
        page.get_by_role("button", name="Cancelar solicitação").click()
        expect(page.get_by_text("Solicitação cancelada.")).to_be_visible()
        expect(page.get_by_text("Motivo: Matrícula trancada pela família")).to_be_visible()
        save_screenshot(page, "solicitacao-cancelada")

        # Unit B's request by URL: 404 for unit A's secretaria.
        response = page.goto(f"{base}/solicitacoes/{two_units['foreign'].public_id}/")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Não encontrado")).to_be_visible()
        assert "Zona Norte Sigilosa" not in page.content()
        save_screenshot(page, "solicitacao-de-outra-unidade-404")
    running_request = two_units["running"]
    running_request.refresh_from_db()
    assert running_request.status == RequestStatus.CANCELED
