"""Host API actions: POST /api/v1/signature-requests/{id}/remind and /cancel (emulator)."""

from __future__ import annotations

import json

import pytest

from chancela.signing.models import RequestStatus
from chancela.signing.tests.workspace_helpers import put_at_clicksign
from chancela.testing.factories import (
    make_api_key,
    make_config,
    make_document_type,
    make_signature_request,
    make_signer_input,
    make_unit,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/signature-requests"


@pytest.fixture
def host(emulated_config, clicksign_client):
    document_type = make_document_type(emulated_config)
    request = make_signature_request(
        emulated_config.unit,
        document_type,
        signers=[make_signer_input(), make_signer_input()],
    )
    _, key = make_api_key(units=[emulated_config.unit])
    return put_at_clicksign(request, clicksign_client), {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client, path, headers, body=None):
    return client.post(
        URL + path,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        **headers,
    )


def test_it_reminds_through_the_api_and_then_says_retry_after(client, host, clicksign_emulator):
    request, headers = host
    first = post(client, f"/{request.public_id}/remind", headers)
    assert first.status_code == 200, first.content
    assert "Lembrete enviado" in first.json()["message"]
    event = request.events.get(kind="reminder_sent")
    assert event.source == "host" and "sistema acadêmico" in event.message
    second = post(client, f"/{request.public_id}/remind", headers, {})
    assert second.status_code == 429
    assert second.json()["code"] == "remind_too_soon"
    assert 1 <= int(second["Retry-After"]) <= 60


def test_it_reminds_one_signer_by_id_through_the_api(client, host, clicksign_emulator):
    request, headers = host
    signer = request.signers.first()
    response = post(
        client, f"/{request.public_id}/remind", headers, {"signer_id": str(signer.public_id)}
    )
    assert response.status_code == 200
    assert clicksign_emulator.control.notifications(signer_id=signer.clicksign_signer_id)
    unknown = post(
        client,
        f"/{request.public_id}/remind",
        headers,
        {"signer_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "signer_not_found"


def test_it_cancels_through_the_api_with_the_reason(client, host, clicksign_emulator):
    request, headers = host
    response = post(
        client, f"/{request.public_id}/cancel", headers, {"reason": "Matrícula trancada"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"
    assert response["X-Chancela-Legal-Validity"] == "none-sandbox"
    envelope = clicksign_emulator.control.envelope(request.clicksign_envelope_id)
    assert {d["status"] for d in envelope["documents"]} == {"canceled"}
    again = post(client, f"/{request.public_id}/cancel", headers, {"reason": "De novo"})
    assert again.status_code == 409 and again.json()["code"] == "action_not_allowed"


def test_it_refuses_a_cancel_without_a_reason(client, host):
    request, headers = host
    response = post(client, f"/{request.public_id}/cancel", headers, {})
    assert response.status_code == 422
    assert response.json()["field"] == "reason"
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES


def test_it_answers_404_to_actions_on_another_units_request(client, host, clicksign_emulator):
    request, _ = host
    other = make_unit()
    make_document_type(make_config(other))
    _, foreign_key = make_api_key(units=[other])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {foreign_key}"}
    assert post(client, f"/{request.public_id}/remind", headers).status_code == 404
    assert (
        post(client, f"/{request.public_id}/cancel", headers, {"reason": "Alheio"}).status_code
        == 404
    )
    assert clicksign_emulator.control.notifications() == []
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES
