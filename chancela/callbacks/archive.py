"""The signed PDF: fetched once a document is closed, checked, stored with its SHA-256.

Read the document again for a fresh link (they live 5 minutes), download it without the token
from a host allowed for the configuration's environment, under a size cap, check it is a PDF,
store it. No network call happens inside a transaction; a link not there yet is retried.
When the account's rate-limit window is full, the job does not hold its worker: it waits at most
``SLOT_WAIT_SECONDS`` for a slot, as a dispatch does, and is otherwise put back for the moment
the slot frees, without spending an attempt (``wait``).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chancela.callbacks.processing import CLICKSIGN, request_finish_if_archived
from chancela.clicksign.errors import (
    ClicksignError,
    ClicksignPermanentError,
    ClicksignRetryableError,
    ClicksignSlotWait,
)
from chancela.esign.clients import client_for_config
from chancela.signing.dispatch import RESUME_EARLY_SECONDS, SLOT_WAIT_SECONDS
from chancela.signing.models import Document, SignatureRequest
from chancela.signing.transitions import request_event_add

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class ArchiveOutcome:
    state: str  # archived | already | retry | wait (for a rate-limit slot) | failed
    retry_in: float = 0.0
    error: str = ""


def _pdf_ok(content: bytes) -> bool:
    if content.lstrip()[:5] != b"%PDF-":
        return False
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(content)).pages) > 0
    except Exception:  # noqa: BLE001 - any parse failure means "not a usable PDF"
        return False


def document_signed_file_archive(*, document_public_id: str, attempt: int = 1) -> ArchiveOutcome:
    document = (
        Document.objects.select_related("request__config")
        .filter(public_id=document_public_id)
        .first()
    )
    if document is None:
        return ArchiveOutcome("failed", error="unknown document")
    if document.signed_sha256:
        request_finish_if_archived(request_id=document.request_id)
        return ArchiveOutcome("already")
    request = document.request
    if not request.clicksign_envelope_id or not document.clicksign_document_id:
        return _retry(document, attempt, "Envio ainda sem os identificadores da Clicksign.")
    config = request.config
    try:
        with client_for_config(config, max_wait=SLOT_WAIT_SECONDS) as client:
            remote = client.document_get(
                request.clicksign_envelope_id, document.clicksign_document_id
            )
            url = remote.files.signed
            if not url:
                return _retry(document, attempt, "PDF assinado ainda não disponível.")
            if not client.download_allowed(url):
                return _fail(document, "Endereço do PDF assinado fora dos servidores permitidos.")
            downloaded = client.download(url, max_bytes=settings.CHANCELA_SIGNED_FILE_MAX_BYTES)
    except ClicksignSlotWait as exc:  # nothing was sent: back when the slot frees
        return ArchiveOutcome(
            "wait", retry_in=max(0.0, (exc.retry_after or 0.0) - RESUME_EARLY_SECONDS)
        )
    except ClicksignRetryableError as exc:
        return _retry(document, attempt, str(exc), at_least=exc.retry_after or 0.0)
    except ClicksignPermanentError as exc:
        if exc.status == 403:  # an expired link: a fresh read on the next attempt fixes it
            return _retry(document, attempt, str(exc))
        return _fail(document, f"PDF assinado não arquivado: {exc}")
    except ClicksignError as exc:  # credentials: may be fixed by staff meanwhile
        return _retry(document, attempt, str(exc))
    if not _pdf_ok(downloaded.content):
        return _fail(document, "O arquivo assinado recebido não é um PDF válido.")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.signed_sha256:
            return ArchiveOutcome("already")
        locked.signed_file.save(
            f"{locked.public_id}.pdf", ContentFile(downloaded.content), save=False
        )
        locked.signed_sha256 = downloaded.sha256
        locked.signed_size = downloaded.size
        locked.signed_archived_at = timezone.now()
        locked.save(
            update_fields=["signed_file", "signed_sha256", "signed_size", "signed_archived_at"]
        )
        message = (
            f"PDF assinado de {locked.filename} arquivado (SHA-256 {downloaded.sha256[:12]}…)."
        )
        if request.is_sandbox:
            message += " Sandbox — sem validade jurídica."
        request_event_add(
            request=SignatureRequest.objects.get(pk=request.pk),
            source=CLICKSIGN,
            kind="signed_file_archived",
            message=message,
            data={"document": str(locked.public_id), "sha256": downloaded.sha256},
        )
    request_finish_if_archived(request_id=request.pk)
    return ArchiveOutcome("archived")


def _retry(document: Document, attempt: int, error: str, at_least: float = 0.0) -> ArchiveOutcome:
    if attempt >= MAX_ATTEMPTS:
        return _fail(document, f"PDF assinado não obtido após {attempt} tentativas: {error}")
    delay = max(at_least, min(5.0 * 2 ** (attempt - 1), 600.0))
    logger.info(
        "signed file not archived yet",
        extra={"document": str(document.public_id), "attempt": attempt, "retry_in": delay},
    )
    return ArchiveOutcome("retry", retry_in=delay, error=error)


def _fail(document: Document, error: str) -> ArchiveOutcome:
    logger.error("signed file archive failed", extra={"document": str(document.public_id)})
    request_event_add(
        request=SignatureRequest.objects.get(pk=document.request_id),
        source=CLICKSIGN,
        kind="signed_file_failed",
        message=error,
        data={"document": str(document.public_id)},
    )
    return ArchiveOutcome("failed", error=error)
