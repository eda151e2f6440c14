"""Applying what Clicksign tells us to our requests — from a webhook or a reconciliation read.

Every webhook body carries the document's whole history, so processing one delivery applies
every event of that history we have not applied yet (``AppliedEvent``, unique per
``name|document|signer|occurred_at``). Duplicates change nothing; a late or lost delivery is
healed by any later one (or by the reconciler, which reads the same history from the API).
Status changes go through :func:`chancela.signing.transitions.request_status_set` only
(forward-only, terminal sticks, host-ERP event in the same transaction).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from chancela.callbacks.models import (
    AppliedEvent,
    CallbackState,
    InboundCallback,
    RejectedCallback,
    RejectReason,
)
from chancela.callbacks.receiving import callback_may_touch, document_for_key
from chancela.clicksign.client import WEBHOOK_EVENTS
from chancela.clicksign.events import (
    WebhookPayloadError,
    event_dedupe_key,
    event_signer_key,
    webhook_parse,
)
from chancela.clicksign.types import DocumentEvent
from chancela.signing.models import (
    AUTH_LABELS,
    DOCUMENT_FINISHED_STATUSES,
    Document,
    DocumentStatus,
    RequestEvent,
    RequestStatus,
    SignatureRequest,
    Signer,
    SignerStatus,
)
from chancela.signing.transitions import request_event_add, request_status_set

logger = logging.getLogger(__name__)

CLICKSIGN = RequestEvent.Source.CLICKSIGN

# Documented names we know (reference §3.5). Anything else is stored and ignored.
KNOWN_EVENTS = frozenset(WEBHOOK_EVENTS) | {
    "add_image",
    "update_auto_close",
    "update_locale",
    "update_block_after_refusal",
    "custom",
    "tracking_notification_error",
}
AUTH_FAILURES = {
    "attempts_by_whatsapp_exceeded": "excedeu as tentativas de token por WhatsApp",
    "attempts_by_liveness_or_facematch_exceeded": "excedeu as tentativas de prova de vida / "
    "biometria facial",
    "liveness_refused": "teve a selfie dinâmica (prova de vida) recusada",
    "facematch_refused": "teve a biometria facial recusada",
    "biometric_refused": "teve a biometria SERPRO recusada",
    "documentscopy_refused": "teve a documentoscopia recusada",
    "ocr_refused": "teve a análise do documento (OCR) recusada",
    "identity_biometrics_refused": "teve a biometria (base ampliada) recusada ou inconclusiva",
}
PARK_BACKOFF_SECONDS = 30
# A stored callback whose job has not finished after this long (its worker died) is enqueued
# again by the sweeper.
RECHECK_AFTER = timedelta(minutes=10)


class UnknownDocument(Exception):
    """The callback is about a document we do not know (yet)."""


# ---------------------------------------------------------------------- inbox


def callback_process(*, callback_id: int) -> str:
    """Process one stored callback; returns its new state. Safe to run twice."""
    callback = InboundCallback.objects.select_related("config").filter(pk=callback_id).first()
    if callback is None or callback.state in (CallbackState.PROCESSED, CallbackState.IGNORED):
        return callback.state if callback else ""
    InboundCallback.objects.filter(pk=callback.pk).update(attempts=callback.attempts + 1)
    attempts = callback.attempts + 1
    try:
        payload = webhook_parse(json.loads(callback.body))
    except (ValueError, WebhookPayloadError) as exc:
        return _callback_end(callback, CallbackState.FAILED, f"Corpo ilegível: {exc}")
    if payload.event.name not in KNOWN_EVENTS:
        return _callback_end(callback, CallbackState.IGNORED, "")
    document = document_for_key(payload.document_key, payload.metadata)
    if document is not None and not callback_may_touch(config=callback.config, document=document):
        RejectedCallback.objects.create(
            config=callback.config,
            unit=callback.config.unit,
            reason=RejectReason.OTHER_ACCOUNT,
            event_header=callback.event_name[:80],
            body_size=len(callback.body),
        )
        return _callback_end(
            callback,
            CallbackState.FAILED,
            "O documento pertence a uma configuração de outra conta Clicksign (ou de uma conta "
            "ainda não confirmada pelo “Testar conexão”).",
        )
    if document is None:
        if attempts >= settings.CHANCELA_CALLBACK_PARK_MAX_ATTEMPTS:
            logger.error(
                "clicksign callback for an unknown document gave up",
                extra={"callback": callback.pk, "attempts": attempts},
            )
            state = _callback_end(
                callback,
                CallbackState.FAILED,
                "Documento desconhecido na Clicksign depois de todas as tentativas.",
            )
            _report_unresolved(callback, attempts)
            return state
        delay = PARK_BACKOFF_SECONDS * 2 ** (attempts - 1)
        InboundCallback.objects.filter(pk=callback.pk).update(
            state=CallbackState.PARKED,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error="Documento ainda desconhecido (envio em andamento?).",
        )
        return CallbackState.PARKED
    history = payload.history or [payload.event]
    if not any(event_dedupe_key(e, payload.document_key) == callback.event_key for e in history):
        history = [*history, payload.event]
    document_events_apply(document=document, events=history, remote_status=payload.document_status)
    # The callback is about this request: it shows to the request's unit from now on.
    InboundCallback.objects.filter(pk=callback.pk).update(
        request=document.request, unit_id=document.request.unit_id
    )
    return _callback_end(callback, CallbackState.PROCESSED, "")


def _report_unresolved(callback: InboundCallback, attempts: int) -> None:
    """Tell the configuration's notification address (the seed's error e-mail) that a callback
    could not be tied to any request."""
    config = callback.config
    monitor = f"{settings.PUBLIC_URL}/callbacks/?situacao=failed"
    received = timezone.localtime(callback.received_at).strftime("%d/%m/%Y %H:%M")
    send_mail(
        subject=f"[Chancela] Retorno da Clicksign sem solicitação: {config.name}"[:200],
        message=(
            f"A Clicksign enviou o evento “{callback.event_name}” do documento "
            f"{callback.document_key or '(sem identificador)'} para a configuração "
            f"“{config.name}”, recebido em {received}.\n"
            f"Depois de {attempts} tentativas, nenhuma solicitação do Chancela corresponde a ele.\n"
            f"Veja e reprocesse em: {monitor}\n"
        ),
        from_email=None,
        recipient_list=[config.notification_email],
        fail_silently=True,
    )


def _callback_end(callback: InboundCallback, state: str, error: str) -> str:
    InboundCallback.objects.filter(pk=callback.pk).update(
        state=state, processed_at=timezone.now(), next_attempt_at=None, last_error=error[:500]
    )
    return state


def callbacks_retry_due(*, now: Any = None) -> int:
    """Enqueue the callbacks whose processing is due again: parked ones whose time came, and
    received ones whose job never finished (a worker that died). Returns how many."""
    from chancela.callbacks.tasks import process_callback

    now = now or timezone.now()
    due = list(
        InboundCallback.objects.filter(
            state__in=[CallbackState.PARKED, CallbackState.RECEIVED], next_attempt_at__lte=now
        ).values_list("pk", "state")[:1000]
    )
    for pk, state in due:
        with transaction.atomic():
            # A received callback is looked at again only if still unprocessed much later.
            InboundCallback.objects.filter(pk=pk).update(
                next_attempt_at=now + RECHECK_AFTER if state == CallbackState.RECEIVED else None
            )
            process_callback.enqueue(str(pk))
    return len(due)


def callback_reprocess(*, callback: InboundCallback) -> None:
    """Staff asked to process a callback again (parked, failed, or to re-check)."""
    from chancela.callbacks.tasks import process_callback

    with transaction.atomic():
        InboundCallback.objects.filter(pk=callback.pk).update(
            state=CallbackState.RECEIVED,
            attempts=0,
            next_attempt_at=timezone.now() + RECHECK_AFTER,
            last_error="",
        )
        process_callback.enqueue(str(callback.pk))
        # A signed file whose archiving gave up is tried again too.
        if callback.event_name == "document_closed" and callback.request_id:
            for document in Document.objects.filter(
                request_id=callback.request_id,
                clicksign_document_id=callback.document_key,
                status=DocumentStatus.CLOSED,
                signed_sha256="",
            ):
                _archive_enqueue(document)


def callbacks_prune(*, now: Any = None) -> int:
    """Delete stored callbacks and rejection records older than the retention."""
    from chancela.callbacks.models import RejectedCallback

    limit = (now or timezone.now()) - timedelta(days=settings.CHANCELA_CALLBACK_RETENTION_DAYS)
    deleted, _ = (
        InboundCallback.objects.filter(received_at__lt=limit)
        .exclude(state__in=[CallbackState.RECEIVED, CallbackState.PARKED])
        .delete()
    )
    rejected, _ = RejectedCallback.objects.filter(received_at__lt=limit).delete()
    return deleted + rejected


# ---------------------------------------------------------------------- events → requests


def document_events_apply(
    *, document: Document, events: list[DocumentEvent], remote_status: str
) -> int:
    """Apply each event not applied yet (oldest first); returns how many were applied.

    ``remote_status`` is the document's status at Clicksign as last seen (a ``deadline`` uses it
    to tell a partial close from a cancel)."""
    document_key = document.clicksign_document_id or (events[0].document_id if events else "")
    applied = 0
    for event in events:
        key = event_dedupe_key(event, document_key or "")[:300]
        with transaction.atomic():
            try:
                with transaction.atomic():
                    AppliedEvent.objects.create(request_id=document.request_id, event_key=key)
            except IntegrityError:
                continue
            document.refresh_from_db()
            _apply(document, event, remote_status)
            applied += 1
    SignatureRequest.objects.filter(pk=document.request_id).update(clicksign_seen_at=timezone.now())
    return applied


def _signer(request_id: int, event: DocumentEvent) -> Signer | None:
    key = event_signer_key(event)
    signers = Signer.objects.filter(request_id=request_id)
    found = signers.filter(clicksign_signer_id=key).first() if key else None
    if found is None:
        data = event.data.get("signer") if isinstance(event.data, dict) else None
        email = str(data.get("email") or "") if isinstance(data, dict) else ""
        if email:
            found = signers.filter(clicksign_signer_id="", email__iexact=email).first()
    return found


def _signer_name(signer: Signer | None, event: DocumentEvent) -> str:
    if signer is not None:
        return signer.name
    data = event.data.get("signer") if isinstance(event.data, dict) else None
    return str(data.get("name") or "Signatário") if isinstance(data, dict) else "Signatário"


def _apply(document: Document, event: DocumentEvent, remote_status: str) -> None:
    request_id = document.request_id
    when = event.created or timezone.now()
    base = {"event": event.name, "document": str(document.public_id), "at": when.isoformat()}
    name = event.name

    def line(message: str, **data: Any) -> None:
        request = SignatureRequest.objects.get(pk=request_id)
        request_event_add(
            request=request, source=CLICKSIGN, kind=name, message=message, data={**base, **data}
        )

    if name == "signature_started":
        signer = _signer(request_id, event)
        line(f"{_signer_name(signer, event)} abriu o documento para assinar.")
    elif name == "sign":
        signer = _signer(request_id, event)
        data = event.data.get("signer") if isinstance(event.data, dict) else None
        auths = [str(a) for a in (data.get("auths") or [])] if isinstance(data, dict) else []
        if signer is not None:
            # One `sign` per document: the signer has signed once every document is, so
            # signed_at is the latest of them (whatever order the events come in).
            Signer.objects.filter(pk=signer.pk, status=SignerStatus.PENDING).update(
                status=SignerStatus.SIGNED, signed_at=when, signed_auths=auths
            )
            Signer.objects.filter(
                pk=signer.pk, status=SignerStatus.SIGNED, signed_at__lt=when
            ).update(signed_at=when)
        labels = ", ".join(AUTH_LABELS.get(a, a) for a in auths) or "não informada"
        line(
            f"{_signer_name(signer, event)} assinou {document.filename} (autenticação: {labels}).",
            signer=str(signer.public_id) if signer else "",
            auths=auths,
        )
    elif name == "refusal":
        signer = _signer(request_id, event)
        refusal = event.data.get("refusal") if isinstance(event.data, dict) else None
        refusal = refusal if isinstance(refusal, dict) else {}
        reasons = [str(r) for r in refusal.get("reasons") or []]
        comment = str(refusal.get("comment") or "")
        reason_text = "; ".join(reasons) or "sem motivo informado"
        if comment:
            reason_text += f" — “{comment}”"
        if signer is not None:
            # The earliest refusal counts (one per document, in any order).
            Signer.objects.filter(pk=signer.pk).exclude(status=SignerStatus.REFUSED).filter(
                status=SignerStatus.PENDING
            ).update(
                status=SignerStatus.REFUSED, refused_at=when, refusal_reason=reason_text[:2000]
            )
            Signer.objects.filter(
                pk=signer.pk, status=SignerStatus.REFUSED, refused_at__gt=when
            ).update(refused_at=when, refusal_reason=reason_text[:2000])
        message = f"{_signer_name(signer, event)} recusou {document.filename}: {reason_text}"
        moved = request_status_set(
            request_id=request_id,
            status=RequestStatus.REFUSED,
            source=CLICKSIGN,
            kind="refusal",
            message=message,
            data={**base, "reasons": reasons, "comment": comment},
        )
        if moved:
            # Stop the document at Clicksign (reminders to the others), after this commits.
            from chancela.signing.tasks import stop_refused_at_clicksign

            refused = SignatureRequest.objects.only("public_id").get(pk=request_id)
            stop_refused_at_clicksign.enqueue(str(refused.public_id), 1)
        else:
            line(message, reasons=reasons, comment=comment)
    elif name in ("auto_close", "close"):
        _document_finished(document, name, DocumentStatus.CLOSED)
        line(
            f"{document.filename} finalizado na Clicksign"
            + (" automaticamente após a última assinatura." if name == "auto_close" else ".")
        )
    elif name == "deadline":
        partial = remote_status == "closed"
        _document_finished(
            document, "deadline", DocumentStatus.CLOSED if partial else DocumentStatus.EXPIRED
        )
        if partial:
            line(
                f"Prazo encerrado: {document.filename} finalizado com as assinaturas parciais "
                "(aguardando o PDF)."
            )
        else:
            request_status_set(
                request_id=request_id,
                status=RequestStatus.EXPIRED,
                source=CLICKSIGN,
                kind="deadline",
                message=f"Prazo encerrado sem todas as assinaturas: {document.filename} cancelado.",
                data=base,
            )
    elif name == "cancel":
        _document_finished(document, "cancel", DocumentStatus.CANCELED)
        request_status_set(
            request_id=request_id,
            status=RequestStatus.CANCELED,
            source=CLICKSIGN,
            kind="cancel",
            message=f"{document.filename} cancelado na Clicksign.",
            data=base,
        )
    elif name == "document_closed":
        Document.objects.filter(pk=document.pk).exclude(status=DocumentStatus.CLOSED).update(
            status=DocumentStatus.CLOSED
        )
        line(f"{document.filename} pronto para download na Clicksign.")
        _archive_enqueue(document)
    elif name in AUTH_FAILURES:
        signer = _signer(request_id, event)
        line(
            f"Falha de autenticação: {_signer_name(signer, event)} {AUTH_FAILURES[name]}.",
            signer=str(signer.public_id) if signer else "",
        )


def _document_finished(document: Document, finished_by: str, status: str) -> None:
    Document.objects.filter(pk=document.pk, finished_by="").update(finished_by=finished_by)
    Document.objects.filter(pk=document.pk).exclude(status__in=DOCUMENT_FINISHED_STATUSES).update(
        status=status
    )


def _archive_enqueue(document: Document) -> None:
    from chancela.callbacks.tasks import archive_signed_file

    if not document.signed_sha256:
        archive_signed_file.enqueue(str(document.public_id), 1)


def request_finish_if_archived(*, request_id: int) -> bool:
    """Once every document's signed PDF is archived the request is finished: ``signed``, or
    ``expired`` when a deadline closed a document with partial signatures."""
    documents = list(Document.objects.filter(request_id=request_id))
    if not documents or any(not d.signed_sha256 for d in documents):
        return False
    request = SignatureRequest.objects.get(pk=request_id)
    if any(d.finished_by == "deadline" for d in documents):
        return request_status_set(
            request_id=request_id,
            status=RequestStatus.EXPIRED,
            source=CLICKSIGN,
            kind="expired_partial",
            message="Prazo encerrado com assinaturas parciais; PDF parcial arquivado.",
        )
    message = "Todos os documentos assinados e arquivados."
    if request.is_sandbox:
        message += " Sandbox — sem validade jurídica."
    return request_status_set(
        request_id=request_id,
        status=RequestStatus.SIGNED,
        source=CLICKSIGN,
        kind="signed",
        message=message,
        data={"legally_valid": not request.is_sandbox},
    )
