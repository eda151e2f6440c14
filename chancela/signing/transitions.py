"""The one place a signature request changes status.

Dispatch, callbacks, reconciliation and staff actions all go through `request_status_set`, so
the rules hold everywhere: statuses only move forward (``STATUS_RANK``), terminal ones stick,
and every change writes a timeline line and an outbound event for the host ERP in the same
transaction as the change (transactional outbox).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from chancela.signing.models import (
    DOCUMENT_FINISHED_STATUSES,
    DOCUMENT_STATUS_WHEN_REQUEST,
    STATUS_RANK,
    TERMINAL_STATUSES,
    Document,
    RequestEvent,
    RequestStatus,
    SignatureRequest,
)


def _statuses_before(target: RequestStatus) -> list[str]:
    """Statuses a request may leave for ``target``: lower rank and not terminal."""
    return [
        str(status)
        for status, rank in STATUS_RANK.items()
        if rank < STATUS_RANK[target] and status not in TERMINAL_STATUSES
    ]


def request_event_add(
    *,
    request: SignatureRequest,
    source: str,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
    actor: Any = None,
) -> RequestEvent:
    """Append one line to the request's timeline (no status change)."""
    return RequestEvent.objects.create(
        request=request,
        source=source,
        kind=kind,
        message=message[:500],
        data=data or {},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def request_status_set(
    *,
    request_id: int,
    status: RequestStatus,
    source: str,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
    error: str | None = None,
    actor: Any = None,
    reopen: bool = False,
    repair: bool = False,
) -> bool:
    """Move a request to ``status`` if the lifecycle allows it; True when it moved.

    The move is a conditional UPDATE (``WHERE status IN allowed``), so two workers racing on
    the same request cannot both apply it and a late or duplicate event changes nothing.
    ``reopen`` is the single way back: staff retrying a ``failed`` request puts it in ``queued``.
    ``repair`` is the other, for reconciliation only: a ``failed`` request whose envelope runs at
    Clicksign goes back to ``awaiting_signatures`` (Clicksign's state wins over ours).
    ``error`` replaces ``last_error`` (pass "" to clear it; None leaves it alone).
    """
    from chancela.notifications.services import (
        STATUS_CHANGED,
        outbound_events_record,
        request_status_payload,
    )

    if reopen:
        if status != RequestStatus.QUEUED:
            raise ValueError("only a move back to 'queued' may reopen a request")
        allowed = [str(RequestStatus.FAILED)]
    elif repair:
        if status != RequestStatus.AWAITING_SIGNATURES:
            raise ValueError("a repair only moves a failed request back to awaiting signatures")
        allowed = [str(RequestStatus.FAILED)]
    else:
        allowed = _statuses_before(status)
    changes: dict[str, Any] = {"status": str(status), "status_changed_at": timezone.now()}
    changes["updated_at"] = changes["status_changed_at"]
    if error is not None:
        changes["last_error"] = error
    with transaction.atomic():
        previous = (
            SignatureRequest.objects.filter(pk=request_id, status__in=allowed)
            .values_list("status", flat=True)
            .first()
        )
        if previous is None:
            return False
        moved = SignatureRequest.objects.filter(pk=request_id, status=previous).update(**changes)
        if not moved:
            return False
        if str(status) in DOCUMENT_STATUS_WHEN_REQUEST:
            # The documents follow a refusal, a cancellation or an expiry of their envelope.
            Document.objects.filter(request_id=request_id).exclude(
                status__in=DOCUMENT_FINISHED_STATUSES
            ).update(status=DOCUMENT_STATUS_WHEN_REQUEST[str(status)])
        request = SignatureRequest.objects.select_related("unit", "document_type").get(
            pk=request_id
        )
        request_event_add(
            request=request,
            source=source,
            kind=kind,
            message=message,
            data={**(data or {}), "from": previous, "to": str(status)},
            actor=actor,
        )
        outbound_events_record(
            request=request,
            event_type=STATUS_CHANGED,
            data=request_status_payload(request, previous),
        )
    return True
