"""Events for the host ERP and e-mails to staff.

Outbound events are an outbox: `outbound_events_record` writes them (and enqueues their
delivery) inside the transaction that changes a request's status; delivery happens in a job,
signed per the Standard Webhooks spec, retried with backoff, every attempt recorded.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from chancela.institutions.models import Unit
from chancela.notifications import standard_webhooks
from chancela.notifications.errors import NotificationError
from chancela.notifications.models import (
    HostEndpoint,
    OutboundAttempt,
    OutboundEvent,
    OutboundEventStatus,
)
from chancela.notifications.targets import target_problem

logger = logging.getLogger(__name__)

STATUS_CHANGED = "signature_request.status_changed"
# An attempt in flight keeps other workers off the event for this long.
DELIVERY_LEASE = timedelta(seconds=60)


def host_endpoint_create(
    *, actor: Any, unit: Unit, name: str, url: str
) -> tuple[HostEndpoint, str]:
    """Register an endpoint; returns it with its secret, which is shown only this once."""
    problem = target_problem(url)
    if problem:
        raise NotificationError("endpoint_url", problem, "url")
    secret = standard_webhooks.new_secret()
    endpoint = HostEndpoint.objects.create(
        unit=unit,
        name=name.strip(),
        url=url.strip(),
        secret=secret,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return endpoint, secret


def host_endpoint_set_active(*, endpoint: HostEndpoint, active: bool) -> HostEndpoint:
    endpoint.active = active
    endpoint.disabled_reason = "" if active else "Desativado pela equipe."
    endpoint.save(update_fields=["active", "disabled_reason"])
    return endpoint


def request_status_payload(request: Any, previous_status: str | None) -> dict[str, Any]:
    """The `data` of a status-change event: enough to act, the rest via the REST API."""
    return {
        "id": str(request.public_id),
        "external_id": request.external_id,
        "unit": request.unit.code,
        "document_type": request.document_type.code,
        "status": request.status,
        "status_label": str(request.get_status_display()),
        "previous_status": previous_status,
        "environment": request.environment,
        "legally_valid": request.legally_valid,
        "updated_at": timezone.now().isoformat(),
    }


def outbound_events_record(
    *, request: Any, event_type: str, data: dict[str, Any]
) -> list[OutboundEvent]:
    """Write one event per active endpoint of the request's unit and enqueue its delivery.

    Call it inside the transaction that changes the request: event and change commit together.
    """
    from chancela.notifications.tasks import deliver_outbound_event

    events = []
    payload = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
    with transaction.atomic():
        for endpoint in HostEndpoint.objects.filter(unit_id=request.unit_id, active=True):
            event = OutboundEvent.objects.create(
                endpoint=endpoint,
                request=request,
                event_type=event_type,
                payload=payload,
                next_attempt_at=timezone.now(),
            )
            deliver_outbound_event.enqueue(str(event.public_id))
            events.append(event)
    return events


def _claim(event_public_id: str) -> tuple[OutboundEvent, HostEndpoint] | None:
    with transaction.atomic():
        event = (
            OutboundEvent.objects.select_for_update()
            .select_related("endpoint")
            .filter(public_id=event_public_id)
            .first()
        )
        now = timezone.now()
        if event is None or event.status != OutboundEventStatus.PENDING:
            return None
        if event.next_attempt_at and event.next_attempt_at > now:
            return None
        if not event.endpoint.active:
            event.status = OutboundEventStatus.FAILED
            event.last_error = "Destino desativado."
            event.save(update_fields=["status", "last_error"])
            return None
        event.next_attempt_at = now + DELIVERY_LEASE
        event.attempts += 1
        event.save(update_fields=["next_attempt_at", "attempts"])
        return event, event.endpoint


def outbound_event_deliver(*, event_public_id: str) -> OutboundEvent | None:
    """One delivery attempt. Network call outside any transaction; result recorded after."""
    claimed = _claim(event_public_id)
    if claimed is None:
        return None
    event, endpoint = claimed
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
    status_code: int | None = None
    error = target_problem(endpoint.url) or ""
    started = time.monotonic()
    if not error:
        headers = standard_webhooks.headers(
            secret=endpoint.secret,
            msg_id=event.webhook_id,
            timestamp=int(time.time()),
            body=body,
        )
        try:
            response = httpx.post(
                endpoint.url,
                content=body.encode("utf-8"),
                headers=headers,
                timeout=httpx.Timeout(15.0, connect=5.0),
                follow_redirects=False,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record_attempt(event, endpoint, status_code, error, duration_ms)


def _record_attempt(
    event: OutboundEvent,
    endpoint: HostEndpoint,
    status_code: int | None,
    error: str,
    duration_ms: int,
) -> OutboundEvent:
    from chancela.notifications.tasks import deliver_outbound_event

    schedule = settings.CHANCELA_OUTBOUND_RETRY_SCHEDULE
    now = timezone.now()
    with transaction.atomic():
        event = OutboundEvent.objects.select_for_update().get(pk=event.pk)
        OutboundAttempt.objects.create(
            event=event, status_code=status_code, error=error[:500], duration_ms=duration_ms
        )
        event.last_status_code = status_code
        event.last_error = error[:500]
        if not error:
            event.status = OutboundEventStatus.DELIVERED
            event.delivered_at = now
            event.next_attempt_at = None
        elif status_code == 410:
            # The receiver says the endpoint is gone for good (Standard Webhooks): stop.
            event.status = OutboundEventStatus.FAILED
            event.next_attempt_at = None
            HostEndpoint.objects.filter(pk=endpoint.pk).update(
                active=False, disabled_reason="O destino respondeu 410 (removido)."
            )
        elif event.attempts > len(schedule):
            event.status = OutboundEventStatus.FAILED
            event.next_attempt_at = None
        else:
            delay = timedelta(seconds=schedule[event.attempts - 1])
            event.next_attempt_at = now + delay
            deliver_outbound_event.using(run_after=event.next_attempt_at).enqueue(
                str(event.public_id)
            )
        event.save()
    if error:
        logger.info(
            "outbound event delivery failed",
            extra={"event": str(event.public_id), "attempt": event.attempts, "error": error},
        )
    return event


def outbound_events_retry_due() -> int:
    """Re-enqueue pending events whose attempt is due (a lost task must not lose an event)."""
    from chancela.notifications.tasks import deliver_outbound_event

    due = OutboundEvent.objects.filter(
        status=OutboundEventStatus.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("public_id", flat=True)[:500]
    count = 0
    for public_id in due:
        deliver_outbound_event.enqueue(str(public_id))
        count += 1
    return count


def dispatch_failure_email_send(
    *, request: Any, step: str, error_message: str, attempts: int
) -> None:
    """The seed's error log: tell the configuration's notification address a send failed."""
    context = {
        "request": request,
        "step": step,
        "error_message": error_message,
        "attempts": attempts,
        "config": request.config,
        "request_url": f"{settings.PUBLIC_URL}/solicitacoes/{request.public_id}/",
        "now": timezone.now(),
    }
    subject = f"[Chancela] Falha no envio para a Clicksign: {request.title}"[:200]
    send_mail(
        subject=subject,
        message=render_to_string("notifications/dispatch_failure.txt", context),
        from_email=None,
        recipient_list=[request.config.notification_email],
    )
