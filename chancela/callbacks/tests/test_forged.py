"""A forged corpus built from real emulator deliveries: none may be accepted."""

from __future__ import annotations

import hashlib
import hmac
import json

from chancela.callbacks.models import InboundCallback, RejectedCallback
from chancela.callbacks.tests.conftest import deliver
from chancela.testing.clicksign import ReceivedRequest
from chancela.testing.factories import make_config, make_unit
from clicksign_emulator import webhook_signature


def _flip(body: bytes, position: int) -> bytes:
    data = bytearray(body)
    data[position % len(data)] ^= 0x01
    return bytes(data)


def test_it_accepts_none_of_a_forged_corpus(cb, client):
    other = make_config(make_unit(), webhook_secret="b" * 32)
    request = cb.send(signers=2)
    for signer in request.signers.all():
        cb.emulator.control.sign(signer.clicksign_signer_id)
    genuine = cb.deliveries()
    secret = cb.config.webhook_secret
    corpus: list[tuple[str, bytes, str | None]] = []
    for index, received in enumerate(genuine):
        body, header = received.body, received.headers["content-hmac"]
        digest = header.removeprefix("sha256=")
        reserialised = json.dumps(json.loads(body)).encode()
        assert reserialised != body
        corpus += [
            ("wrong secret", body, webhook_signature("0" * 32, body)),
            ("another configuration's secret", body, webhook_signature(other.webhook_secret, body)),
            ("one flipped byte", _flip(body, index * 37 + 11), header),
            ("re-serialised JSON", reserialised, header),
            ("missing header", body, None),
            (
                "sha1= prefix",
                body,
                "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
            ),
            ("sha1= prefix, sha256 digest", body, "sha1=" + digest),
            ("uppercase hex", body, "sha256=" + digest.upper()),
        ]
    accepted = []
    for kind, body, header in corpus:
        for path in (genuine[0].path, "/callbackclicksign"):
            headers = {"content-hmac": header} if header is not None else {}
            status = deliver(client, ReceivedRequest(path, headers, body))
            if 200 <= status < 300:
                accepted.append(kind)
    assert accepted == []
    assert not InboundCallback.objects.exists()
    assert RejectedCallback.objects.count() >= len(corpus)
    # the genuine deliveries still pass
    assert {deliver(client, received) for received in genuine} == {200}
    assert InboundCallback.objects.count() == len(genuine)


def _cancel_body(document_key: str, account_key: str, chancela_document: str = "") -> bytes:
    """A Clicksign ``cancel`` delivery as an attacker writes it for someone else's document."""
    return json.dumps(
        {
            "event": {
                "name": "cancel",
                "data": {"user": {"email": "ti@outra.example", "name": "TI"},
                         "account": {"key": account_key}},
                "occurred_at": "2026-08-10T10:00:00.000-03:00",
            },
            "document": {"key": document_key, "account_key": account_key, "status": "canceled",
                         "metadata": {"chancela_document": chancela_document}, "events": []},
        }
    ).encode()  # fmt: skip


def test_it_refuses_a_forged_cancel_of_another_units_request_and_records_it(cb, client):
    from chancela.callbacks.models import RejectReason
    from chancela.callbacks.tests.conftest import run_jobs
    from chancela.esign.models import SignatureConfig
    from chancela.signing.models import RequestEvent, RequestStatus
    from chancela.testing.factories import make_unit_group

    victim = cb.send()
    document = victim.documents.get()
    timeline = RequestEvent.objects.filter(request=victim).count()
    # An IT admin of another unit group: his own configuration, a webhook secret he chose.
    attacker = make_config(make_unit(make_unit_group(name="Outra rede")), webhook_secret="e" * 32)
    path = f"/callbackclicksign/{attacker.public_id}"
    forged = [
        _cancel_body(document.clicksign_document_id, cb.emulator.account_key),
        _cancel_body("", cb.emulator.account_key, chancela_document=str(document.public_id)),
    ]
    for body in forged:
        headers = {"content-hmac": webhook_signature("e" * 32, body), "event": "cancel"}
        deliver(client, ReceivedRequest(path, headers, body))
    run_jobs()

    victim.refresh_from_db()
    assert victim.status == RequestStatus.AWAITING_SIGNATURES
    assert RequestEvent.objects.filter(request=victim).count() == timeline
    assert not InboundCallback.objects.exists()
    rejected = RejectedCallback.objects.filter(config=attacker)
    assert [r.reason for r in rejected] == [RejectReason.OTHER_ACCOUNT] * 2
    assert {r.unit_id for r in rejected} == {attacker.unit_id}
    # nothing in a body teaches a configuration which account it is
    attacker.refresh_from_db()
    assert attacker.clicksign_account_key == ""
    assert SignatureConfig.objects.get(pk=cb.config.pk).clicksign_account_key in (
        "",
        cb.emulator.account_key,
    )


def test_it_refuses_in_processing_a_forged_callback_stored_before_its_document_was_known(
    cb, client
):
    from chancela.callbacks.models import CallbackState, RejectReason
    from chancela.callbacks.tests.conftest import run_jobs
    from chancela.signing.models import RequestStatus

    victim = cb.send()
    attacker = make_config(make_unit(), webhook_secret="e" * 32)
    body = _cancel_body("doc-not-yet-known", cb.emulator.account_key)
    headers = {"content-hmac": webhook_signature("e" * 32, body), "event": "cancel"}
    path = f"/callbackclicksign/{attacker.public_id}"
    assert deliver(client, ReceivedRequest(path, headers, body)) == 200
    run_jobs()
    assert InboundCallback.objects.get().state == CallbackState.PARKED
    victim.documents.update(clicksign_document_id="doc-not-yet-known")
    InboundCallback.objects.update(next_attempt_at=None)
    from chancela.callbacks.processing import callback_process

    callback_process(callback_id=InboundCallback.objects.get().pk)
    victim.refresh_from_db()
    assert victim.status == RequestStatus.AWAITING_SIGNATURES
    assert InboundCallback.objects.get().state == CallbackState.FAILED
    assert RejectedCallback.objects.get().reason == RejectReason.OTHER_ACCOUNT
