"""Replay: over a thousand signed deliveries from the emulator, delivered with duplicates, in
random order, with 5% first-attempt failures (the endpoint answering 503, or the worker dying
while processing), end in exactly the state in-order delivery gives — with one download per
document."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from chancela.callbacks import processing
from chancela.callbacks.models import InboundCallback
from chancela.callbacks.processing import callbacks_retry_due
from chancela.callbacks.tests.conftest import deliver, run_jobs, shuffled
from chancela.clicksign.types import API_LEGACY
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.clicksign import API_VERSIONS, emulator_refuse, emulator_sign

pytestmark = pytest.mark.slow

SIGNED, REFUSED, CANCELED = 50, 5, 5
# API 1.9 replays a smaller stream (the same mix): the legacy webhooks take the same path
# through the inbox, and the full stream would add minutes to each database's run.
LEGACY_SCALE = 5


class _RollBack(Exception):
    pass


def _snapshot(ids: list[int]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for request in SignatureRequest.objects.filter(pk__in=ids).prefetch_related(
        "signers", "documents", "events"
    ):
        state[str(request.public_id)] = {
            "status": request.status,
            "signers": sorted(
                (
                    s.clicksign_signer_id,
                    s.status,
                    s.signed_at,
                    tuple(s.signed_auths),
                    s.refused_at,
                    s.refusal_reason,
                )
                for s in request.signers.all()
            ),  # fmt: skip
            "documents": sorted(
                (d.clicksign_document_id, d.status, d.finished_by, d.signed_sha256)
                for d in request.documents.all()
            ),
            "timeline": sorted(Counter((e.kind, e.message) for e in request.events.all()).items()),
        }
    return state


def _all_deliveries(cb) -> list[Any]:
    control = cb.emulator.control
    while control.flush_deliveries():
        pass
    received = list(cb.receiver.received)
    cb.receiver.received.clear()
    return received


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_ends_in_the_in_order_state_whatever_the_delivery_order(
    cb, client, monkeypatch, clicksign_api
):
    scale = LEGACY_SCALE if clicksign_api == API_LEGACY else 1
    signed_count, refused_count, canceled_count = SIGNED // scale, REFUSED, CANCELED
    control = cb.emulator.control
    control.webhook_settings(duplicate_probability=0.05, seed=7)
    requests = []
    for index in range(signed_count + refused_count + canceled_count):
        refused = signed_count <= index < signed_count + refused_count
        request = cb.send(signers=2, documents=2 if index < signed_count else 1)
        first, second = request.signers.all()
        if index < signed_count:
            emulator_sign(cb.emulator, first)
            emulator_sign(cb.emulator, second)
        elif refused:
            emulator_refuse(cb.emulator, first, reasons=["Outro"], comment=f"não {index}")
        else:
            emulator_sign(cb.emulator, first)
            document = request.documents.get()
            cb.client.document_cancel(request.clicksign_envelope_id, document.clicksign_document_id)
        requests.append(request)
    received = _all_deliveries(cb)
    assert len(received) >= 1000 // scale
    ids = [r.pk for r in requests]
    documents = 2 * signed_count

    # 1. In order, once each (then rolled back).
    unique = list({r.body: r for r in received}.values())
    try:
        with transaction.atomic():
            for item in unique:
                assert deliver(client, item) == 200
            run_jobs()
            expected = _snapshot(ids)
            raise _RollBack
    except _RollBack:
        pass
    assert Counter(s["status"] for s in expected.values()) == {
        RequestStatus.SIGNED: signed_count,
        RequestStatus.REFUSED: refused_count,
        RequestStatus.CANCELED: canceled_count,
    }

    # 2. Chaos: every delivery (emulator duplicates included) plus 10% re-sent, shuffled; 5%
    # of first attempts answered 503 (the inbox table is unavailable) and re-sent later; 5% of
    # first processing runs crash the worker.
    control.clear_requests()
    rng = random.Random(2026)
    stream = shuffled(received + rng.sample(received, len(received) // 10), seed=11)
    failing = set(rng.sample(range(len(stream)), len(stream) // 20))
    retries = []
    for position, item in enumerate(stream):
        if position in failing:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE callbacks_inboundcallback RENAME TO callbacks_away")
            try:
                assert deliver(client, item) == 503
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("ALTER TABLE callbacks_away RENAME TO callbacks_inboundcallback")
            retries.append(item)
        else:
            assert deliver(client, item) == 200
    for item in shuffled(retries, seed=5):
        assert deliver(client, item) == 200

    crashing = set(rng.sample(list(InboundCallback.objects.values_list("pk", flat=True)),
                              InboundCallback.objects.count() // 20))  # fmt: skip
    crashed: set[int] = set()
    real_apply = processing.document_events_apply
    current: dict[str, int] = {}

    def crash_once(**kwargs: Any) -> int:
        pk = current["callback"]
        if pk in crashing and pk not in crashed:
            crashed.add(pk)
            raise RuntimeError("worker died while processing")
        return real_apply(**kwargs)

    real_process = processing.callback_process

    def tracking(*, callback_id: int) -> str:
        current["callback"] = callback_id
        return real_process(callback_id=callback_id)

    monkeypatch.setattr(processing, "document_events_apply", crash_once)
    monkeypatch.setattr(processing, "callback_process", tracking)
    run_jobs(order_seed=3)
    assert crashed == crashing
    # the sweeper re-enqueues what a dead worker left behind
    assert callbacks_retry_due(now=timezone.now() + timedelta(minutes=15)) >= len(crashing)
    run_jobs(order_seed=4)

    actual = _snapshot(ids)
    differences = {
        key: {
            part: (expected[key][part], actual[key][part])
            for part in expected[key]
            if expected[key][part] != actual[key][part]
        }
        for key in expected
        if expected[key] != actual[key]
    }
    assert not differences, list(differences.items())[:2]
    downloads = control.requests(method="GET", path="^/__files/")
    assert len(downloads) == documents
    assert len({d["path"] for d in downloads}) == documents
