"""Reconciliation: re-read, from the API, the requests Clicksign has been silent about.

Webhooks can be lost (F16): a deadline, a cancel in Clicksign's web UI or a refusal without a
webhook would leave a request waiting forever. Each run takes the requests awaiting signatures
with no news for longer than ``CHANCELA_RECONCILE_SILENT_MINUTES``, oldest news first, and reads
their documents' histories — spending at most ``CHANCELA_RECONCILE_RATE_SHARE`` of each
account's rate limit per run interval — then applies them through the same processing as the
webhooks (``document_events_apply``), so both paths end in the same state.

It also repairs what contradicts Clicksign: a request ``failed`` although its envelope runs
(or closed) at Clicksign — a dispatch that gave up after activation, before that was ruled out —
is checked once after it failed and, if so, moves back to ``awaiting_signatures`` and follows
Clicksign from there (``request_status_set(repair=True)``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from chancela.callbacks.processing import document_events_apply
from chancela.clicksign.errors import ClicksignError
from chancela.clicksign.port import API_LEGACY, ClicksignPort
from chancela.clicksign.ratelimit import LIMITS, WINDOW_SECONDS
from chancela.clicksign.types import DocumentEvent
from chancela.esign.clients import client_for_config
from chancela.signing.models import (
    Document,
    DocumentStatus,
    RequestEvent,
    RequestStatus,
    SignatureRequest,
)
from chancela.signing.transitions import request_status_set

logger = logging.getLogger(__name__)

# The periodic job's interval (chancela.core.periodic); the budget is a share of the calls the
# account may make in that interval.
RECONCILE_EVERY_SECONDS = 60
EVENTS_PAGE_SIZE = 50


@dataclass
class ReconcileResult:
    checked: int = 0
    calls: int = 0
    applied: int = 0
    errors: list[str] = field(default_factory=list)


def call_budget(environment: str) -> int:
    """Calls one run may make on one account: the configured share of its rate limit."""
    per_window = LIMITS.get(environment, LIMITS["sandbox"])
    windows = RECONCILE_EVERY_SECONDS / WINDOW_SECONDS
    return max(1, int(per_window * windows * settings.CHANCELA_RECONCILE_RATE_SHARE))


def stale_requests(
    *, now: datetime | None = None, silent_minutes: int | None = None
) -> QuerySet[SignatureRequest]:
    """Requests awaiting signatures with no news from Clicksign for too long, and failed ones
    with an envelope not read since they failed; oldest first."""
    now = now or timezone.now()
    minutes = (
        settings.CHANCELA_RECONCILE_SILENT_MINUTES if silent_minutes is None else silent_minutes
    )
    silent = Q(
        status=RequestStatus.AWAITING_SIGNATURES,
        last_news__lte=now - timedelta(minutes=minutes),
    )
    failed_unread = Q(status=RequestStatus.FAILED) & (
        Q(clicksign_seen_at__isnull=True) | Q(clicksign_seen_at__lt=F("status_changed_at"))
    )
    return (
        SignatureRequest.objects.exclude(clicksign_envelope_id="")
        .annotate(last_news=Coalesce(F("clicksign_seen_at"), F("status_changed_at")))
        .filter(silent | failed_unread)
        .select_related("config")
        .order_by("last_news", "id")
    )


def request_reconcile(*, request_public_id: str) -> int:
    """Read one request from Clicksign now, whatever its news; the events applied."""
    request = (
        SignatureRequest.objects.filter(public_id=request_public_id)
        .exclude(clicksign_envelope_id="")
        .select_related("config")
        .first()
    )
    if request is None:
        return 0
    with client_for_config(request.config) as client:
        applied, _calls = _request_read(client, request, max_calls=None)
    return applied


def _request_read(
    client: ClicksignPort, request: SignatureRequest, *, max_calls: int | None
) -> tuple[int, int]:
    """Apply what Clicksign says of one request; (events applied, calls made)."""
    documents = list(Document.objects.filter(request=request).exclude(clicksign_document_id=""))
    calls = _listing_calls(request, len(documents))
    remote = {
        d.id: d
        for d in client.documents_list(
            request.clicksign_envelope_id,
            page_size=EVENTS_PAGE_SIZE,
            document_ids=[d.clicksign_document_id for d in documents],
        )
    }
    if request.status == RequestStatus.FAILED:
        if not any(d.status in ("running", "closed") for d in remote.values()):
            SignatureRequest.objects.filter(pk=request.pk).update(clicksign_seen_at=timezone.now())
            return 0, calls
        _failed_repair(request)
    applied = 0
    for document in documents:
        remote_document = remote.get(document.clicksign_document_id)
        if remote_document is None:
            continue
        events: list[DocumentEvent] = []
        page = 1
        while True:
            calls += 1
            found = client.document_events_list(
                request.clicksign_envelope_id,
                document.clicksign_document_id,
                page=page,
                page_size=EVENTS_PAGE_SIZE,
            )
            events += list(found)
            if len(found) < EVENTS_PAGE_SIZE or (max_calls is not None and calls >= max_calls):
                break
            page += 1
        events = [
            DocumentEvent(
                id=e.id,
                name=e.name,
                data=e.data,
                created=e.created,
                document_id=document.clicksign_document_id,
            )
            for e in events
        ]
        events.sort(key=lambda e: e.created or timezone.now())
        applied += document_events_apply(
            document=document, events=events, remote_status=remote_document.status
        )
    SignatureRequest.objects.filter(pk=request.pk).update(clicksign_seen_at=timezone.now())
    return applied, calls


def _listing_calls(request: SignatureRequest, documents: int) -> int:
    """Calls to learn the documents' remote status: one envelope listing on 3.0; on 1.9 (no
    envelope) one read per known document — never a scan of the account's recent documents,
    which would miss a request older than the last hundred sends."""
    if request.config.clicksign_api == API_LEGACY and documents:
        return documents
    return 1


def _failed_repair(request: SignatureRequest) -> None:
    """``failed`` here, running (or closed) at Clicksign: back to awaiting signatures."""
    request_status_set(
        request_id=request.pk,
        status=RequestStatus.AWAITING_SIGNATURES,
        source=RequestEvent.Source.CHANCELA,
        kind="status_repaired",
        message="A Clicksign está com o envelope ativo: a falha no envio foi corrigida e a "
        "solicitação volta a aguardar assinaturas.",
        error="",
        repair=True,
    )
    Document.objects.filter(request=request, status=DocumentStatus.PENDING).update(
        status=DocumentStatus.RUNNING
    )
    request.status = RequestStatus.AWAITING_SIGNATURES


def requests_reconcile(
    *, now: datetime | None = None, silent_minutes: int | None = None
) -> ReconcileResult:
    result = ReconcileResult()
    spent: dict[str, int] = defaultdict(int)
    clients: dict[int, ClicksignPort] = {}
    try:
        for request in stale_requests(now=now, silent_minutes=silent_minutes).iterator():
            config = request.config
            account = config.clicksign_account_key or f"config:{config.pk}"
            budget = call_budget(config.environment)
            documents = Document.objects.filter(request=request).exclude(clicksign_document_id="")
            # one call for the document list, then one per document history page
            count = documents.count()
            if spent[account] + _listing_calls(request, count) + count > budget:
                continue
            client = clients.get(config.pk)
            if client is None:
                client = clients[config.pk] = client_for_config(config)
            try:
                applied, calls = _request_read(client, request, max_calls=budget - spent[account])
                spent[account] += calls
                result.applied += applied
                result.checked += 1
            except ClicksignError as exc:
                logger.warning(
                    "reconciliation read failed",
                    extra={"request": str(request.public_id), "error": type(exc).__name__},
                )
                result.errors.append(f"{request.public_id}: {exc}")
    finally:
        for client in clients.values():
            client.close()
    result.calls = sum(spent.values())
    return result
