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
) -> Iterator[Setup]:
    monkeypatch.setitem(LIMITS, "sandbox", 100_000)
    point_clicksign_at(settings, cb_emulator)
    config = make_config(make_unit(), token=cb_emulator.token, api_user_email=DEMO_API_USER_EMAIL)
    config = signature_config_register_webhook(actor=None, config=config) and config
    config.refresh_from_db()
    client = client_for_config(config)
    setup = Setup(emulator=cb_emulator, receiver=webhook_receiver, config=config, client=client)
    setup.document_type = make_document_type(config)
    try:
        yield setup
    finally:
        client.close()


def deliver(django_client: Client, received: ReceivedRequest, **headers: str) -> int:
    """POST what the emulator sent (raw body, Content-Hmac, Event) to our endpoint."""
    extra = {
        "HTTP_CONTENT_HMAC": received.headers.get("content-hmac", ""),
        "HTTP_EVENT": received.headers.get("event", ""),
    }
    extra.update(headers)
    response = django_client.generic(
        "POST", received.path, received.body, content_type="application/json", **extra
    )
    return response.status_code


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
