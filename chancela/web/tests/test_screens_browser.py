"""Every screen of the workspace in a real browser, at 1366 px and 390 px: the header menu
(one row on a laptop, a "Menu" button on a phone), the axe-core check (no serious or critical
violation), no sideways scrolling on a phone, and a screenshot of each in
``artifacts/screenshots/``. One server and one demo institution for the whole tour."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from chancela.batches.services import batch_create
from chancela.batches.tests.helpers import good_row
from chancela.demo import DEMO_PASSWORD, seed_demo
from chancela.esign.models import DocumentType, SignatureConfig
from chancela.institutions.models import Unit
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.a11y import axe_blocking_violations
from chancela.testing.browser import login, save_screenshot
from chancela.testing.factories import make_signature_request, make_signer_input
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


def _screens() -> list[tuple[str, str, int]]:
    """(screenshot name, path, expected HTTP status) of every screen the admin can open (the
    demo institution plus a few requests and a batch; the CSP tour walks them too)."""
    return _screens_and_queued()[0]


def _screens_and_queued() -> tuple[list[tuple[str, str, int]], SignatureRequest]:
    """The screens, and a queued request (its row in the list follows status changes live)."""
    seed_demo()
    centro = Unit.objects.get(code="CENTRO")
    contract = DocumentType.objects.get(code="CONTRATO_MATRICULA")
    config = SignatureConfig.objects.get()
    waiting = make_signature_request(
        centro,
        contract,
        title="Contrato de matrícula — Ana Beatriz Souza",
        signers=[
            make_signer_input(name="Ana Beatriz Souza", email="ana@familia.com.br"),
            make_signer_input(name="Marcos Souza", email="marcos@familia.com.br"),
        ],
        status=RequestStatus.AWAITING_SIGNATURES,
    )
    queued = make_signature_request(centro, contract, title="Declaração — Bruno Lima")
    batch = batch_create(
        unit=centro,
        document_type=contract,
        title="Rematrícula 2027 — 9º ano A",
        rows=[(n + 2, good_row(n)) for n in range(3)],
    )
    return [
        ("inicio", reverse("web:dashboard"), 200),
        ("documentos-em-assinatura", reverse("signing:request_list"), 200),
        (
            "solicitacao",
            reverse("signing:request_detail", args=[waiting.public_id]),
            200,
        ),
        ("enviar-documento", reverse("signing:request_create"), 200),
        ("envio-em-lote", reverse("batches:batch_list"), 200),
        ("envio-em-lote-novo", reverse("batches:batch_new"), 200),
        ("envio-em-lote-conferencia", reverse("batches:batch_detail", args=[batch.public_id]), 200),
        ("configuracoes", reverse("esign:config_list"), 200),
        ("configuracao", reverse("esign:config_detail", args=[config.public_id]), 200),
        ("configuracao-nova", reverse("esign:config_create"), 200),
        ("tipos-de-documento", reverse("esign:document_type_list"), 200),
        (
            "tipo-de-documento",
            reverse("esign:document_type_edit", args=[contract.public_id]),
            200,
        ),
        ("promover", reverse("esign:promotion_start", args=[config.public_id]), 200),
        ("chaves-de-api", reverse("api_keys:list"), 200),
        ("integracoes", reverse("notifications:endpoint_list"), 200),
        ("retornos-da-clicksign", reverse("callbacks:monitor"), 200),
        ("limpeza-de-pessoas", reverse("esign:signer_registration_purge"), 200),
        ("informacoes-compartilhadas", reverse("web:sharing_policy"), 200),
        ("pagina-inexistente-404", "/nao-existe/", 404),
    ], queued


def _check_screen(page: Any, name: str, problems: list[str]) -> None:
    for line in axe_blocking_violations(page):
        problems.append(f"{name}: {line}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        problems.append(f"{name}: the page scrolls sideways by {overflow}px")
    save_screenshot(page, name)


def _check_menu_at(page: Any, width: str) -> None:
    nav = page.get_by_role("navigation", name="Menu principal")
    toggle = page.get_by_role("button", name="Menu")
    if width == "1366":
        expect(toggle).to_be_hidden()
        entries = nav.locator(":scope > a, .navgroup > summary")
        tops = {round(box["y"]) for box in (e.bounding_box() for e in entries.all()) if box}
        assert len(tops) == 1, f"the menu wraps into {len(tops)} rows at 1366 px"
        header = page.locator(".topbar").bounding_box()
        assert header is not None and header["height"] < 70
        # Administration apart from the daily work, in a group opened on demand.
        expect(nav.get_by_role("link", name="Tipos de documento")).to_be_hidden()
        # With the keyboard alone: focus the group, Enter opens it, Escape closes it.
        summary = nav.get_by_text("Administração", exact=True)
        summary.focus()
        page.keyboard.press("Enter")
        expect(nav.get_by_role("link", name="Tipos de documento")).to_be_visible()
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name="Configuração", exact=True)).to_be_focused()
        page.keyboard.press("Escape")
        expect(nav.get_by_role("link", name="Tipos de documento")).to_be_hidden()
        expect(summary).to_be_focused()
        # The focus is visible: an outline drawn around the focused control.
        outline = summary.evaluate("el => getComputedStyle(el).outlineStyle")
        assert outline not in ("", "none"), outline
    else:
        expect(nav).to_be_hidden()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="Documentos em assinatura")).to_be_visible()
        save_screenshot(page, f"menu-aberto-{width}")
        toggle.click()
        expect(nav).to_be_hidden()


def test_it_shows_every_screen_accessibly_at_both_widths(chromium, tmp_path):
    screens, queued = _screens_and_queued()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    statuses = {"1366": RequestStatus.SENDING, "390": RequestStatus.AWAITING_SIGNATURES}
    labels = {"1366": "Enviando", "390": "Aguardando assinaturas"}
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        for width, viewport in WIDTHS.items():
            context = chromium.new_context(locale="pt-BR", viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{base}/entrar/")
            _check_screen(page, f"entrar-{width}", problems)
            login(page, base, "admin", DEMO_PASSWORD)
            # The header: short name and role, never the full name and unit.
            userbox = page.locator(".userbox")
            if width == "390":
                page.get_by_role("button", name="Menu").click()
            expect(userbox.locator(".username")).to_have_text("Admin")
            expect(userbox.locator(".role-label")).to_have_text("Administrador geral")
            if width == "390":
                page.get_by_role("button", name="Menu").click()
            _check_menu_at(page, width)
            for name, path, status in screens:
                response = page.goto(f"{base}{path}")
                assert response is not None and response.status == status, (name, path)
                _check_screen(page, f"{name}-{width}", problems)
                if name == "documentos-em-assinatura":
                    # Live: a row in flight follows its request without a reload.
                    row = page.locator(f"#req-{queued.public_id}")
                    SignatureRequest.objects.filter(pk=queued.pk).update(status=statuses[width])
                    expect(row.locator(".badge").first).to_have_text(labels[width], timeout=20_000)
                if name == "documentos-em-assinatura" and width == "390":
                    # The list as cards: every row's status is on screen, not off to the right.
                    for badge in page.locator("table.request-list .badge").all():
                        box = badge.bounding_box()
                        assert box is not None and box["x"] + box["width"] <= 390, box
            expect(page.get_by_role("heading", name="Não encontrado")).to_be_visible()
            context.close()
    assert problems == [], "\n".join(problems)


def test_it_shows_only_the_daily_work_to_a_secretaria(chromium, tmp_path):
    seed_demo()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        context = chromium.new_context(locale="pt-BR", viewport=WIDTHS["1366"])
        page = context.new_page()
        login(page, base, "secretaria.centro", DEMO_PASSWORD)
        nav = page.get_by_role("navigation", name="Menu principal")
        expect(nav.get_by_role("link")).to_have_text(
            ["Início", "Documentos em assinatura", "Enviar", "Envio em lote"]
        )
        expect(nav.get_by_text("Administração")).to_have_count(0)
        expect(page.locator(".username")).to_have_text("Lúcia")
        expect(page.locator(".role-label")).to_have_text("Secretaria acadêmica")
        expect(page.get_by_role("heading", name="Olá, Lúcia")).to_be_visible()
        # Keyboard alone: the skip link first, then the menu.
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Pular para o conteúdo")).to_be_focused()
        context.close()
