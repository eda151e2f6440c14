"""Error pages are Portuguese in every mode: Django's handlers without DEBUG, and the
FriendlyErrorPagesMiddleware in front of Django's English technical pages with DEBUG on."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from chancela.testing.factories import SEND_DOCUMENTS, make_unit, make_user
from chancela.urls import urlpatterns as chancela_urls


def _boom(request):
    raise RuntimeError("kaboom")


urlpatterns = [path("__boom__/", _boom), *chancela_urls]
handler404 = "chancela.web.errors.page_not_found"
handler500 = "chancela.web.errors.server_error"


@pytest.fixture
def logged_in(db) -> Client:
    user = make_user(units=[make_unit()], perms=[SEND_DOCUMENTS], username="sec", password="x")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_an_unknown_address_with_the_portuguese_404(settings, logged_in, debug):
    settings.DEBUG = debug
    response = logged_in.get("/nao-existe/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Não encontrado" in body and "Page not found" not in body


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_a_crash_with_the_portuguese_500(settings, logged_in, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = __name__
    response = logged_in.get("/__boom__/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Algo deu errado" in body and "Traceback" not in body and "kaboom" not in body


def test_it_answers_a_missing_permission_with_the_portuguese_403(settings, db):
    settings.DEBUG = True
    user = make_user(units=[make_unit()], perms=[], username="ninguem", password="x")
    client = Client()
    client.force_login(user)
    response = client.get("/configuracoes/")
    assert response.status_code == 403
    assert "Acesso negado" in response.content.decode()


def test_it_keeps_json_errors_on_the_host_api(settings, db):
    settings.DEBUG = True
    response = Client().get("/api/v1/nao-existe")
    assert "Não encontrado" not in response.content.decode()
