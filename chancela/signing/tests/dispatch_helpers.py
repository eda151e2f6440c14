"""Arrangements shared by the dispatch saga's tests (not a test module)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chancela.clicksign.models import RateLimitBucket
from chancela.clicksign.types import API_LEGACY
from chancela.esign.models import SignatureConfig
from chancela.signing.dispatch import STEP_DONE, signature_request_dispatch
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.factories import (
    make_document_type,
    make_signature_request,
    make_signer_input,
)
from clicksign_emulator.testing import EmulatorHandle

# Each step's remote write, as the emulator's request log and fault rules see it.
STEP_CALLS = {
    "envelope": ("POST", r"^/api/v3/envelopes$"),
    "document": ("POST", r"^/api/v3/envelopes/[^/]+/documents$"),
    "signer": ("POST", r"^/api/v3/envelopes/[^/]+/signers$"),
    "requirements": ("POST", r"^/api/v3/envelopes/[^/]+/bulk_requirements$"),
    "activate": ("PATCH", r"^/api/v3/envelopes/[^/]+$"),
    "notify": ("POST", r"^/api/v3/envelopes/[^/]+/notifications$"),
}
# On API 1.9 there is no envelope to create or activate.
LEGACY_STEP_CALLS = {
    "document": ("POST", r"^/api/v1/documents$"),
    "signer": ("POST", r"^/api/v1/signers$"),
    "requirements": ("POST", r"^/api/v1/lists$"),
    "notify": ("POST", r"^/api/v1/notifications$"),
}


def step_calls(config: SignatureConfig) -> dict[str, tuple[str, str]]:
    """Each step's remote write for the configuration's API."""
    return LEGACY_STEP_CALLS if config.clicksign_api == API_LEGACY else STEP_CALLS


def make_dispatchable_request(
    config: SignatureConfig, *, signers: int = 2, auths: bool = True, **kwargs: Any
) -> SignatureRequest:
    """A queued request on ``config`` (its dispatch job enqueued), ``signers`` adult students'
    worth of explicit signers; with ``auths`` the configuration asks selfie, handwritten and
    official document besides the e-mail token (4 authentications per signer)."""
    if auths:
        SignatureConfig.objects.filter(pk=config.pk).update(
            require_selfie=True, require_handwritten=True, require_official_document=True
        )
        config.refresh_from_db()
    document_type = make_document_type(config)
    roles = ["student", "guardian", "witness", "institution"]
    return make_signature_request(
        config.unit,
        document_type,
        signers=[make_signer_input(role=roles[i % len(roles)]) for i in range(signers)],
        **kwargs,
    )


def a_minute_passes(emulator: EmulatorHandle, seconds: float = 61) -> None:
    """Time travel for Clicksign's one-notification-a-minute window (and any 429 block): the
    emulator's clock moves forward, and every time our shared limiter stored in the database
    (slots, blocks) moves back by as much — as if both clocks had run for a minute."""
    emulator.control.advance(seconds)
    for bucket in RateLimitBucket.objects.all():
        bucket.entries = [
            [slot, start - seconds, None if end is None else end - seconds]
            for slot, start, end in bucket.entries
        ]
        if bucket.blocked_until is not None:
            bucket.blocked_until -= seconds
        bucket.save(update_fields=["entries", "blocked_until"])


def time_passes_for_dead_workers(request: SignatureRequest) -> None:
    """The lease of a killed worker, and its job's start, fall a lease-length into the past."""
    past = timezone.now() - timedelta(hours=1)
    SignatureRequest.objects.filter(pk=request.pk).exclude(
        dispatch_lease_until__isnull=True
    ).update(dispatch_lease_until=past)
    DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).update(started_at=past)


def drain(
    request: SignatureRequest, emulator: EmulatorHandle, *, max_runs: int = 60, settle: float = 0
) -> list[str]:
    """Run the saga again and again, as the rescheduled jobs would, until it is done or failed.
    Backoffs are travelled through (both clocks, see ``a_minute_passes``) rather than waited
    for. ``settle``: real seconds to let a timed-out request finish on the emulator. Returns
    the outcomes."""
    outcomes: list[str] = []
    for _ in range(max_runs):
        outcome = signature_request_dispatch(request_id=str(request.public_id))
        outcomes.append(outcome)
        request.refresh_from_db()
        if request.status == RequestStatus.FAILED or request.dispatch_step == STEP_DONE:
            return outcomes
        if outcome != "retry" or request.dispatch_next_attempt_at is None:
            continue
        if settle:
            time.sleep(settle)
        wait = (request.dispatch_next_attempt_at - timezone.now()).total_seconds()
        if wait > 0:
            a_minute_passes(emulator, seconds=wait)  # the backoff goes by, on both clocks
    messages = list(request.events.values_list("message", flat=True))
    raise AssertionError(f"the saga did not converge: {outcomes} {messages}")


def envelopes_of(emulator: EmulatorHandle, request: SignatureRequest) -> list[dict[str, Any]]:
    # The short reference (v3 envelope names, API 1.9 folder paths) or the full public id.
    marks = (request.public_id.hex[:12].upper(), str(request.public_id))
    return [
        e
        for e in emulator.control.envelopes()
        if any(mark in (e.get("name") or "") for mark in marks)
    ]


def assert_exactly_one_envelope(
    emulator: EmulatorHandle, request: SignatureRequest, *, strays_deleted: int = 0
) -> None:
    """One active envelope for the request, each document / signer / requirement once, one
    activation — and our rows point at exactly those. Unless told otherwise, the look-ups
    adopted everything: nothing was deleted. (On 1.9: see ``assert_exactly_one_legacy_send``.)"""
    request.refresh_from_db()
    if request.config.clicksign_api == API_LEGACY:
        assert_exactly_one_legacy_send(emulator, request, strays_canceled=strays_deleted)
        return
    envelopes = envelopes_of(emulator, request)
    assert len(envelopes) == 1, [e["id"] for e in envelopes]
    envelope = envelopes[0]
    assert envelope["status"] == "running"
    assert envelope["activation_count"] == 1
    assert envelope["id"] == request.clicksign_envelope_id

    documents = list(request.documents.all())
    assert sorted(d["id"] for d in envelope["documents"]) == sorted(
        d.clicksign_document_id for d in documents
    )
    assert sorted(d["metadata"]["chancela_document"] for d in envelope["documents"]) == sorted(
        str(d.public_id) for d in documents
    )
    signers = list(request.signers.all())
    assert sorted(s["id"] for s in envelope["signers"]) == sorted(
        s.clicksign_signer_id for s in signers
    )
    assert len({s["email"] for s in envelope["signers"]}) == len(signers)
    requirements = list(request.requirements.all())
    assert sorted(r["id"] for r in envelope["requirements"]) == sorted(
        r.clicksign_requirement_id for r in requirements
    )
    assert len(envelope["requirements"]) == len(requirements)
    assert request.status == RequestStatus.AWAITING_SIGNATURES
    deleted = [r for r in emulator.control.requests() if r["method"] == "DELETE"]
    assert len(deleted) == strays_deleted, deleted


def assert_exactly_one_legacy_send(
    emulator: EmulatorHandle, request: SignatureRequest, *, strays_canceled: int = 0
) -> None:
    """API 1.9: one running document per request document (found by the ref), one list per
    (document, signer) and nothing else, one account signer per person; our rows point at
    exactly those (the signer id is the account signer key, a requirement's id its list's key).
    """
    documents = list(request.documents.all())
    remote = [e for e in envelopes_of(emulator, request) if e["legacy"]]
    running = [e for e in remote if e["status"] == "running"]
    assert len(running) == len(documents), [e["documents"][0]["id"] for e in remote]
    assert len(remote) - len(running) == strays_canceled
    assert sorted(e["documents"][0]["id"] for e in running) == sorted(
        d.clicksign_document_id for d in documents
    )
    signers = list(request.signers.all())
    keys = sorted(s.clicksign_signer_id for s in signers)
    requirements = list(request.requirements.all())
    for envelope in running:
        listed = sorted(s["legacy_key"] for s in envelope["signers"])
        assert listed == keys, (listed, keys)
        lists = {r["id"] for r in envelope["requirements"] if r["action"] == "agree"}
        document_id = envelope["documents"][0]["id"]
        ours = {
            r.clicksign_requirement_id
            for r in requirements
            if r.document.clicksign_document_id == document_id
        }
        assert lists == ours, (lists, ours)
    account = [s for s in emulator.control.legacy_signers() if s["key"] in set(keys)]
    assert {s["key"] for s in account} == set(keys)
    # The account holds one signer per person of the request: none created twice.
    emails = {s.email.casefold() for s in signers}
    same = [s for s in emulator.control.legacy_signers() if s["email"].casefold() in emails]
    assert len(same) == len(emails), [s["email"] for s in same]
    assert request.status == RequestStatus.AWAITING_SIGNATURES
