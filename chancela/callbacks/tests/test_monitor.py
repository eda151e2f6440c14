"""The monitor screen for admins, and what the host ERP can poll after callbacks."""

from __future__ import annotations

import json

from django.test import Client
from django.utils import timezone

from chancela.callbacks.models import CallbackState, InboundCallback
from chancela.callbacks.tests.conftest import deliver, run_jobs
from chancela.testing.factories import make_api_key, make_config, make_unit, make_user
from clicksign_emulator import webhook_signature

MANAGE = "esign.manage_signature_config"


def _login(client: Client, **kwargs) -> None:
    client.force_login(make_user(**kwargs))


def test_it_shows_the_units_callbacks_by_state_to_admins_only(cb, client):
    request = cb.send()
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    for received in cb.deliveries():
        assert deliver(client, received) == 200
        assert deliver(client, received) == 200  # duplicate
    run_jobs()
    client.post(f"/callbackclicksign/{cb.config.public_id}", b"{}", content_type="application/json")

    _login(client, units=[cb.config.unit])  # no permission
    assert client.get("/callbacks/").status_code == 403

    _login(client, units=[cb.config.unit], perms=[MANAGE])
    page = client.get("/callbacks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        "Retornos da Clicksign" in text and "PDF assinado pronto" in text and "Processado" in text
    )
    assert "document_closed" not in text  # the event's name in Portuguese, never its code
    assert "Sandbox — sem validade jurídica" in text
    assert 'href="/callbacks/"' in client.get("/").content.decode()  # in the navigation
    assert "PDF assinado pronto" in client.get("/callbacks/?situacao=duplicate").content.decode()
    rejected = client.get("/callbacks/?situacao=rejected").content.decode()
    assert "Sem assinatura (Content-Hmac)" in rejected
    assert client.get("/callbacks/?situacao=outra").status_code == 404

    # another unit's admin sees none of it
    _login(client, units=[make_unit()], perms=[MANAGE])
    other = client.get("/callbacks/").content.decode()
    assert "PDF assinado pronto" not in other
    assert "Sem assinatura" not in client.get("/callbacks/?situacao=rejected").content.decode()
    callback = InboundCallback.objects.first()
    response = client.post(f"/callbacks/{callback.public_id}/reprocessar/")
    assert response.status_code == 404  # a foreign id is a 404


def test_it_reprocesses_a_failed_callback(db, client):
    config = make_config(make_unit(), webhook_secret="c" * 32)
    body = json.dumps(
        {"event": {"name": "upload", "data": {}, "occurred_at": "2026-08-10T10:00:00.000-03:00"},
         "document": {"key": "unknown-doc", "account_key": "", "metadata": {}, "events": []}}
    ).encode()  # fmt: skip
    response = client.generic(
        "POST", f"/callbackclicksign/{config.public_id}", body,
        content_type="application/json", HTTP_CONTENT_HMAC=webhook_signature("c" * 32, body),
    )  # fmt: skip
    assert response.status_code == 200
    run_jobs()
    callback = InboundCallback.objects.get()
    assert callback.state == CallbackState.PARKED
    InboundCallback.objects.filter(pk=callback.pk).update(
        state=CallbackState.FAILED, last_error="x", attempts=8
    )
    _login(client, units=[config.unit], perms=[MANAGE])
    page = client.get("/callbacks/?situacao=failed").content.decode()
    assert "Documento recebido pela Clicksign" in page and "Reprocessar os marcados" in page
    response = client.post(f"/callbacks/{callback.public_id}/reprocessar/", {"situacao": "failed"})
    assert response.status_code == 302 and response["Location"] == "/callbacks/?situacao=failed"
    run_jobs()
    callback.refresh_from_db()
    assert callback.state == CallbackState.PARKED and callback.attempts == 1


def test_the_host_erp_polls_the_changes_callbacks_made(cb, client):
    request = cb.send()
    _, key = make_api_key(units=[cb.config.unit])
    before = timezone.now().isoformat()
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    for received in cb.deliveries():
        deliver(client, received)
    run_jobs()
    page = client.get(
        "/api/v1/signature-requests", {"updated_after": before},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip
    assert page.status_code == 200
    items = page.json()["items"]
    assert [(i["id"], i["status"]) for i in items] == [(str(request.public_id), "signed")]


def test_it_reprocesses_the_ticked_callbacks_of_the_users_units_only(db, client):
    config = make_config(make_unit(), webhook_secret="c" * 32)
    for key in ("doc-1", "doc-2"):
        body = json.dumps(
            {"event": {"name": "upload", "data": {}, "occurred_at": "2026-08-10T10:00:00.000-03:00"},
             "document": {"key": key, "account_key": "", "metadata": {}, "events": []}}
        ).encode()  # fmt: skip
        client.generic(
            "POST", f"/callbackclicksign/{config.public_id}", body,
            content_type="application/json", HTTP_CONTENT_HMAC=webhook_signature("c" * 32, body),
        )  # fmt: skip
    InboundCallback.objects.update(state=CallbackState.FAILED, last_error="x", attempts=8)
    first, second = InboundCallback.objects.order_by("id")
    _login(client, units=[make_unit()], perms=[MANAGE])  # another unit: nothing happens
    client.post("/callbacks/reprocessar/", {"retorno": [str(first.public_id)]})
    assert InboundCallback.objects.filter(state=CallbackState.FAILED).count() == 2
    _login(client, units=[config.unit], perms=[MANAGE])
    response = client.post(
        "/callbacks/reprocessar/", {"retorno": [str(first.public_id)], "situacao": "failed"}
    )
    assert response["Location"] == "/callbacks/?situacao=failed"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == CallbackState.RECEIVED and second.state == CallbackState.FAILED
