"""API 1.9 (``/api/v1``, ``/api/v2/webhooks``): auth, validation, lists, notifications, signing,
legacy webhooks — over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest

from clicksign_emulator import blank_pdf

from .conftest import data_uri


@pytest.fixture
def v1(emu) -> Iterator[httpx.Client]:
    with emu.legacy_api() as client:
        yield client


def make_signer(v1: httpx.Client, **attrs) -> dict:
    body = {
        "email": "maria@familia.com.br",
        "auths": ["email"],
        "name": "Maria da Silva",
        "documentation": "529.982.247-25",
        "birthday": "1983-03-31",
        **attrs,
    }
    response = v1.post("/v1/signers", json={"signer": body})
    assert response.status_code == 201, response.text
    return response.json()["signer"]


def make_document(v1: httpx.Client, **attrs) -> dict:
    body = {
        "path": "/Chancela/contrato.pdf",
        "content_base64": data_uri(blank_pdf(1)),
        "metadata": {"chancela_request": "r-1"},
        **attrs,
    }
    response = v1.post("/v1/documents", json={"document": body})
    assert response.status_code == 201, response.text
    return response.json()["document"]


def make_list(v1: httpx.Client, document: dict, signer: dict, **attrs) -> dict:
    body = {"document_key": document["key"], "signer_key": signer["key"], "sign_as": "sign"}
    response = v1.post("/v1/lists", json={"list": {**body, **attrs}})
    assert response.status_code == 201, response.text
    return response.json()["list"]


def test_it_authenticates_only_with_the_access_token_parameter(emu):
    with httpx.Client(base_url=f"{emu.base_url}/api") as raw:
        header_only = raw.get("/v1/accounts", headers={"Authorization": emu.token})
        assert header_only.status_code == 401
        assert header_only.json() == {"errors": ["Access Token inválido"]}
        ok = raw.get("/v1/accounts", params={"access_token": emu.token})
        assert ok.status_code == 200 and ok.json()["account"]["key"] == emu.account_key


def test_it_answers_1_9_even_where_envelopes_are_not_enabled(emu):
    old = emu.control.create_account(api_user_email="api@escola.edu.br", envelopes_enabled=False)
    with emu.api(token=old["token"]) as v3:
        assert v3.get("/envelopes").status_code == 503
    with emu.legacy_api(token=old["token"]) as v1:
        assert v1.get("/v1/accounts").status_code == 200


def test_it_validates_signers_strictly(v1):
    response = v1.post(
        "/v1/signers",
        json={
            "signer": {
                "auths": ["email", "sms"],
                "name": "Maria",
                "email": "nope",
                "documentation": "52998224725",
                "colour": "blue",
            }
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e.startswith("auths") for e in errors)
    assert any(e.startswith("name") for e in errors)
    assert any(e.startswith("email") for e in errors)
    assert any("000.000.000-00" in e for e in errors)
    assert any(e.startswith("colour") for e in errors)


def test_it_finds_signers_by_email_for_reuse(v1):
    made = make_signer(v1)
    found = v1.get("/v1/signers", params={"email": "MARIA@familia.com.br"}).json()["signers"]
    assert [s["key"] for s in found] == [made["key"]]
    assert v1.get("/v1/signers", params={"email": "x@y.com"}).json()["signers"] == []


def test_it_validates_documents(v1):
    response = v1.post(
        "/v1/documents",
        json={"document": {"path": "contrato.pdf", "content_base64": "AAAA", "locale": "fr"}},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e.startswith("path") for e in errors)
    assert any(e.startswith("content_base64") for e in errors)
    assert any(e.startswith("locale") for e in errors)


def test_it_runs_a_document_from_upload_and_signs_it_through_lists(emu, v1, receiver):
    hook = v1.post(
        "/v2/webhooks",
        json={"endpoint": receiver.url, "status": "active", "events": ["add_signer", "sign"]},
    )
    assert hook.status_code == 201
    secret = hook.json()["webhook"]["secret"]
    document = make_document(v1)
    assert document["status"] == "running"
    signer = make_signer(v1)
    listed = make_list(v1, document, signer, refusable=True)
    assert listed["url"].endswith(f"/sign/{listed['request_signature_key']}")
    # Nobody is e-mailed until a notification is asked for.
    assert emu.control.notifications(signer_id=listed["request_signature_key"]) == []
    notified = v1.post(
        "/v1/notifications", json={"request_signature_key": listed["request_signature_key"]}
    )
    assert notified.status_code == 202
    again = v1.post(
        "/v1/notifications", json={"request_signature_key": listed["request_signature_key"]}
    )
    assert again.status_code == 429 and again.text == "Too many requests"
    emu.control.sign(listed["request_signature_key"])
    emu.control.flush_deliveries()
    received = receiver.wait_for(2)
    assert [r.headers["event"] for r in received] == ["add_signer", "sign"]
    for item in received:
        expected = "sha256=" + hmac.new(secret.encode(), item.body, hashlib.sha256).hexdigest()
        assert item.headers["content-hmac"] == expected
    body = received[1].json()
    assert body["document"]["key"] == document["key"]
    assert body["event"]["data"]["signer"]["key"] == signer["key"]
    assert body["document"]["signers"][0]["list_key"] == listed["key"]
    shown = v1.get(f"/v1/documents/{document['key']}").json()["document"]
    assert shown["status"] == "closed"
    assert shown["metadata"] == {"chancela_request": "r-1"}


def test_it_refuses_to_notify_a_signer_whose_group_has_not_started(v1):
    document = make_document(v1, sequence_enabled=True)
    first = make_list(v1, document, make_signer(v1), group=1)
    second = make_list(
        v1, document, make_signer(v1, email="jose@familia.com.br", name="José Lima"), group=2
    )
    response = v1.post(
        "/v1/notifications", json={"request_signature_key": second["request_signature_key"]}
    )
    assert response.status_code == 422
    assert "grupo" in response.json()["errors"][0]
    ok = v1.post(
        "/v1/notifications", json={"request_signature_key": first["request_signature_key"]}
    )
    assert ok.status_code == 202


def test_it_cancels_a_document_and_keeps_it_out_of_api_v3(emu, v1):
    document = make_document(v1)
    canceled = v1.patch(f"/v1/documents/{document['key']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["document"]["status"] == "canceled"
    assert v1.patch(f"/v1/documents/{document['key']}/cancel").status_code == 422
    with emu.api() as v3:
        assert v3.get("/envelopes").json()["data"] == []


def test_it_lists_documents_newest_first_with_their_metadata(v1):
    make_document(v1, metadata={"n": 1})
    make_document(v1, metadata={"n": 2})
    listed = v1.get("/v1/documents", params={"page": 1}).json()
    assert [d["metadata"]["n"] for d in listed["documents"]] == [2, 1]
    assert listed["page_infos"]["next_page"] is None


def test_it_rate_limits_1_9_calls_per_account(emu):
    limited = emu.control.create_account(api_user_email="api@escola.edu.br", rate_limit=2)
    with emu.legacy_api(token=limited["token"]) as v1:
        statuses = [v1.get("/v1/accounts").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert v1.get("/v1/accounts").headers["X-Rate-Limit-Reset"]
