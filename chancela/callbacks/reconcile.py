"""Reconciliation: re-read, from the API, the requests Clicksign has been silent about.

Webhooks can be lost (F16): a deadline, a cancel in Clicksign's web UI or a refusal without a
webhook would leave a request waiting forever. Each run takes the requests awaiting signatures
with no news for longer than ``CHANCELA_RECONCILE_SILENT_MINUTES``, oldest news first, and reads
their documents' histories — spending at most ``CHANCELA_RECONCILE_RATE_SHARE`` of each
account's rate limit per run interval — then applies them through the same processing as the
webhooks (``document_events_apply``), so both paths end in the same state.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from chancela.callbacks.processing import document_events_apply
from chancela.clicksign.errors import ClicksignError
from chancela.clicksign.port import ClicksignPort
from chancela.clicksign.ratelimit import LIMITS, WINDOW_SECONDS
from chancela.clicksign.types import DocumentEvent
from chancela.esign.clients import client_for_config
from chancela.signing.models import Document, RequestStatus, SignatureRequest

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
    """Requests awaiting signatures with no news from Clicksign for too long, oldest first."""
    now = now or timezone.now()
    minutes = (
        settings.CHANCELA_RECONCILE_SILENT_MINUTES if silent_minutes is None else silent_minutes
    )
    return (
        SignatureRequest.objects.filter(status=RequestStatus.AWAITING_SIGNATURES)
        .exclude(clicksign_envelope_id="")
        .annotate(last_news=Coalesce(F("clicksign_seen_at"), F("status_changed_at")))
        .filter(last_news__lte=now - timedelta(minutes=minutes))
        .select_related("config")
        .order_by("last_news", "id")
    )


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
            documents = list(
                Document.objects.filter(request=request).exclude(clicksign_document_id="")
            )
            # one call for the document list, then one per document history page
            if spent[account] + 1 + len(documents) > budget:
                continue
            client = clients.get(config.pk)
            if client is None:
                client = clients[config.pk] = client_for_config(config)
            try:
                spent[account] += 1
                remote = {
                    d.id: d
                    for d in client.documents_list(
                        request.clicksign_envelope_id, page_size=EVENTS_PAGE_SIZE
                    )
                }
                for document in documents:
                    remote_document = remote.get(document.clicksign_document_id)
                    if remote_document is None:
                        continue
                    events: list[DocumentEvent] = []
                    page = 1
                    while True:
                        spent[account] += 1
                        found = client.document_events_list(
                            request.clicksign_envelope_id,
                            document.clicksign_document_id,
                            page=page,
                            page_size=EVENTS_PAGE_SIZE,
                        )
                        events += list(found)
                        if len(found) < EVENTS_PAGE_SIZE or spent[account] >= budget:
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
                    result.applied += document_events_apply(
                        document=document, events=events, remote_status=remote_document.status
                    )
                SignatureRequest.objects.filter(pk=request.pk).update(
                    clicksign_seen_at=timezone.now()
                )
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
