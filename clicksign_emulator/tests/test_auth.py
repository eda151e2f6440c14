"""Credentials: raw token, query token, Bearer, unknown/revoked tokens, account flags, routes."""

import httpx

from clicksign_emulator import DEMO_SANDBOX_TOKEN

from .conftest import create_envelope, fixture_json


def test_it_accepts_the_raw_token_in_the_authorization_header(emu):
    response = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": DEMO_SANDBOX_TOKEN})
    assert response.status_code == 200
    assert response.json() == {
        "data": [],
        "meta": {"record_count": 0},
        "links": {
            "first": f"{emu.api_url}/envelopes?page%5Bnumber%5D=1&page%5Bsize%5D=20",
            "last": f"{emu.api_url}/envelopes?page%5Bnumber%5D=1&page%5Bsize%5D=20",
        },
    }


def test_it_accepts_the_token_as_access_token_query_parameter(emu):
    response = httpx.get(f"{emu.api_url}/envelopes", params={"access_token": DEMO_SANDBOX_TOKEN})
    assert response.status_code == 200


def test_it_refuses_a_bearer_token_with_401(emu):
    response = httpx.get(
        f"{emu.api_url}/envelopes", headers={"Authorization": f"Bearer {DEMO_SANDBOX_TOKEN}"}
    )
    assert response.status_code == 401
    assert response.json() == fixture_json("errors/unauthorized.json")
    assert response.headers["content-type"].startswith("application/vnd.api+json")


def test_it_refuses_an_unknown_token_with_401(emu):
    response = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": "not-a-token"})
    assert response.status_code == 401
    assert response.json() == fixture_json("errors/unauthorized.json")


def test_it_refuses_a_request_without_token_with_401(emu):
    response = httpx.get(f"{emu.api_url}/envelopes")
    assert response.status_code == 401
    assert response.json() == fixture_json("errors/unauthorized.json")


def test_it_answers_403_when_the_api_user_email_is_not_set(emu):
    account = emu.control.create_account(token="tok-no-email", api_user_email=None)
    assert account["api_user_email"] is None
    response = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": "tok-no-email"})
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "forbidden",
                "status": 403,
                "title": "Verificação",
                "detail": "E-mail do usuário da API não configurado",
            }
        ]
    }


def test_it_answers_403_when_the_plan_has_no_api(emu):
    emu.control.create_account(token="tok-no-plan", plan_has_api=False)
    response = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": "tok-no-plan"})
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "forbidden",
                "status": 403,
                "title": "Verificação",
                "detail": "A conta não possui acesso a essa funcionalidade",
            }
        ]
    }


def test_it_answers_503_to_a_legacy_account_without_envelopes(emu):
    emu.control.create_account(token="tok-legacy", envelopes_enabled=False)
    response = httpx.post(
        f"{emu.api_url}/envelopes",
        headers={"Authorization": "tok-legacy"},
        json={"data": {"type": "envelopes", "attributes": {"name": "X"}}},
    )
    assert response.status_code == 503
    assert response.json() == fixture_json("errors/service_unavailable.json")


def test_it_starts_answering_once_the_api_user_email_is_saved(emu):
    account = emu.control.create_account(token="tok-later", api_user_email=None)
    headers = {"Authorization": "tok-later"}
    assert httpx.get(f"{emu.api_url}/envelopes", headers=headers).status_code == 403
    emu.control.update_account(account["key"], api_user_email="api@escola.example")
    assert httpx.get(f"{emu.api_url}/envelopes", headers=headers).status_code == 200


def test_it_refuses_a_token_revoked_mid_saga(emu, api):
    envelope = create_envelope(api)
    emu.control.update_account(emu.account_key, token=None)
    response = api.get(f"/envelopes/{envelope['id']}")
    assert response.status_code == 401
    replaced = emu.control.update_account(emu.account_key, token="new-token")
    assert replaced["token"] == "new-token"
    response = api.get(f"/envelopes/{envelope['id']}", headers={"Authorization": "new-token"})
    assert response.status_code == 200


def test_it_keeps_accounts_apart(emu, api):
    envelope = create_envelope(api)
    emu.control.create_account(token="other-school")
    response = httpx.get(
        f"{emu.api_url}/envelopes/{envelope['id']}", headers={"Authorization": "other-school"}
    )
    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "title": "Registro não encontrado",
                "detail": f"O registro identificado por {envelope['id']} não pôde ser encontrado",
                "code": "404",
                "status": "404",
            }
        ]
    }


def test_it_answers_unknown_routes_with_an_html_404_page(emu, api):
    for method, path in (
        ("GET", "/nothing-here"),
        ("POST", "/envelopes/x/cancel"),
        ("PATCH", "/envelopes/x/signers/y"),
        ("GET", "/envelopes/x/notifications"),
    ):
        response = api.request(method, path, json={})
        assert response.status_code == 404, (method, path)
        assert response.headers["content-type"].startswith("text/html")
        assert "doesn't exist" in response.text
