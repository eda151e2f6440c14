"""The real production server (gunicorn) serves Chancela's pages and static files."""

import httpx
import pytest

from chancela.testing.factories import MANAGE_CONFIG, make_config, make_unit, make_user
from chancela.testing.processes import free_port, process_env, running, wait_for_http, web_process

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_it_serves_login_pages_and_the_stylesheet_from_gunicorn(tmp_path, settings):
    unit = make_unit()
    make_config(unit, name="Config do servidor real")
    make_user(units=[unit], perms=[MANAGE_CONFIG], username="ana", password="senha-forte-123")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(web_process(port, tmp_path, process_env(), workers=1)) as (web,):
        wait_for_http(f"{base}/entrar/", process=web)
        with httpx.Client(base_url=base, follow_redirects=False) as http:
            login_page = http.get("/entrar/")
            assert login_page.status_code == 200 and "Entrar no Chancela" in login_page.text
            css = http.get("/static/web/chancela.css")
            assert css.status_code == 200 and "--brand" in css.text
            token = http.cookies["csrftoken"]
            response = http.post(
                "/entrar/",
                data={
                    "username": "ana",
                    "password": "senha-forte-123",
                    "csrfmiddlewaretoken": token,
                },
                headers={"Referer": f"{base}/entrar/"},
            )
            assert response.status_code == 302
            page = http.get("/configuracoes/")
            assert page.status_code == 200 and "Config do servidor real" in page.text
