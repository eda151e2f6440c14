"""The endpoints: method, size, media type, signature, configuration, storage."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from chancela.callbacks.models import InboundCallback, RejectedCallback, RejectReason
from chancela.callbacks.receiving import DATABASE_OUTAGE
from chancela.callbacks.tests.conftest import deliver
from chancela.esign.models import SignatureConfig
from chancela.esign.services import signature_config_update
from chancela.testing.factories import make_config, make_unit
from clicksign_emulator import webhook_signature

SECRET = "0123456789abcdef0123456789abcdef"


def _config(**kwargs):
    return make_config(make_unit(), webhook_secret=SECRET, **kwargs)


def _body(document_key: str = "doc-1", name: str = "upload", account: str = "acc-1") -> bytes:
    return json.dumps(
        {
            "event": {"name": name, "data": {"account": {"key": account}},
                      "occurred_at": "2026-08-10T10:00:00.000-03:00"},
            "document": {"key": document_key, "account_key": account, "status": "running",
                         "metadata": {}, "events": []},
        }
    ).encode()  # fmt: skip


def _post(client: Client, path: str, body: bytes, signature: str | None, **extra):
    headers = {"HTTP_CONTENT_HMAC": signature} if signature is not None else {}
    headers.update(extra)
    content_type = headers.pop("content_type", "application/json")
    return client.generic("POST", path, body, content_type=content_type, **headers)


def test_it_stores_a_verified_callback_and_answers_200(db, client):
    config = _config()
    body = _body()
    response = _post(
        client, f"/callbackclicksign/{config.public_id}", body, webhook_signature(SECRET, body)
    )
    assert response.status_code == 200
    stored = InboundCallback.objects.get()
    assert stored.body == body.decode() and stored.config == config
    # encrypted at rest
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM callbacks_inboundcallback")
        raw = cursor.fetchone()[0]
    assert "doc-1" not in raw
    config.refresh_from_db()
    assert config.clicksign_account_key == ""  # never learned from a callback body
    assert config.last_callback_at is not None


def test_it_answers_only_post(db, client):
    config = _config()
    for method in ("get", "put", "delete"):
        response = getattr(client, method)(f"/callbackclicksign/{config.public_id}")
        assert response.status_code == 405
    assert client.get("/callbackclicksign").status_code == 405


def test_it_never_redirects(db, client):
    config = _config()
    body = _body()
    for path in (f"/callbackclicksign/{config.public_id}/", "/callbackclicksign/"):
        response = _post(client, path, body, webhook_signature(SECRET, body))
        assert response.status_code in (200, 401)


def test_it_refuses_a_body_over_the_cap(db, client, settings):
    settings.CHANCELA_CALLBACK_MAX_BODY_BYTES = 100
    config = _config()
    body = _body() + b" " * 200
    response = _post(
        client, f"/callbackclicksign/{config.public_id}", body, webhook_signature(SECRET, body)
    )
    assert response.status_code == 413
    assert not InboundCallback.objects.exists()


def test_it_accepts_json_only(db, client):
    config = _config()
    path = f"/callbackclicksign/{config.public_id}"
    body = _body()
    response = _post(client, path, body, webhook_signature(SECRET, body), content_type="text/plain")
    assert response.status_code == 415
    broken = b"{not json"
    assert _post(client, path, broken, webhook_signature(SECRET, broken)).status_code == 400


def test_it_answers_404_for_an_unknown_configuration(db, client):
    body = _body()
    response = _post(
        client, "/callbackclicksign/00000000-0000-4000-8000-000000000000", body,
        webhook_signature(SECRET, body),
    )  # fmt: skip
    assert response.status_code == 404


def test_it_rejects_a_missing_or_bad_signature_and_keeps_no_body(db, client):
    config = _config()
    path = f"/callbackclicksign/{config.public_id}"
    body = _body()
    assert _post(client, path, body, None, HTTP_EVENT="upload").status_code == 401
    assert _post(client, path, body, webhook_signature("f" * 32, body)).status_code == 401
    reasons = list(RejectedCallback.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == [RejectReason.MISSING_SIGNATURE, RejectReason.BAD_SIGNATURE]
    rejected = RejectedCallback.objects.order_by("id").first()
    assert rejected.event_header == "upload" and rejected.body_size == len(body)
    assert not hasattr(rejected, "body")
    assert not InboundCallback.objects.exists()


def test_it_logs_a_rejection_as_a_security_event_without_the_payload(db, client, caplog):
    config = _config()
    body = _body(document_key="sensitive-document-key")
    _post(client, f"/callbackclicksign/{config.public_id}", body, "sha256=00")
    record = next(r for r in caplog.records if r.getMessage() == "clicksign callback rejected")
    assert record.security_event == "callback_rejected"
    assert "sensitive-document-key" not in caplog.text


def test_it_accepts_the_previous_secret_during_the_grace_period(db, client):
    config = _config()
    config = signature_config_update(actor=None, config=config, webhook_secret="a" * 32)
    body = _body()
    path = f"/callbackclicksign/{config.public_id}"
    assert _post(client, path, body, webhook_signature(SECRET, body)).status_code == 200
    SignatureConfig.objects.filter(pk=config.pk).update(
        previous_webhook_secret_valid_until=timezone.now() - timedelta(seconds=1)
    )
    other = _body(document_key="doc-2")
    assert _post(client, path, other, webhook_signature(SECRET, other)).status_code == 401
    assert _post(client, path, other, webhook_signature("a" * 32, other)).status_code == 200


def test_it_refuses_a_payload_of_another_clicksign_account(db, client):
    config = _config()
    SignatureConfig.objects.filter(pk=config.pk).update(clicksign_account_key="acc-1")
    body = _body(account="acc-2")
    response = _post(
        client, f"/callbackclicksign/{config.public_id}", body, webhook_signature(SECRET, body)
    )
    assert response.status_code == 401
    assert RejectedCallback.objects.get().reason == RejectReason.ACCOUNT_MISMATCH


def test_the_bare_endpoint_finds_the_configuration_from_the_account_key(db, client):
    config = _config()
    SignatureConfig.objects.filter(pk=config.pk).update(clicksign_account_key="acc-9")
    body = _body(account="acc-9")
    assert (
        _post(client, "/callbackclicksign", body, webhook_signature(SECRET, body)).status_code
        == 200
    )
    assert InboundCallback.objects.get().config == config
    unknown = _body(account="acc-unknown")
    assert (
        _post(client, "/callbackclicksign", unknown, webhook_signature(SECRET, unknown)).status_code
        == 401
    )
    assert RejectedCallback.objects.get().reason == RejectReason.UNKNOWN_CONFIG


def test_the_bare_endpoint_finds_the_configuration_from_the_document(cb, client):
    request = cb.send()
    upload = next(r for r in cb.deliveries() if r.headers["event"] == "upload")
    upload.path = "/callbackclicksign"
    assert deliver(client, upload) == 200
    assert InboundCallback.objects.get().config == request.config


def test_it_answers_200_to_a_duplicate_and_stores_it_once(db, client):
    config = _config()
    body = _body()
    path = f"/callbackclicksign/{config.public_id}"
    for _ in range(3):
        assert _post(client, path, body, webhook_signature(SECRET, body)).status_code == 200
    # the same event in another body (another serialisation) is the same event
    same_event = json.dumps(json.loads(body), indent=1).encode()
    assert _post(client, path, same_event, webhook_signature(SECRET, same_event)).status_code == 200
    stored = InboundCallback.objects.get()
    assert stored.duplicates == 3


def test_it_answers_503_when_the_callback_cannot_be_stored(db, client):
    config = _config()
    body = _body()
    with connection.cursor() as cursor:  # the inbox table is gone: a real database error
        cursor.execute("ALTER TABLE callbacks_inboundcallback RENAME TO callbacks_gone")
    try:
        response = _post(
            client, f"/callbackclicksign/{config.public_id}", body, webhook_signature(SECRET, body)
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE callbacks_gone RENAME TO callbacks_inboundcallback")
    assert response.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_it_answers_a_json_503_and_logs_once_while_the_configurations_cannot_be_read(
    client, caplog
):
    config = _config()
    body = _body()
    path = f"/callbackclicksign/{config.public_id}"
    signature = webhook_signature(SECRET, body)
    DATABASE_OUTAGE.ok()  # an earlier test's outage, closed
    caplog.set_level(logging.INFO, logger="chancela.callbacks")
    caplog.clear()
    # The configuration look-up itself fails (the first query of a delivery): a real error.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE esign_signatureconfig RENAME TO esign_gone")
    try:
        refusals = [_post(client, path, body, signature) for _ in range(3)]
        refusals.append(_post(client, "/callbackclicksign", body, signature))  # the bare one
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE esign_gone RENAME TO esign_signatureconfig")

    for response in refusals:
        assert response.status_code == 503
        assert response.json() == {"ok": False, "code": "database_unavailable"}
    # (the access log's line per request aside)
    ours = [r for r in caplog.records if r.name.startswith("chancela.callbacks")]
    assert [r.message for r in ours] == ["callback endpoint: database unreachable"]
    assert not [r for r in caplog.records if r.exc_info]  # no traceback

    assert _post(client, path, body, signature).status_code == 200
    ours = [r for r in caplog.records if r.name.startswith("chancela.callbacks")]
    assert [r.message for r in ours][1:] == ["callback endpoint: database reachable again"]
    assert ours[1].refused == 4


@pytest.mark.django_db(transaction=True)
def test_it_keeps_an_outage_open_when_a_delivery_begun_before_it_succeeds(client, monkeypatch):
    # The cluster stops while this delivery is past its queries (or its persistent connection is
    # not terminated yet): another thread's refusal opens the outage, then this one answers 200.
    # That is no sign the database is back unless a new connection confirms it.
    from django.db import OperationalError

    from chancela.callbacks import receiving

    config = _config()
    path = f"/callbackclicksign/{config.public_id}"
    DATABASE_OUTAGE.ok()
    real = receiving.callback_receive

    def stored_as_another_thread_is_refused(**arguments):
        result = real(**arguments)
        DATABASE_OUTAGE.failed(OperationalError("terminating connection"))
        return result

    monkeypatch.setattr(receiving, "callback_receive", stored_as_another_thread_is_refused)
    # ... and the stopping cluster refuses new connections.
    monkeypatch.setattr("chancela.core.outage.database_accepts_new_connections", lambda: False)
    body = _body("doc-antes")
    assert _post(client, path, body, webhook_signature(SECRET, body)).status_code == 200
    assert DATABASE_OUTAGE.ongoing
    monkeypatch.undo()
    body = _body("doc-depois")
    assert _post(client, path, body, webhook_signature(SECRET, body)).status_code == 200
    assert not DATABASE_OUTAGE.ongoing  # the database accepts new connections: it is back


@pytest.mark.django_db(transaction=True)
def test_it_keeps_an_outage_open_when_a_refusal_could_not_be_recorded(client):
    from django.db import OperationalError

    config = _config()
    path = f"/callbackclicksign/{config.public_id}"
    DATABASE_OUTAGE.ok()
    DATABASE_OUTAGE.failed(OperationalError("the database system is shutting down"))
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE callbacks_rejectedcallback RENAME TO callbacks_gone")
    try:
        response = _post(client, path, _body(), "sha256=" + "0" * 64)  # a bad signature: 401
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE callbacks_gone RENAME TO callbacks_rejectedcallback")
    assert response.status_code == 401
    assert DATABASE_OUTAGE.ongoing  # the refusal was not stored: the database did not answer
    DATABASE_OUTAGE.ok()
