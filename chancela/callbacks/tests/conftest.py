"""Fixtures of the callbacks tests: the emulator (webhooks in manual mode), a configuration
with its webhook registered, requests sent by the real dispatch saga, and helpers to deliver what the
emulator sent to our endpoint and to run the queued jobs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.ratelimit import LIMITS
from chancela.clicksign.types import API_LEGACY
from chancela.esign.clients import client_for_config
from chancela.esign.connection import signature_config_register_webhook
from chancela.esign.models import SignatureConfig
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.clicksign import ReceivedRequest, WebhookReceiver, point_clicksign_at
from chancela.testing.factories import (
    make_config,
    make_document_type,
    make_signature_request,
    make_signer_input,
    make_unit,
)
from clicksign_emulator import DEMO_API_USER_EMAIL
from clicksign_emulator.testing import EmulatorHandle, make_emulator_fixture

# Our own emulator: generous limits so that many envelopes can be built quickly.
cb_emulator = make_emulator_fixture(
    "cb_emulator", rate_limit=100_000, webhook_settings={"mode": "manual"}
)


@dataclass
class Setup:
    emulator: EmulatorHandle
    receiver: WebhookReceiver
    config: SignatureConfig
    client: ClicksignClient

    def send(
        self, signers: int = 1, documents: int = 1, deadline_days: int = 30
    ) -> SignatureRequest:
        """A request created by the service and sent by the real dispatch saga (its job, run
        here as the worker would). Signers are refusable; a deadline with partial signatures
        closes the document (Clicksign's default ``deadline_partial_signature_action``)."""
        from chancela.signing.inputs import DocumentInput
        from chancela.testing.factories import make_pdf_bytes

        request = make_signature_request(
            self.config.unit,
            self.document_type,
            signers=[make_signer_input() for _ in range(signers)],
            documents=[
                DocumentInput(
                    filename=f"contrato-{i + 1}.pdf", content=make_pdf_bytes(text=f"Contrato {i}")
                )
                for i in range(documents)
            ],
            deadline_at=timezone.now() + timedelta(days=deadline_days),
        )
        run_jobs()
        request.refresh_from_db()
        assert request.status == RequestStatus.AWAITING_SIGNATURES, request.last_error
        return request

    document_type: Any = None

    def flush(self) -> list[ReceivedRequest]:
        """Make the emulator send every queued webhook to the receiver; returns them all."""
        self.emulator.control.flush_deliveries()
        return list(self.receiver.received)

    def deliveries(self) -> list[ReceivedRequest]:
        self.emulator.control.flush_deliveries()
        delivered = list(self.receiver.received)
        self.receiver.received.clear()
        return delivered


@pytest.fixture
def cb(
    cb_emulator: EmulatorHandle,
    webhook_receiver: WebhookReceiver,
    settings: Any,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    clicksign_api: str,
) -> Iterator[Setup]:
    """Parametrise ``clicksign_api`` (indirect) to run on API 1.9: the configuration then
    belongs to an old account of the emulator (no envelopes)."""
    monkeypatch.setitem(LIMITS, "sandbox", 100_000)
    point_clicksign_at(settings, cb_emulator)
    token = cb_emulator.token
    if clicksign_api == API_LEGACY:
        token = cb_emulator.control.create_account(
            api_user_email=DEMO_API_USER_EMAIL, envelopes_enabled=False, rate_limit=10_000
        )["token"]
    config = make_config(make_unit(), token=token, api_user_email=DEMO_API_USER_EMAIL)
    if clicksign_api == API_LEGACY:
        SignatureConfig.objects.filter(pk=config.pk).update(clicksign_api=API_LEGACY)
        config.refresh_from_db()
    config = signature_config_register_webhook(actor=None, config=config) and config
    config.refresh_from_db()
    client = client_for_config(config)
    setup = Setup(emulator=cb_emulator, receiver=webhook_receiver, config=config, client=client)
    setup.document_type = make_document_type(config)
    try:
        yield setup
    finally:
        client.close()


def wsgi_post(
    path: str, body: bytes, headers: dict[str, str], content_type: str = "application/json"
) -> tuple[int, dict[str, str], bytes]:
    """POST through ``chancela.wsgi.application`` — the production entry point, whose webhook
    paths skip the browser middleware — in this process and this test's transaction.
    ``headers`` as WSGI keys (``HTTP_CONTENT_HMAC``). Returns (status, headers, body)."""
    import io

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from chancela.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "HTTP_HOST": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(), "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0), **headers,
    }  # fmt: skip
    answered: list[Any] = []
    # As Django's test client does: the test's connection (inside its transaction) must not be
    # closed by the request signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, lambda status, items, *_: answered.append((status, items)))
        content = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, items = answered[0]
    return int(status.split()[0]), {k.lower(): v for k, v in items}, content


def deliver(django_client: Client, received: ReceivedRequest, **headers: str) -> int:
    """POST what the emulator sent (raw body, Content-Hmac, Event) to our endpoint, through the
    production WSGI entry point (``django_client`` is kept for the callers' signature)."""
    extra = {
        "HTTP_CONTENT_HMAC": received.headers.get("content-hmac", ""),
        "HTTP_EVENT": received.headers.get("event", ""),
    }
    extra.update(headers)
    return wsgi_post(received.path, received.body, extra)[0]


def run_jobs(order_seed: int | None = None) -> int:
    """Run every ready job, as ``db_worker`` would, in this process (and this test's
    transaction); jobs enqueued meanwhile run too. ``order_seed`` shuffles each round (workers
    in parallel finish in any order). Returns how many ran."""
    ran = 0
    for _ in range(1000):
        ready = list(DBTaskResult.objects.ready().order_by("enqueued_at", "id"))
        if not ready:
            return ran
        if order_seed is not None:
            ready = shuffled(ready, order_seed + ran)
        for row in ready:
            row.claim("test-worker")
            try:
                value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
            except Exception as exc:  # noqa: BLE001 - recorded like the worker does
                row.set_failed(exc)
            else:
                row.set_successful(value)
            ran += 1
    raise AssertionError("jobs keep enqueuing jobs")


def shuffled(items: list[Any], seed: int) -> list[Any]:
    copy = list(items)
    random.Random(seed).shuffle(copy)
    return copy
