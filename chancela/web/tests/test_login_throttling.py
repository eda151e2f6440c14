"""Login throttling (django-axes) on /entrar/ and /admin/login/."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import call_command

from chancela.testing.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "senha-certa-123"


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def _login(client, path: str, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("path", ["/entrar/", "/admin/login/"])
def test_it_locks_an_account_after_repeated_wrong_passwords(client, path, caplog):
    user = make_user(username="secretaria", password=PASSWORD, superuser=True)
    for _ in range(4):
        assert _login(client, path, "secretaria", "errada").status_code == 200
    caplog.set_level(logging.WARNING, logger="chancela.web.security")
    locked = _login(client, path, "secretaria", "errada")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Acesso bloqueado temporariamente" in page
    assert "5 tentativas de entrar com senha errada" in page
    assert "por 15 minutos" in page
    # the right password no longer gets in, from anywhere
    again = _login(client, path, "secretaria", PASSWORD, ip="198.51.100.9")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # recorded: the attempts for the admin, a security event for the log
    assert AccessAttempt.objects.filter(username="secretaria").exists()
    assert AccessFailureLog.objects.filter(username="secretaria").count() >= 5
    assert any(
        getattr(r, "security_event", "") == "login_locked_out" and r.username == "secretaria"
        for r in caplog.records
    )
    # an administrator unlocks
    call_command("axes_reset_username", "secretaria")
    assert _login(client, path, "secretaria", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_locks_a_source_that_tries_many_accounts(client):
    for number in range(5):
        _login(client, "/entrar/", f"usuario{number}", "errada", ip="192.0.2.50")
    make_user(username="outra", password=PASSWORD)
    assert _login(client, "/entrar/", "outra", PASSWORD, ip="192.0.2.50").status_code == 429
    assert _login(client, "/entrar/", "outra", PASSWORD, ip="192.0.2.51").status_code == 302


def test_it_reads_the_client_address_behind_the_configured_proxies(client, settings):
    from django.test import RequestFactory

    from chancela.web.security import client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7"
    )
    assert client_ip(request) == "10.0.0.2"
    settings.CHANCELA_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # the client-written 1.1.1.1 is not trusted
