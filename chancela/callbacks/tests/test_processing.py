"""Processing each documented event, with bodies the emulator really sent."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from chancela.callbacks.models import AppliedEvent, CallbackState, InboundCallback
from chancela.callbacks.processing import callbacks_retry_due
from chancela.callbacks.tests.conftest import deliver, run_jobs
from chancela.notifications.models import OutboundEvent
from chancela.notifications.services import host_endpoint_create
from chancela.signing.models import DocumentStatus, RequestEvent, RequestStatus, SignerStatus
from chancela.testing.clicksign import API_VERSIONS, ReceivedRequest, emulator_refuse, emulator_sign
from chancela.testing.receiver import http_receiver
from clicksign_emulator import webhook_signature


def _deliver_all(cb, client):
    statuses = [deliver(client, received) for received in cb.deliveries()]
    assert statuses and set(statuses) == {200}
    run_jobs()


def _signed_file_bytes(cb, document) -> bytes:
    return cb.client.document_download(
        document.request.clicksign_envelope_id, document.clicksign_document_id
    ).content


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_signs_archives_and_finishes_a_request(cb, client: Client):
    request = cb.send(signers=2, documents=2)
    for signer in request.signers.all():
        emulator_sign(cb.emulator, signer)
    _deliver_all(cb, client)
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED
    assert not request.legally_valid  # sandbox: never legally valid
    assert {s.status for s in request.signers.all()} == {SignerStatus.SIGNED}
    assert all(s.signed_auths == ["email"] and s.signed_at for s in request.signers.all())
    for document in request.documents.all():
        with document.signed_file.open("rb") as handle:
            stored = handle.read()
        assert hashlib.sha256(stored).hexdigest() == document.signed_sha256
        assert (
            document.signed_sha256 == hashlib.sha256(_signed_file_bytes(cb, document)).hexdigest()
        )
        assert document.status == DocumentStatus.CLOSED
        assert document.finished_by == "auto_close"
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds.count("sign") == 4 and kinds.count("signed_file_archived") == 2
    assert "Sandbox — sem validade jurídica" in request.events.get(kind="signed").message


def test_it_tells_the_host_erp_each_status_change_signed_per_standard_webhooks(cb, client):
    with http_receiver() as host:
        host_endpoint_create(actor=None, unit=cb.config.unit, name="ERP", url=host.url)
        request = cb.send()
        cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
        _deliver_all(cb, client)
        request.refresh_from_db()
        assert request.status == RequestStatus.SIGNED
        events = OutboundEvent.objects.filter(request=request).order_by("id")
        assert [e.payload["data"]["status"] for e in events] == [
            "sending",
            "awaiting_signatures",
            "signed",
        ]
        bodies = [json.loads(r.body) for r in host.requests]
        assert [b["data"]["status"] for b in bodies] == ["sending", "awaiting_signatures", "signed"]
        for received in host.requests:
            assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(received.headers)


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_records_a_refusal_with_reasons_and_comment(cb, client: Client):
    request = cb.send(signers=2)
    refuser = request.signers.first()
    emulator_refuse(cb.emulator, refuser, reasons=["Dados incorretos"], comment="CPF errado")
    _deliver_all(cb, client)
    request.refresh_from_db()
    refuser.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert refuser.status == SignerStatus.REFUSED
    assert "Dados incorretos" in refuser.refusal_reason and "CPF errado" in refuser.refusal_reason
    line = request.events.get(kind="refusal")
    assert line.data["comment"] == "CPF errado" and line.data["from"] == "awaiting_signatures"
    # The document row follows: never "Em assinatura" under a refused request.
    assert request.documents.get().status == DocumentStatus.REFUSED


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_cancels_when_the_document_is_canceled_at_clicksign(cb, client: Client):
    request = cb.send()
    document = request.documents.get()
    cb.client.document_cancel(request.clicksign_envelope_id, document.clicksign_document_id)
    _deliver_all(cb, client)
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELED
    assert request.documents.get().status == DocumentStatus.CANCELED


def test_it_expires_a_request_whose_deadline_passed_without_signatures(cb, client: Client):
    request = cb.send(deadline_days=1)
    cb.emulator.control.advance(2 * 86400)
    _deliver_all(cb, client)
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert not request.documents.get().signed_sha256
    assert request.documents.get().status == DocumentStatus.EXPIRED


def test_it_archives_the_partial_pdf_and_expires_on_a_partial_deadline_close(cb, client: Client):
    request = cb.send(signers=2, deadline_days=1)
    cb.emulator.control.sign(request.signers.first().clicksign_signer_id)
    cb.emulator.control.advance(2 * 86400)
    _deliver_all(cb, client)
    request.refresh_from_db()
    document = request.documents.get()
    assert request.status == RequestStatus.EXPIRED
    assert document.finished_by == "deadline" and document.signed_sha256
    assert request.events.filter(kind="expired_partial").exists()


def _forge_event(cb, received: ReceivedRequest, name: str) -> ReceivedRequest:
    """A body of another event name, signed with the configuration's real secret (the emulator
    cannot provoke authentication failures)."""
    body = json.loads(received.body)
    body["event"]["name"] = name
    raw = json.dumps(body).encode()
    headers = dict(received.headers)
    headers["content-hmac"] = webhook_signature(cb.config.webhook_secret, raw)
    headers["event"] = name
    return ReceivedRequest(received.path, headers, raw)


def test_it_shows_an_authentication_failure_on_the_request(cb, client: Client):
    request = cb.send()
    cb.emulator.server.emulator  # noqa: B018 - the emulator is up
    signer = request.signers.get()
    cb.emulator.control.sign(signer.clicksign_signer_id)
    sign = next(r for r in cb.deliveries() if r.headers["event"] == "sign")
    assert deliver(client, _forge_event(cb, sign, "facematch_refused")) == 200
    run_jobs()
    line = request.events.get(kind="facematch_refused")
    assert signer.name in line.message and "biometria facial" in line.message
    from chancela.testing.factories import make_user

    client.force_login(make_user(units=[request.unit], perms=["signing.send_documents"]))
    page = client.get(f"/solicitacoes/{request.public_id}/").content.decode()
    assert "teve a biometria facial recusada" in page


def test_it_stores_and_ignores_an_unknown_event(cb, client: Client):
    request = cb.send()
    upload = next(r for r in cb.deliveries() if r.headers["event"] == "upload")
    assert deliver(client, _forge_event(cb, upload, "envelope_teleported")) == 200
    run_jobs()
    callback = InboundCallback.objects.get(event_name="envelope_teleported")
    assert callback.state == CallbackState.IGNORED
    assert not AppliedEvent.objects.filter(event_key__startswith="envelope_teleported").exists()
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES


def test_it_parks_events_of_an_unknown_envelope_then_applies_them(cb, client: Client):
    request = cb.send()
    signer = request.signers.get()
    cb.emulator.control.sign(signer.clicksign_signer_id)
    deliveries = cb.deliveries()
    # the envelope is not known yet: as if dispatch had not recorded the ids
    document = request.documents.get()
    key = document.clicksign_document_id
    document.clicksign_document_id = ""
    document.save()
    type(document).objects.filter(pk=document.pk).update(clicksign_document_id="")
    # and the metadata link is gone too (another document public id)
    from chancela.signing.models import Document

    public_id = document.public_id
    Document.objects.filter(pk=document.pk).update(public_id="00000000-0000-4000-8000-000000000000")
    for received in deliveries:
        assert deliver(client, received) == 200
    run_jobs()
    assert set(InboundCallback.objects.values_list("state", flat=True)) == {CallbackState.PARKED}
    Document.objects.filter(pk=document.pk).update(clicksign_document_id=key, public_id=public_id)
    InboundCallback.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
    assert callbacks_retry_due() == len(deliveries)
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED


def test_it_reports_a_callback_parked_for_too_long(cb, client: Client, settings):
    settings.CHANCELA_CALLBACK_PARK_MAX_ATTEMPTS = 2
    request = cb.send()
    upload = next(r for r in cb.deliveries() if r.headers["event"] == "upload")
    request.documents.update(
        clicksign_document_id="", public_id="00000000-0000-4000-8000-0000000000aa"
    )
    assert deliver(client, upload) == 200
    run_jobs()
    InboundCallback.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
    callbacks_retry_due()
    run_jobs()
    callback = InboundCallback.objects.get()
    assert callback.state == CallbackState.FAILED and "desconhecido" in callback.last_error
    from django.core import mail

    assert [m.to for m in mail.outbox] == [[cb.config.notification_email]]
    assert "Retorno da Clicksign sem solicitação" in mail.outbox[0].subject
    assert "/callbacks/?situacao=failed" in mail.outbox[0].body


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_applies_duplicates_once(cb, client: Client):
    request = cb.send()
    emulator_sign(cb.emulator, request.signers.get())
    deliveries = cb.deliveries()
    for received in deliveries + deliveries:
        assert deliver(client, received) == 200
    run_jobs()
    assert InboundCallback.objects.count() == len(deliveries)
    assert sum(InboundCallback.objects.values_list("duplicates", flat=True)) == len(deliveries)
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED
    assert request.events.filter(kind="sign").count() == 1
    assert request.events.filter(kind="signed_file_archived").count() == 1
    assert RequestEvent.objects.filter(request=request, kind="signed").count() == 1


def test_it_heals_a_lost_delivery_from_a_later_one(cb, client: Client):
    request = cb.send()
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    deliveries = cb.deliveries()
    closed = next(r for r in deliveries if r.headers["event"] == "document_closed")
    assert deliver(client, closed) == 200  # only the last one arrives
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED
    assert request.signers.get().status == SignerStatus.SIGNED


def test_it_applies_a_callback_received_through_another_configuration_of_the_account(
    cb, client: Client
):
    from chancela.esign.models import SignatureConfig
    from chancela.testing.factories import make_config, make_unit

    other = make_config(make_unit(), webhook_secret="d" * 32)
    SignatureConfig.objects.filter(pk__in=[cb.config.pk, other.pk]).update(
        clicksign_account_key=cb.emulator.account_key
    )
    request = cb.send()
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    for received in cb.deliveries():
        headers = {**received.headers, "content-hmac": webhook_signature("d" * 32, received.body)}
        path = f"/callbackclicksign/{other.public_id}"
        assert deliver(client, ReceivedRequest(path, headers, received.body)) == 200
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED
    assert set(InboundCallback.objects.values_list("unit", flat=True)) == {request.unit_id}
