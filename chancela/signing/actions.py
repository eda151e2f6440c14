"""What staff (the request page) and the host ERP (the API) may do to a request once it exists.

Remind, cancel, retry, correct a signer's contact, send again. Each service:

- checks the request's status first and refuses with a Portuguese ``ActionError``;
- calls Clicksign (through the typed client) **outside** any database transaction;
- records the outcome in one short transaction through ``chancela.signing.transitions``
  (``request_status_set`` for a status change, ``request_event_add`` for a timeline line).

Clicksign facts that shape them: notifications are limited to one per minute per endpoint
(envelope, or one signer); a running envelope is cancelled document by document
(``PATCH status=canceled``); a signer cannot be edited outside a draft envelope, so a corrected
contact after activation means cancelling and sending a new request, the two linked in their
timelines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from chancela.clicksign.errors import (
    ClicksignError,
    ClicksignPermanentError,
    ClicksignRetryableError,
)
from chancela.clicksign.port import ClicksignPort
from chancela.core.people import phone_is_valid, phone_normalize
from chancela.esign.clients import client_for_config
from chancela.esign.connection import SCREEN_MAX_WAIT, SCREEN_TIMEOUTS, describe_clicksign_error
from chancela.signing.errors import SigningError
from chancela.signing.inputs import DocumentInput, SignerInput
from chancela.signing.models import (
    DOCUMENT_FINISHED_STATUSES,
    DocumentStatus,
    RequestEvent,
    RequestStatus,
    SignatureRequest,
    Signer,
    SignerChannel,
    SignerStatus,
)
from chancela.signing.transitions import request_event_add, request_status_set

logger = logging.getLogger(__name__)

REASON_MAX = 300


class ActionError(SigningError):
    """An action refused or failed; ``retry_after`` (seconds) when it may work later."""

    def __init__(
        self, code: str, message: str, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(code, message, field)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user (screens) or a host API key (the API)."""

    user: Any = None
    api_key: Any = None

    @property
    def source(self) -> str:
        return RequestEvent.Source.HOST if self.api_key is not None else RequestEvent.Source.STAFF

    @property
    def name(self) -> str:
        if self.api_key is not None:
            return f"o sistema acadêmico (chave “{self.api_key.name}”)"
        if self.user is not None and getattr(self.user, "is_authenticated", False):
            return str(self.user.get_full_name() or self.user.username)
        return "o Chancela"


def _client(request: SignatureRequest) -> ClicksignPort:
    return client_for_config(request.config, timeouts=SCREEN_TIMEOUTS, max_wait=SCREEN_MAX_WAIT)


def _status_label(request: SignatureRequest) -> str:
    return str(RequestStatus(request.status).label)


def _clicksign_failure(request: SignatureRequest, error: ClicksignError, doing: str) -> ActionError:
    _, explanation = describe_clicksign_error(request.config, error)
    retry_after = None
    if isinstance(error, ClicksignRetryableError) and error.retry_after:
        retry_after = error.wait_seconds()
    return ActionError(
        "clicksign_error", f"Não foi possível {doing}: {explanation}", retry_after=retry_after
    )


# ---------------------------------------------------------------------- remind


def signing_group_current(request: SignatureRequest) -> int | None:
    """The group Clicksign is collecting signatures from: the lowest group with a pending
    signer (None when nobody is pending)."""
    groups = request.signers.filter(status=SignerStatus.PENDING).values_list("group", flat=True)
    return min(groups, default=None)


def signature_request_remind(
    *, request: SignatureRequest, signer: Signer | None = None, actor: Actor
) -> str:
    """Ask Clicksign to notify one pending signer again, or every pending signer (the envelope).

    Returns the Portuguese confirmation. Clicksign accepts one notification per minute per
    endpoint: a second one within the minute is refused with the seconds left to wait.
    """
    if request.status != RequestStatus.AWAITING_SIGNATURES or not request.clicksign_envelope_id:
        raise ActionError(
            "action_not_allowed",
            "Só é possível enviar lembretes enquanto a solicitação está “Aguardando "
            f"assinaturas” (agora: “{_status_label(request)}”).",
        )
    if signer is not None:
        if signer.request_id != request.pk:
            raise ActionError("signer_not_found", "Signatário não encontrado nesta solicitação.")
        if signer.status != SignerStatus.PENDING:
            raise ActionError(
                "action_not_allowed",
                f"{signer.name} já {signer.get_status_display().lower()}: não há o que lembrar.",
            )
        if not signer.clicksign_signer_id:
            raise ActionError(
                "action_not_allowed",
                f"{signer.name} ainda não foi registrado na Clicksign: aguarde o fim do envio.",
            )
        current = signing_group_current(request)
        if current is not None and signer.group > current:
            # Clicksign refuses (422) a notification to a signer whose group has not started.
            raise ActionError(
                "signer_group_not_started",
                f"{signer.name} assina no grupo {signer.group}, que ainda não começou: a "
                f"Clicksign só o convida quando o grupo {current} terminar de assinar. Até lá "
                "não há lembrete a enviar — lembre os signatários pendentes do grupo "
                f"{current}.",
            )
        target = signer.name
    else:
        if not request.signers.filter(status=SignerStatus.PENDING).exists():
            raise ActionError("action_not_allowed", "Todos os signatários já responderam.")
        target = "todos os signatários pendentes"
    document_ids = [
        d for d in request.documents.values_list("clicksign_document_id", flat=True) if d
    ]
    try:
        with _client(request) as client:
            if signer is not None:
                client.notify_signer(
                    request.clicksign_envelope_id,
                    signer.clicksign_signer_id,
                    document_ids=document_ids,
                )
            else:
                client.notify_envelope(request.clicksign_envelope_id, document_ids=document_ids)
    except ClicksignRetryableError as error:
        if error.is_rate_limit:
            wait = error.wait_seconds(default=60)
            scope = "para cada signatário" if signer is not None else "para a solicitação toda"
            raise ActionError(
                "remind_too_soon",
                f"A Clicksign aceita um lembrete por minuto {scope}. Tente de novo em {wait} "
                "segundos.",
                retry_after=wait,
            ) from error
        raise _clicksign_failure(request, error, "enviar o lembrete") from error
    except ClicksignError as error:
        raise _clicksign_failure(request, error, "enviar o lembrete") from error
    message = f"Lembrete enviado pela Clicksign a {target}, a pedido de {actor.name}."
    request_event_add(
        request=request,
        source=actor.source,
        kind="reminder_sent",
        message=message,
        data={"signer": str(signer.public_id) if signer else None},
        actor=actor.user,
    )
    logger.info(
        "reminder sent",
        extra={"request_id": str(request.public_id), "signer": bool(signer)},
    )
    return f"Lembrete enviado a {target}."


# ---------------------------------------------------------------------- refusal


@dataclass(frozen=True)
class StopOutcome:
    state: str  # stopped | nothing | retry | failed
    retry_in: float | None = None


def signature_request_stop_after_refusal(*, request_public_id: str) -> StopOutcome:
    """Stop a refused request at Clicksign: cancel its documents still running there.

    Every send asks ``block_after_refusal`` (so nobody signs after a refusal), but whether that
    also stops Clicksign's automatic reminders is undocumented — and a refused request is over in
    Chancela. Cancelling the documents is the one stop both APIs document: the other signers
    get no more reminders and cannot sign. The request stays "Recusado".
    """
    request = (
        SignatureRequest.objects.select_related("config")
        .filter(public_id=request_public_id)
        .first()
    )
    if request is None or request.status != RequestStatus.REFUSED:
        return StopOutcome("nothing")
    if not request.clicksign_envelope_id:
        return StopOutcome("nothing")
    # Every document Clicksign has (a refused one is still running there, whatever its row
    # shows here); one it already closed or cancelled is left alone.
    documents = [d for d in request.documents.all() if d.clicksign_document_id]
    stopped = 0
    try:
        with _client(request) as client:
            for document in documents:
                try:
                    client.document_cancel(
                        request.clicksign_envelope_id, document.clicksign_document_id
                    )
                    stopped += 1
                except ClicksignPermanentError:
                    remote = client.document_get(
                        request.clicksign_envelope_id, document.clicksign_document_id
                    )
                    if remote.status not in ("canceled", "closed"):
                        raise
                    # Already stopped (a retried job, or someone at Clicksign): same outcome.
                    stopped += remote.status == "canceled"
    except ClicksignRetryableError as error:
        return StopOutcome("retry", retry_in=max(error.retry_after or 0.0, 30.0))
    except ClicksignError as error:
        request_event_add(
            request=request,
            source=RequestEvent.Source.CHANCELA,
            kind="refusal_stop_failed",
            message="Não foi possível cancelar na Clicksign os documentos da solicitação recusada "
            f"({_describe_error(error)}); os demais signatários podem continuar recebendo "
            "lembretes até que alguém cancele na Clicksign.",
        )
        return StopOutcome("failed")
    if stopped:
        request_event_add(
            request=request,
            source=RequestEvent.Source.CHANCELA,
            kind="refusal_stopped_at_clicksign",
            message=f"Após a recusa, {stopped} documento(s) cancelado(s) na Clicksign: os demais "
            "signatários deixam de receber lembretes e não podem mais assinar.",
        )
    return StopOutcome("stopped" if stopped else "nothing")


def _describe_error(error: ClicksignError) -> str:
    return (error.detail or error.message).rstrip(". ")


# ---------------------------------------------------------------------- cancel


def _cancel_remote(request: SignatureRequest) -> list[int]:
    """Cancel the envelope at Clicksign (outside transactions); the ids of documents cancelled.

    A draft envelope (dispatch stopped half-way) is deleted; a running one is cancelled document
    by document. Documents already cancelled or closed there are left alone. If one document
    fails, those cancelled before it are recorded and the error says how far it got.
    """
    documents = [
        document
        for document in request.documents.all()
        if document.status not in DOCUMENT_FINISHED_STATUSES
    ]
    done: list[int] = []
    with _client(request) as client:
        envelope = client.envelope_get(request.clicksign_envelope_id)
        if envelope.status == "draft":
            client.envelope_delete(request.clicksign_envelope_id)
            return [document.pk for document in documents]
        if envelope.status != "running":
            return [document.pk for document in documents]
        for document in documents:
            if not document.clicksign_document_id:
                done.append(document.pk)
                continue
            try:
                client.document_cancel(
                    request.clicksign_envelope_id, document.clicksign_document_id
                )
            except ClicksignPermanentError:
                remote = client.document_get(
                    request.clicksign_envelope_id, document.clicksign_document_id
                )
                if remote.status not in ("canceled", "closed"):
                    raise
            except ClicksignError:
                if done:
                    _documents_mark_canceled(done)
                    request_event_add(
                        request=request,
                        source=RequestEvent.Source.CHANCELA,
                        kind="cancel_partial",
                        message=f"Cancelamento parcial: {len(done)} de {len(documents)} "
                        "documento(s) cancelado(s) na Clicksign antes de um erro.",
                    )
                raise
            done.append(document.pk)
    return done


def _documents_mark_canceled(document_ids: list[int]) -> None:
    from chancela.signing.models import Document

    Document.objects.filter(pk__in=document_ids).update(status=DocumentStatus.CANCELED)


def signature_request_cancel(*, request: SignatureRequest, reason: str, actor: Actor) -> None:
    """Cancel a request that has not ended, with a reason (recorded on the timeline).

    Not yet at Clicksign (queued, or sending before the envelope exists): only our status
    changes, and the dispatch stops at its next step. At Clicksign: every document is cancelled
    there first (``PATCH status=canceled``), then the request becomes ``canceled``.
    """
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise ActionError("reason_required", "Informe o motivo do cancelamento.", "reason")
    if len(reason) > REASON_MAX:
        raise ActionError(
            "reason_too_long",
            f"O motivo pode ter até {REASON_MAX} caracteres.",
            "reason",
        )
    if request.is_terminal:
        raise ActionError(
            "action_not_allowed",
            f"A solicitação já está “{_status_label(request)}” e não pode mais ser cancelada.",
        )
    documents_canceled: list[int] = []
    if request.clicksign_envelope_id:
        try:
            documents_canceled = _cancel_remote(request)
        except ClicksignError as error:
            raise _clicksign_failure(request, error, "cancelar na Clicksign") from error
    with transaction.atomic():
        moved = request_status_set(
            request_id=request.pk,
            status=RequestStatus.CANCELED,
            source=actor.source,
            kind="canceled",
            message=f"Cancelada por {actor.name}. Motivo: {reason}",
            data={"reason": reason, "documents_canceled": len(documents_canceled)},
            actor=actor.user,
        )
        if documents_canceled:
            _documents_mark_canceled(documents_canceled)
    if not moved:
        request.refresh_from_db(fields=["status"])
        raise ActionError(
            "action_not_allowed",
            f"A solicitação mudou para “{_status_label(request)}” enquanto era cancelada.",
        )
    logger.info("request canceled", extra={"request_id": str(request.public_id)})


# ---------------------------------------------------------------------- retry


def signature_request_retry(*, request: SignatureRequest, actor: Actor) -> None:
    """Put a failed request back in the queue (its error cleared) and enqueue its dispatch."""
    from chancela.signing.tasks import dispatch_signature_request

    if request.status != RequestStatus.FAILED:
        raise ActionError(
            "action_not_allowed",
            "Só uma solicitação com “Falha no envio” pode ser reenviada "
            f"(agora: “{_status_label(request)}”).",
        )
    with transaction.atomic():
        moved = request_status_set(
            request_id=request.pk,
            status=RequestStatus.QUEUED,
            reopen=True,
            error="",
            source=actor.source,
            kind="retried",
            message=f"Nova tentativa de envio pedida por {actor.name}: de volta à fila.",
            actor=actor.user,
        )
        if not moved:
            raise ActionError("action_not_allowed", "A solicitação já não está com falha.")
        dispatch_signature_request.enqueue(request_public_id=str(request.public_id))


# ---------------------------------------------------------------------- send again


def _signer_input(signer: Signer, *, contact: tuple[str, str] | None = None) -> SignerInput:
    email, phone = contact if contact is not None else (signer.email, signer.phone)
    return SignerInput(
        name=signer.name,
        email=email,
        cpf=signer.cpf,
        phone=phone,
        birth_date=signer.birth_date,
        channel=signer.channel,
        group=signer.group,
        person=signer.person,
        role=signer.role,
    )


def signature_request_copy(
    *,
    request: SignatureRequest,
    actor: Actor,
    corrections: dict[int, tuple[str, str]] | None = None,
    why: str = "",
) -> SignatureRequest:
    """A new request with the same unit, document type (its configuration *now*), title,
    message, original PDFs and signers (those the document type adds are added again by it).

    ``corrections`` maps a signer's pk to its new (e-mail, phone). Both timelines link to each
    other. Raises ``SigningError`` if the copy cannot be created (e.g. the type is inactive).
    """
    from chancela.signing.services import signature_request_create

    corrections = corrections or {}
    documents = []
    for document in request.documents.all():
        with document.original_file.open("rb") as stored:
            documents.append(DocumentInput(filename=document.filename, content=stored.read()))
    signers = [
        _signer_input(signer, contact=corrections.get(signer.pk))
        for signer in request.signers.all()
        if signer.fixed_signer_id is None
    ]
    new = signature_request_create(
        unit=request.unit,
        document_type=request.document_type,
        title=request.title,
        documents=documents,
        signers=signers,
        message=request.message,
        created_by=actor.user,
        api_key=actor.api_key,
    ).request
    with transaction.atomic():
        request_event_add(
            request=request,
            source=actor.source,
            kind="copied_to",
            message=f"{why or 'Enviada novamente'} como nova solicitação, por {actor.name}.",
            data={"request": str(new.public_id)},
            actor=actor.user,
        )
        request_event_add(
            request=new,
            source=actor.source,
            kind="copied_from",
            message=f"Cópia de uma solicitação anterior ({why or 'enviada novamente'}).",
            data={"request": str(request.public_id)},
            actor=actor.user,
        )
    return new


# ---------------------------------------------------------------------- correct a contact


@dataclass(frozen=True)
class ContactCorrected:
    request: SignatureRequest  # the request now carrying the corrected signer
    replaced: bool  # True: the old one was cancelled (or had ended) and a new one created


def _clean_contact(
    request: SignatureRequest, signer: Signer, email: str, phone: str
) -> tuple[str, str]:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ActionError("invalid_email", "Informe um e-mail válido.", "email") from None
    phone = phone_normalize(phone) if (phone or "").strip() else ""
    if phone and not phone_is_valid(phone):
        raise ActionError(
            "invalid_phone", "Informe um celular com DDD (11 dígitos), ou deixe em branco.", "phone"
        )
    if signer.channel in (SignerChannel.SMS, SignerChannel.WHATSAPP) and not phone:
        raise ActionError(
            "phone_required",
            f"{signer.name} recebe o token por {signer.get_channel_display()}: o celular é "
            "obrigatório.",
            "phone",
        )
    if email == signer.email.lower() and phone == signer.phone:
        raise ActionError("nothing_changed", "O e-mail e o celular são os mesmos de antes.")
    if request.signers.exclude(pk=signer.pk).filter(email__iexact=email).exists():
        raise ActionError(
            "duplicate_email", "Outro signatário desta solicitação já usa este e-mail.", "email"
        )
    return email, phone


def signer_contact_correct(
    *, request: SignatureRequest, signer: Signer, email: str, phone: str, actor: Actor
) -> ContactCorrected:
    """Correct a signer's e-mail or phone.

    Not yet at Clicksign (queued, or failed before the signer was created there): the row is
    fixed. Awaiting signatures: Clicksign forbids editing a signer of a running envelope, so the
    request is cancelled and a new one, with the correction, is created (timelines linked).
    Ended unsigned (failed at Clicksign, refused, expired, cancelled): a new one is created.
    """
    if signer.request_id != request.pk:
        raise ActionError("signer_not_found", "Signatário não encontrado nesta solicitação.")
    if signer.fixed_signer_id is not None:
        raise ActionError(
            "action_not_allowed",
            f"{signer.name} é signatário fixo do tipo de documento: corrija o cadastro da "
            "pessoa ou o tipo de documento.",
        )
    email, phone = _clean_contact(request, signer, email, phone)
    changes = []
    if email != signer.email.lower():
        changes.append("e-mail")
    if phone != signer.phone:
        changes.append("celular")
    what = " e ".join(changes)

    if request.status in (RequestStatus.QUEUED, RequestStatus.FAILED) and not (
        signer.clicksign_signer_id or request.clicksign_envelope_id
    ):
        with transaction.atomic():
            locked = SignatureRequest.objects.select_for_update().get(pk=request.pk)
            if locked.status not in (RequestStatus.QUEUED, RequestStatus.FAILED) or (
                locked.clicksign_envelope_id
            ):
                raise ActionError(
                    "action_not_allowed",
                    "O envio à Clicksign começou enquanto a correção era feita: tente de novo.",
                )
            Signer.objects.filter(pk=signer.pk).update(email=email, phone=phone)
            request_event_add(
                request=request,
                source=actor.source,
                kind="signer_corrected",
                message=f"{what.capitalize()} de {signer.name} corrigido por {actor.name}.",
                data={"signer": str(signer.public_id), "changed": changes},
                actor=actor.user,
            )
        return ContactCorrected(request=request, replaced=False)
    if request.status == RequestStatus.SENDING or (
        request.status == RequestStatus.QUEUED and request.clicksign_envelope_id
    ):
        raise ActionError(
            "action_not_allowed",
            "O envio à Clicksign está em andamento: aguarde alguns instantes e tente de novo.",
        )
    if request.status == RequestStatus.SIGNED:
        raise ActionError(
            "action_not_allowed", "A solicitação já foi assinada: não há o que corrigir."
        )
    why = f"Correção do {what} de {signer.name}"
    if request.status == RequestStatus.AWAITING_SIGNATURES:
        signature_request_cancel(request=request, reason=why, actor=actor)
    try:
        new = signature_request_copy(
            request=request, actor=actor, corrections={signer.pk: (email, phone)}, why=why
        )
    except SigningError as error:
        request_event_add(
            request=request,
            source=RequestEvent.Source.CHANCELA,
            kind="copy_failed",
            message=f"A nova solicitação com a correção não pôde ser criada: {error.message}",
        )
        raise ActionError(
            error.code,
            f"A nova solicitação com a correção não pôde ser criada: {error.message}",
            error.field,
        ) from error
    return ContactCorrected(request=new, replaced=True)
