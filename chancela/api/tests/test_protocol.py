"""Every answer under /api/v1 is JSON in the documented error shape, in Portuguese."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chancela.api.error_codes import CATALOGUE
from chancela.api.tests.conftest import URL, Host, body
from chancela.signing.models import SignatureRequest

pytestmark = pytest.mark.django_db


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = response.json()
    assert data["code"] == code and set(data) >= {"code", "message", "field"}
    assert CATALOGUE[code].status == status
    return data


def raw_post(host: Host, content: bytes, content_type: str, path: str = URL) -> Any:
    return host.client.generic("POST", path, content, content_type=content_type, **host.headers())


def test_it_answers_400_in_portuguese_for_a_truncated_json_body(host: Host):
    text = json.dumps(body(host.unit.code, host.document_type.code))[:-20]
    data = assert_error(raw_post(host, text.encode(), "application/json"), 400, "malformed_json")
    assert data["message"].startswith("O corpo da requisição não é um JSON válido (linha 1")
    assert SignatureRequest.objects.count() == 0


def test_it_answers_400_for_a_body_that_is_not_utf8(host: Host):
    data = assert_error(
        raw_post(host, b'{"title": "\xff"}', "application/json"), 400, "malformed_json"
    )
    assert "UTF-8" in data["message"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "", "application/xml"]
)
def test_it_answers_415_for_a_body_that_is_not_declared_json(host: Host, content_type: str):
    payload = json.dumps(body(host.unit.code, host.document_type.code)).encode()
    data = assert_error(raw_post(host, payload, content_type), 415, "unsupported_media_type")
    assert "Content-Type: application/json" in data["message"]
    assert SignatureRequest.objects.count() == 0


def test_it_accepts_json_with_a_charset(host: Host):
    payload = json.dumps(body(host.unit.code, host.document_type.code)).encode()
    response = raw_post(host, payload, "application/json; charset=utf-8")
    assert response.status_code == 201, response.content


def test_it_answers_405_in_the_error_shape_with_allow(host: Host):
    response = host.client.delete(f"{URL}/6f1c1a58-8d7e-4f4e-9a43-2b8e6a9d1c10", **host.headers())
    data = assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET" and "GET" in data["message"]
    assert_error(host.client.put(URL, **host.headers()), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nada", "/api/v1/signature-requests/", "/api/v1/batches/x/y/z", "/api/v1/"],
)
def test_it_answers_404_in_the_error_shape_for_an_unknown_path(host: Host, path: str):
    data = assert_error(host.client.get(path, **host.headers()), 404, "not_found")
    assert "não encontrado" in data["message"]


def test_it_answers_422_for_an_id_that_is_not_a_uuid(host: Host):
    data = assert_error(host.client.get(f"{URL}/123", **host.headers()), 422, "invalid_input")
    assert data["field"] == "request_id"
    assert data["message"] == "Identificador inválido (UUID esperado)."


def test_it_answers_413_from_the_declared_length_before_reading(host: Host):
    response = host.client.generic(
        "POST",
        URL,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
        **host.headers(),
    )
    data = assert_error(response, 413, "request_too_large")
    assert "limite" in data["message"]


def test_it_answers_401_in_the_error_shape(host: Host):
    response = host.client.get(URL)
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_answers_500_in_the_error_shape(host: Host, monkeypatch):
    def boom(**_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("chancela.api.api.signature_requests_for_api_key", boom)
    client = Client(raise_request_exception=False)
    response = client.get(URL, **host.headers())
    data = assert_error(response, 500, "server_error")
    assert "boom" not in data["message"]


@pytest.mark.parametrize("value", ["2027-03-01T08:00:00", "2027-03-01"])
def test_it_refuses_a_date_time_without_offset(host: Host, value: str):
    response = host.get(updated_after=value)
    data = assert_error(response, 422, "invalid_input")
    assert data["field"] == "updated_after"
    created = host.post(body(host.unit.code, host.document_type.code, deadline_at=value))
    data = assert_error(created, 422, "invalid_input")
    assert data["field"] == "deadline_at"
    if "T" in value:
        assert "fuso" in data["message"]


def test_it_accepts_a_date_time_with_offset_or_z(host: Host):
    assert host.get(updated_after="2027-03-01T08:00:00-03:00").status_code == 200
    assert host.get(updated_after="2027-03-01T11:00:00Z").status_code == 200


def test_it_leaves_html_pages_outside_the_api_alone(client):
    response = client.get("/pagina-que-nao-existe/")
    assert response.status_code == 404 and "text/html" in response["Content-Type"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "   "}, "title", "Não pode ficar em branco."),
        ({"external_id": "  "}, "external_id", "Não pode ficar em branco"),
        ({"unit": ""}, "unit", "Não pode ficar em branco."),
        (
            {"signers": [{"name": "Vera", "email": "v@example.com", "role": "witness"}]},
            "signers[0].name",
            "Informe nome e sobrenome, sem números.",
        ),
        (
            {"signers": [{"name": "Vera Melo", "email": "v@", "role": "witness"}]},
            "signers[0].email",
            "E-mail inválido.",
        ),
        (
            {
                "signers": [
                    {"name": "Vera Melo", "email": "v@example.com", "cpf": "123", "role": "witness"}
                ]
            },
            "signers[0].cpf",
            "CPF inválido: 11 dígitos, com ou sem pontuação.",
        ),
    ],
    ids=["blank title", "blank external_id", "empty unit", "one-word name", "e-mail", "cpf"],
)
def test_it_refuses_what_the_schema_states_with_a_portuguese_message(
    host: Host, change: dict[str, Any], field: str, message: str
):
    response = host.post({**body(host.unit.code, host.document_type.code), **change})
    data = assert_error(response, 422, "invalid_input")
    assert data["field"] == field and data["message"].startswith(message)
    assert SignatureRequest.objects.count() == 0
