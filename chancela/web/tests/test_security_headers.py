"""Security headers, the production switch, Cache-Control and the session limits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from chancela.testing.factories import make_unit, make_user
from chancela.web.security import IDLE_KEY, STARTED_KEY

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_it_sends_a_strict_csp_and_no_store_on_pages_and_api(client):
    login_page = client.get("/entrar/")
    policy = login_page["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'"):  # fmt: skip
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "no-store" in login_page["Cache-Control"] and "private" in login_page["Cache-Control"]
    api = client.get("/api/v1/signature-requests", HTTP_AUTHORIZATION="Bearer chk_x")
    assert "no-store" in api["Cache-Control"]
    assert "Content-Security-Policy" in api


def test_it_sends_no_store_on_authenticated_pages_and_downloads(client):
    from chancela.testing.factories import make_config, make_document_type, make_signature_request

    unit = make_unit()
    request = make_signature_request(unit, make_document_type(make_config(unit)))
    client.force_login(make_user(superuser=True))
    page = client.get("/")
    assert page.status_code == 200
    assert {"private", "no-store"} <= {d.strip() for d in page["Cache-Control"].split(",")}
    document = request.documents.get()
    download = client.get(
        reverse(
            "signing:document_download", args=[request.public_id, document.public_id, "original"]
        )
    )
    assert download.status_code == 200, download.status_code
    assert "no-store" in download["Cache-Control"]


def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = []
    pattern = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")|<style|\sstyle=|\son[a-z]+=",
        re.IGNORECASE,
    )
    for template in (ROOT / "chancela").rglob("templates/**/*.html"):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_it_ends_a_session_after_the_idle_timeout(client, settings):
    settings.CHANCELA_SESSION_IDLE_MINUTES = 30
    client.force_login(make_user(superuser=True))
    assert client.get("/").status_code == 200
    session = client.session
    session[IDLE_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/solicitacoes/")
    assert response.status_code == 302 and response["Location"].startswith("/entrar/")
    page = client.get(response["Location"]).content.decode()
    assert "Sua sessão foi encerrada depois de 30 minutos sem uso" in page
    assert "_auth_user_id" not in client.session


def test_it_ends_a_session_at_its_absolute_lifetime_whatever_the_activity(client, settings):
    settings.CHANCELA_SESSION_MAX_HOURS = 8
    client.force_login(make_user(superuser=True))
    client.get("/")
    session = client.session
    session[STARTED_KEY] = int(time.time()) - 8 * 3600 - 1
    session[IDLE_KEY] = int(time.time())
    session.save()
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/entrar/"
    assert "_auth_user_id" not in client.session


def test_background_refreshes_do_not_keep_a_session_alive(client):
    client.force_login(make_user(superuser=True))
    client.get("/")
    session = client.session
    session[IDLE_KEY] = long_ago = int(time.time()) - 600
    session.save()
    client.get("/", HTTP_HX_REQUEST="true")
    assert client.session[IDLE_KEY] == long_ago
    client.get("/")
    assert client.session[IDLE_KEY] > long_ago


def _check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    # Not the test process's CHANCELA_* settings, nor the browser fixture's
    # DJANGO_ALLOW_ASYNC_UNSAFE (check --deploy rightly refuses it).
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CHANCELA_") and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="chancela.settings",
        CHANCELA_IGNORE_DOTENV="true",
        CHANCELA_SECRET_KEY="k" + "Zq8#x1!vR3@pL6$mN0^tY4&bW7*cJ2(hD5)gF9-sA" * 2,
        CHANCELA_ENCRYPTION_KEYS="K2rW1sXnS3y6gYpK1b0n8o3bHhJcQm7qfJ3mUu6b0wE=",
        CHANCELA_ALLOWED_HOSTS="chancela.escola.example",
        CHANCELA_PUBLIC_URL="https://chancela.escola.example",
        CHANCELA_DATABASE_URL="sqlite:///:memory:",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_the_production_switch_on(tmp_path):
    result = _check_deploy(CHANCELA_HTTPS="true", CHANCELA_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # and it is the switch that makes it clean
    off = _check_deploy(CHANCELA_DATA_DIR=str(tmp_path))
    assert off.returncode != 0
    assert "security.W004" in off.stdout + off.stderr  # no HSTS


def test_the_switch_makes_cookies_secure_and_trusts_the_proxy_header(tmp_path):
    probe = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT)"
    )
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="chancela.settings_test",
        CHANCELA_HTTPS="true",
        CHANCELA_PUBLIC_URL="http://127.0.0.1:8000",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", probe],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split("\n")[-2] == (
        "True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') True"
    )
