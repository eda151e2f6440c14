"""With the emulator's webhooks switched off, the reconciler alone brings every request to its
final state — within its share of the account's rate limit."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from chancela.callbacks.models import InboundCallback
from chancela.callbacks.reconcile import call_budget, requests_reconcile, stale_requests
from chancela.callbacks.tests.conftest import run_jobs
from chancela.clicksign.ratelimit import LIMITS
from chancela.signing.models import RequestStatus, SignatureRequest, SignerStatus
from chancela.testing.clicksign import API_VERSIONS, emulator_refuse, emulator_sign


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_brings_every_request_to_its_final_state_without_webhooks(cb):
    control = cb.emulator.control
    control.webhook_settings(enabled=False)
    signed = cb.send(signers=2, documents=2)
    refused = cb.send(signers=2)
    canceled = cb.send()
    expired = cb.send(deadline_days=1)
    partial = cb.send(signers=2, deadline_days=1)
    for signer in signed.signers.all():
        emulator_sign(cb.emulator, signer)
    emulator_refuse(cb.emulator, refused.signers.first(), reasons=["Outro"], comment="não")
    document = canceled.documents.get()
    cb.client.document_cancel(canceled.clicksign_envelope_id, document.clicksign_document_id)
    emulator_sign(cb.emulator, partial.signers.first())
    control.advance(2 * 86400)

    for _ in range(5):
        out = StringIO()
        call_command("reconcile", silent_minutes=0, stdout=out)
        assert "errors" in out.getvalue()
        run_jobs()
    assert not InboundCallback.objects.exists()  # no webhook at all
    statuses = {
        r.pk: r.status
        for r in SignatureRequest.objects.filter(
            pk__in=[signed.pk, refused.pk, canceled.pk, expired.pk, partial.pk]
        )
    }
    assert statuses == {
        signed.pk: RequestStatus.SIGNED,
        refused.pk: RequestStatus.REFUSED,
        canceled.pk: RequestStatus.CANCELED,
        expired.pk: RequestStatus.EXPIRED,
        partial.pk: RequestStatus.EXPIRED,
    }
    assert {s.status for s in signed.signers.all()} == {SignerStatus.SIGNED}
    assert all(d.signed_sha256 for d in signed.documents.all())
    assert partial.documents.get().signed_sha256
    downloads = control.requests(method="GET", path="^/__files/")
    assert len(downloads) == 3  # two documents of `signed`, one partial


def test_it_reads_only_silent_requests_awaiting_signatures_oldest_first(cb):
    old = cb.send()
    older = cb.send()
    fresh = cb.send()
    done = cb.send()
    now = timezone.now()
    SignatureRequest.objects.filter(pk=old.pk).update(clicksign_seen_at=now - timedelta(hours=1))
    SignatureRequest.objects.filter(pk=older.pk).update(clicksign_seen_at=now - timedelta(hours=2))
    SignatureRequest.objects.filter(pk=fresh.pk).update(clicksign_seen_at=now)
    SignatureRequest.objects.filter(pk=done.pk).update(
        status=RequestStatus.SIGNED, clicksign_seen_at=now - timedelta(hours=3)
    )
    assert list(stale_requests(silent_minutes=30).values_list("pk", flat=True)) == [
        older.pk,
        old.pk,
    ]
    result = requests_reconcile(silent_minutes=30)
    assert result.checked == 2 and not result.errors
    old.refresh_from_db()
    assert old.clicksign_seen_at > now  # heard from now


def test_it_spends_at_most_a_tenth_of_the_account_rate_limit(cb, monkeypatch):
    for _ in range(6):  # sent under the fixture's raised limit: a full account reschedules
        cb.send(documents=2)  # 3 calls each to read: 18 > 12
    monkeypatch.setitem(LIMITS, "sandbox", 20)
    budget = call_budget("sandbox")
    assert budget == 12  # 10% of 20 requests / 10 s over the one-minute interval
    control = cb.emulator.control
    control.clear_requests()
    first = requests_reconcile(silent_minutes=0)
    calls = control.requests(path="^/api/v3/")
    assert len(calls) == first.calls <= budget
    assert first.checked == 4
    second = requests_reconcile(silent_minutes=0)
    assert second.checked == 4  # the two left over first (oldest news), then two more
    assert len(control.requests(path="^/api/v3/")) - len(calls) <= budget


def test_it_applies_nothing_twice_after_the_webhooks(cb, client):
    from chancela.callbacks.tests.conftest import deliver

    request = cb.send(signers=2)
    cb.emulator.control.sign(request.signers.first().clicksign_signer_id)
    for received in cb.deliveries():
        assert deliver(client, received) == 200
    run_jobs()
    lines = request.events.count()
    result = requests_reconcile(silent_minutes=0)
    assert result.checked == 1 and result.applied == 0
    assert request.events.count() == lines


def test_it_repairs_a_failed_request_whose_envelope_runs_at_clicksign(cb):
    control = cb.emulator.control
    control.webhook_settings(enabled=False)
    signed = cb.send()
    draft_failed = cb.send()
    # Failed here, although Clicksign runs the envelope (and its signer signs it) — a dispatch
    # that gave up after activation, before that was ruled out.
    for request in (signed, draft_failed):
        SignatureRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.FAILED, status_changed_at=timezone.now(), clicksign_seen_at=None
        )
    control.sign(signed.signers.get().clicksign_signer_id)
    cb.client.document_cancel(
        draft_failed.clicksign_envelope_id, draft_failed.documents.get().clicksign_document_id
    )

    assert set(stale_requests(silent_minutes=30).values_list("pk", flat=True)) == {
        signed.pk,
        draft_failed.pk,
    }
    requests_reconcile(silent_minutes=30)
    run_jobs()

    signed.refresh_from_db()
    assert signed.status == RequestStatus.SIGNED
    assert signed.events.filter(kind="status_repaired").exists()
    draft_failed.refresh_from_db()
    assert draft_failed.status == RequestStatus.FAILED  # nothing running there: left alone
    # Each failed request is read once after it failed, not at every run.
    assert not stale_requests(silent_minutes=30).filter(pk=draft_failed.pk).exists()
