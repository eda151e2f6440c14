"""Retention: personal data is anonymised once its document type's period is over (LGPD 15–16).

Periods are per document type (its screen), counted from the request's last status change (the
end of its life) or, for batch rows, from when the row was processed (else the batch's
creation), and for raw Clicksign callbacks from their receipt:

- signed requests: ``retention_signed_days`` (default 10 years, Civil Code art. 205);
- canceled, refused, expired or failed requests: ``retention_unsigned_days``;
- batch rows (names, CPFs, e-mails, phones of a class): ``retention_batch_rows_days``;
- raw callbacks (they carry CPF, phone, IP, geolocation): ``retention_callbacks_days``.

Anonymising a request keeps the minimal legal record — unit, document type, status, dates,
each signer's role, qualification, status, signing time and authentications, the archived
signed PDF and its SHA-256 (the public verification page keeps answering) — and removes names,
e-mails, CPFs, phones, birth dates, titles, messages, free-text reasons, timeline texts, the
original PDFs, raw callbacks and the payloads sent to the host ERP. Requests still in progress
are never touched. Idempotent: anonymised rows are marked and skipped; a run that finds nothing
writes nothing. Each run that changes something leaves one ``PrivacyAuditEntry``.

``retention_due`` lists what a run would anonymise (the dry-run command), ``retention_apply``
does it (the daily job ``chancela.signing.tasks.apply_retention``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chancela.esign.models import DocumentType
from chancela.signing.models import (
    TERMINAL_STATUSES,
    PrivacyAuditEntry,
    RequestEvent,
    RequestStatus,
    SignatureRequest,
    Signer,
)

logger = logging.getLogger(__name__)

ANONYMISED_NAME = "Pessoa anonimizada"
UNSIGNED_STATUSES = sorted(str(s) for s in TERMINAL_STATUSES - {RequestStatus.SIGNED})


@dataclass(frozen=True)
class RetentionItem:
    kind: str  # signed_request, unsigned_request, batch_row, callback
    pk: int
    label: str  # what the dry run prints (no personal data)
    reference_at: datetime
    period_days: int


def _cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _requests(document_type: DocumentType, now: datetime) -> Iterator[RetentionItem]:
    rules = (
        ("signed_request", [RequestStatus.SIGNED], document_type.retention_signed_days),
        ("unsigned_request", UNSIGNED_STATUSES, document_type.retention_unsigned_days),
    )
    for kind, statuses, days in rules:
        rows = SignatureRequest.objects.filter(
            document_type=document_type,
            status__in=statuses,
            anonymised_at__isnull=True,
            status_changed_at__lt=_cutoff(now, days),
        ).values_list("pk", "public_id", "status", "status_changed_at")
        for pk, public_id, status, changed_at in rows:
            yield RetentionItem(kind, pk, f"solicitação {public_id} ({status})", changed_at, days)


def _batch_rows(document_type: DocumentType, now: datetime) -> Iterator[RetentionItem]:
    from chancela.batches.models import BatchRow, BatchStatus

    days = document_type.retention_batch_rows_days
    cutoff = _cutoff(now, days)
    rows = (
        BatchRow.objects.filter(batch__document_type=document_type, anonymised_at__isnull=True)
        .exclude(batch__status=BatchStatus.RUNNING)
        .filter(
            Q(processed_at__lt=cutoff) | Q(processed_at__isnull=True, batch__created_at__lt=cutoff)
        )
        .values_list("pk", "batch__public_id", "line", "processed_at", "batch__created_at")
    )
    for pk, batch_id, line, processed_at, created_at in rows:
        yield RetentionItem(
            "batch_row", pk, f"lote {batch_id}, linha {line}", processed_at or created_at, days
        )


def _callbacks(document_type: DocumentType, now: datetime) -> Iterator[RetentionItem]:
    from chancela.callbacks.models import CallbackState, InboundCallback

    days = document_type.retention_callbacks_days
    rows = (
        InboundCallback.objects.filter(
            request__document_type=document_type, received_at__lt=_cutoff(now, days)
        )
        .exclude(state__in=[CallbackState.RECEIVED, CallbackState.PARKED])
        .values_list("pk", "event_name", "received_at")
    )
    for pk, event_name, received_at in rows:
        yield RetentionItem("callback", pk, f"retorno {event_name} #{pk}", received_at, days)


def retention_due(*, now: datetime | None = None) -> list[RetentionItem]:
    """Everything past its period that a run would anonymise (or delete), oldest first."""
    now = now or timezone.now()
    items: list[RetentionItem] = []
    for document_type in DocumentType.objects.order_by("pk"):
        items += _requests(document_type, now)
        items += _batch_rows(document_type, now)
        items += _callbacks(document_type, now)
    return sorted(items, key=lambda item: (item.reference_at, item.kind, item.pk))


# --- anonymising ------------------------------------------------------------------------


def _delete_file(name: str) -> None:
    if not name:
        return
    try:
        default_storage.delete(name)
    except OSError:  # pragma: no cover - logged for the operator, the row is anonymised anyway
        logger.warning("could not delete a file during retention", extra={"file": name})


def signers_anonymise(signers: QuerySet[Signer]) -> int:
    """Clear the personal data of signer rows (role, status and signing time stay)."""
    return signers.update(
        name=ANONYMISED_NAME,
        email="",
        cpf="",
        phone="",
        birth_date=None,
        person=None,
        refusal_reason="",
    )


def signature_request_anonymise(
    *, request: SignatureRequest, reason: str, actor: Any = None
) -> bool:
    """Remove a finished request's personal data, keeping its minimal legal record.

    Returns False when there was nothing to do (already anonymised, or still in progress).
    """
    from chancela.callbacks.models import InboundCallback
    from chancela.notifications.models import OutboundEvent, OutboundEventStatus

    now = timezone.now()
    files: list[str] = []
    with transaction.atomic():
        locked = (
            SignatureRequest.objects.select_for_update()
            .select_related("document_type")
            .filter(pk=request.pk, anonymised_at__isnull=True, status__in=TERMINAL_STATUSES)
            .first()
        )
        if locked is None:
            return False
        for document in locked.documents.all():
            files.append(document.original_file.name or "")
            document.original_file = ""
            document.filename = f"documento-{document.position + 1}.pdf"
            document.save(update_fields=["original_file", "filename"])
        signers_anonymise(locked.signers.all())
        locked.events.update(message="Registro anonimizado.", data={})
        InboundCallback.objects.filter(request=locked).delete()
        OutboundEvent.objects.filter(request=locked).exclude(
            status=OutboundEventStatus.PENDING
        ).update(payload={"anonymised": True})
        SignatureRequest.objects.filter(pk=locked.pk).update(
            title=f"{locked.document_type.name} (anonimizado)"[:200],
            message="",
            student_name="",
            student_person=None,
            capacity_rule="",
            capacity_override_reason="",
            last_error="",
            anonymised_at=now,
        )
        RequestEvent.objects.create(
            request=locked,
            source=RequestEvent.Source.CHANCELA,
            kind="anonymised",
            message=f"Dados pessoais anonimizados ({reason}). Mantidos: a via assinada, o "
            "SHA-256, as datas e os papéis.",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
    for name in files:  # after the commit: the rows no longer point at them
        _delete_file(name)
    return True


def batch_rows_anonymise(*, pks: list[int]) -> int:
    from chancela.batches.models import BatchRow

    files = list(
        BatchRow.objects.filter(pk__in=pks, anonymised_at__isnull=True)
        .exclude(pdf_path="")
        .values_list("pdf_path", flat=True)
    )
    with transaction.atomic():
        changed = BatchRow.objects.filter(pk__in=pks, anonymised_at__isnull=True).update(
            data={},
            pdf_path="",
            pdf_filename="",
            problems=[],
            error="",
            anonymised_at=timezone.now(),
        )
    for name in files:
        _delete_file(name)
    return changed


@dataclass
class RetentionReport:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retention_apply(*, now: datetime | None = None) -> RetentionReport:
    """Anonymise (or delete, for raw callbacks) everything past its period; audited."""
    from chancela.callbacks.models import InboundCallback

    items = retention_due(now=now)
    report = RetentionReport(counts={})

    def count(kind: str, n: int) -> None:
        if n:
            report.counts[kind] = report.counts.get(kind, 0) + n

    for item in items:
        if item.kind in ("signed_request", "unsigned_request"):
            request = SignatureRequest(pk=item.pk)
            done = signature_request_anonymise(
                request=request, reason=f"prazo de guarda de {item.period_days} dias"
            )
            count(item.kind, int(done))
    count("batch_row", batch_rows_anonymise(pks=[i.pk for i in items if i.kind == "batch_row"]))
    _, deleted = InboundCallback.objects.filter(
        pk__in=[i.pk for i in items if i.kind == "callback"]
    ).delete()
    count("callback", deleted.get(InboundCallback._meta.label, 0))
    if report.total:
        PrivacyAuditEntry.objects.create(
            action=PrivacyAuditEntry.Action.RETENTION, counts=report.counts
        )
        logger.info("retention applied", extra={"counts": report.counts})
    return report
