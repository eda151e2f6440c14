""" "Enviar documento" in a real browser at 1366 px and 390 px: the steps, each check as the
fields are filled (deadline past / beyond 90 days, a Word file, a file over the limit), the
drag-and-drop upload with its inline preview, the signer panel that follows "Quem assina", the
place kept after the server answers, the preview panel always in sight and updated without a
page reload (htmx), and the axe-core check. One server for both widths."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chancela.demo import DEMO_PASSWORD, seed_demo
from chancela.testing.a11y import axe_blocking_violations
from chancela.testing.browser import login, save_screenshot
from chancela.testing.factories import make_pdf_bytes
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """async ({name, b64, type, size}) => {
  const zone = document.querySelector("[data-dropzone]");
  let bytes;
  if (b64) { bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }
  else { bytes = new Uint8Array(size); bytes.set([37, 80, 68, 70, 45]); }
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type}));
  for (const kind of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(kind, {dataTransfer: data, bubbles: true, cancelable: true}));
  }
}"""


def _drop(page, name: str, *, content: bytes | None = None, size: int = 0, kind: str = ""):
    b64 = base64.b64encode(content).decode() if content is not None else ""
    page.evaluate(DROP, {"name": name, "b64": b64, "type": kind, "size": size})


def test_it_guides_the_send_flow_with_live_checks_at_both_widths(chromium, tmp_path):
    seed_demo()
    pdf = make_pdf_bytes(text="Contrato de matrícula")
    today = timezone.localdate()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        for width, height in ((1366, 900), (390, 844)):
            context = chromium.new_context(
                locale="pt-BR", viewport={"width": width, "height": height}
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            login(page, base, "secretaria.centro", DEMO_PASSWORD)
            page.goto(f"{base}/enviar/")
            steps = page.get_by_role("list", name="Etapas do envio")
            expect(steps.get_by_role("listitem")).to_have_count(3)

            # The deadline is checked as it is typed, before any "Pré-visualizar".
            deadline = page.get_by_label("Prazo para assinar")
            deadline.fill((today - timedelta(days=3)).isoformat())
            expect(page.get_by_text("O prazo precisa estar no futuro")).to_be_visible()
            deadline.fill((today + timedelta(days=120)).isoformat())
            expect(
                page.get_by_text("A Clicksign aceita prazo de no máximo 90 dias")
            ).to_be_visible()
            deadline.fill((today + timedelta(days=30)).isoformat())
            expect(page.get_by_text("A Clicksign aceita prazo de no máximo")).to_have_count(0)

            files = page.locator("#campo-documents")
            # Files: a Word file is named as such; a file over the limit says by how much.
            _drop(page, "contrato.docx", content=b"PK\x03\x04word", kind="application/msword")
            expect(
                files.get_by_text("O arquivo “contrato.docx” não é um PDF.", exact=False)
            ).to_be_visible()
            assert "contrato.docx.pdf" not in page.content()
            _drop(page, "grande.pdf", size=int(10.0006 * 1024 * 1024), kind="application/pdf")
            expect(
                files.get_by_text("tem 10,001 MB; o limite da Clicksign é 10 MB", exact=False)
            ).to_be_visible()
            # Dropped onto the page: the PDF is shown inline, and really uploaded.
            _drop(page, "contrato.pdf", content=pdf, kind="application/pdf")
            preview = page.locator(".file-preview")
            expect(preview.locator("figcaption")).to_contain_text("contrato.pdf")
            assert preview.locator("iframe").get_attribute("src").startswith("blob:")
            expect(page.get_by_text("não é um PDF", exact=False)).to_have_count(0)
            # Chosen is kept: the panel names the file as soon as it is dropped.
            expect(page.locator("#pre-visualizacao")).to_contain_text("contrato.pdf (1 página)")
            save_screenshot(page, f"enviar-documento-arquivo-{width}")

            # "Informar os signatários" opens its panel; nothing pushes the page sideways.
            page.get_by_label("Informar os signatários").check()
            expect(page.locator("details[data-mode=manual]")).to_have_attribute("open", "")
            expect(page.locator("details[data-mode=student]")).not_to_have_attribute("open", "")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"the send screen scrolls sideways by {overflow}px at {width}"
            problems += [f"enviar-{width}: {line}" for line in axe_blocking_violations(page)]

            # From here nothing reloads the page: a marker set on window must survive.
            page.evaluate("window.chancelaTestMarker = 'sem recarregar'")
            # Choosing the student replaces "Quem assina" alone and keeps the place there.
            page.get_by_label("Aluno e responsáveis", exact=False).check()
            page.locator("#id_document_type").select_option(label="Contrato de matrícula")
            page.locator("#id_q").fill("Ana Beatriz")
            page.get_by_role("button", name="Escolher como aluno").first.click()
            expect(page.locator("#campo-student")).to_contain_text("Ana Beatriz Souza")
            expect(page.locator("#campo-student")).to_be_focused()
            assert page.evaluate("window.chancelaTestMarker") == "sem recarregar"

            panel = page.locator("#pre-visualizacao")
            expect(panel).to_be_in_viewport()
            page.get_by_role("button", name="Pré-visualizar").click()
            signers = panel.get_by_role("list", name="Quem assina")
            expect(signers).to_contain_text("Patrícia Souza")
            expect(signers).to_contain_text("Helena Duarte Centro")  # the contract's signer
            expect(panel.get_by_role("button", name="Enviar para assinatura")).to_be_visible()
            expect(page.locator("#etapas-envio .step-current")).to_contain_text("Revisão")
            assert page.locator("#id_preview_token").input_value()

            # Field changes that need the server update the panel alone, which stays in sight.
            guardian = page.locator("#id_guardians").get_by_label("Patrícia Souza")
            guardian.scroll_into_view_if_needed()
            guardian.uncheck()
            expect(signers).not_to_contain_text("Patrícia Souza")
            expect(signers).to_contain_text("Marcos Souza")
            expect(panel).to_be_in_viewport()
            page.locator("#id_document_type").select_option(label="Declaração de matrícula")
            expect(signers).not_to_contain_text("Helena Duarte Centro")
            expect(panel).to_be_in_viewport()
            assert page.evaluate("window.chancelaTestMarker") == "sem recarregar"
            problems += [f"enviar-previa-{width}: {v}" for v in axe_blocking_violations(page)]
            save_screenshot(page, f"enviar-documento-previa-{width}")

            # "Enviar" stays an ordinary form post, with the preview the panel showed.
            panel.get_by_role("button", name="Enviar para assinatura").click()
            expect(page.get_by_text("Documento enviado para assinatura")).to_be_visible()
            context.close()
    assert problems == [], "\n".join(problems)
