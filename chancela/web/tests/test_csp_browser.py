"""Every screen works with the Content-Security-Policy enforced: no violation reported by the
browser (inline script or style, eval, a foreign origin) on any screen, the admin or the API docs."""

from __future__ import annotations

from typing import Any

import pytest

from chancela.demo import DEMO_PASSWORD
from chancela.testing.browser import login
from chancela.testing.factories import make_pdf_bytes
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process
from chancela.web.tests.test_screens_browser import _screens

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of the page (Playwright injects it outside the page's CSP).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


def _violations(page: Any, console: list[str]) -> list[str]:
    page.wait_for_load_state("load")
    found = list(page.evaluate("window.__csp || []"))
    found += [line for line in console if "Content Security Policy" in line]
    console.clear()
    return found


def test_it_reports_no_csp_violation_on_any_screen(chromium, tmp_path):
    screens = _screens()
    extra = [
        ("admin", "/admin/", 200),
        ("admin-configuracoes", "/admin/esign/signatureconfig/", 200),
        ("api-docs", "/api/v1/docs", 200),
    ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        context = chromium.new_context(locale="pt-BR", viewport={"width": 1366, "height": 900})
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{base}/entrar/")
        assert (
            "script-src 'self'"
            in (page.context.request.get(f"{base}/entrar/").headers)["content-security-policy"]
        )
        problems += [f"entrar: {v}" for v in _violations(page, console)]
        login(page, base, "admin", DEMO_PASSWORD)
        for name, path, status in screens + extra:
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status == status, (name, path)
            problems += [f"{name}: {v}" for v in _violations(page, console)]
        # the scripted parts still run: the PDF previews of the send screen, the phone menu
        page.goto(f"{base}/enviar/")
        page.locator("input[type=file]").first.set_input_files(
            files=[{"name": "a.pdf", "mimeType": "application/pdf", "buffer": make_pdf_bytes()}]
        )
        page.locator(".file-preview iframe").first.wait_for(state="attached")
        problems += [f"previews: {v}" for v in _violations(page, console)]
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/")
        page.get_by_role("button", name="Menu").click()
        assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
        problems += [f"menu: {v}" for v in _violations(page, console)]
        context.close()
    assert problems == [], "\n".join(problems)
