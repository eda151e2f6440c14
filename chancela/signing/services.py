"""Creating signature requests: input checks, idempotency, stored files and the outbox.

``signature_request_create`` checks everything, works out the signers
(``chancela.signing.planning``), stores the original PDFs, writes the request, its documents,
signers and requirements, and enqueues the dispatch job — all in one transaction, so a failure
leaves neither rows nor files behind (files written before a failed transaction are deleted).

Idempotency: ``external_id`` is unique per unit (a database constraint). A resubmission with the
same content (same fingerprint) returns the existing request; with other content it is an
``IdempotencyConflict``. Concurrent identical submissions race on the constraint: the losers get
an IntegrityError, delete the files they wrote and return the winner's request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from chancela.core.idempotency import content_fingerprint
from chancela.core.pdf import (
    PdfError,
    display_filename,
    pdf_check_total,
    pdf_filename_clean,
    pdf_inspect,
)
from chancela.esign.models import DocumentType
from chancela.institutions.models import Unit
from chancela.signing.errors import IdempotencyConflict, SigningError
from chancela.signing.inputs import (
    CapacityOverride,
    DocumentInput,
    GuardianInput,
    SignerInput,
    StudentInput,
)
from chancela.signing.models import (
    Document,
    RequestEvent,
    RequirementAction,
    SignatureRequest,
    Signer,
    SignerRequirement,
)
from chancela.signing.planning import RequestPlan, signature_request_plan
from chancela.signing.policy import policy_check_deadline
from chancela.signing.tasks import dispatch_signature_request

logger = logging.getLogger(__name__)

MAX_DEADLINE_DAYS = 90
# The dispatch runs after the request is created: a deadline must leave it time to do so.
MIN_DEADLINE_AHEAD = timedelta(hours=1)
MAX_DOCUMENTS = 20


class SignatureRequestCreated(NamedTuple):
    request: SignatureRequest
    created: bool


# --- request fields ------------------------------------------------------------------------


def _clean_external_id(external_id: str) -> str:
    value = (external_id or "").strip()
    if len(value) > 100:
        raise SigningError(
            "external_id_too_long", "O external_id tem no máximo 100 caracteres.", "external_id"
        )
    if any(not ch.isprintable() for ch in value):
        raise SigningError(
            "external_id_invalid",
            "O external_id não pode ter caracteres de controle.",
            "external_id",
        )
    return value


def _clean_texts(title: str, message: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if not title:
        raise SigningError(
            "title_required", "Informe o título (ele aparece para quem assina).", "title"
        )
    if len(title) > 200:
        raise SigningError("title_too_long", "O título tem no máximo 200 caracteres.", "title")
    message = (message or "").strip()
    if len(message) > 3000:
        raise SigningError(
            "message_too_long", "A mensagem tem no máximo 3000 caracteres.", "message"
        )
    return title, message


def signature_request_deadline(
    *, document_type: DocumentType, deadline_at: datetime | None, now: datetime | None = None
) -> datetime:
    """The deadline given (checked against Clicksign's limits) or the document type's default."""
    now = now or timezone.now()
    if deadline_at is None:
        return now + timedelta(days=document_type.default_deadline_days)
    if timezone.is_naive(deadline_at):
        deadline_at = timezone.make_aware(deadline_at)
    if deadline_at < now + MIN_DEADLINE_AHEAD:
        raise SigningError(
            "deadline_past",
            "O prazo precisa estar no futuro (pelo menos uma hora a partir de agora).",
            "deadline_at",
        )
    latest = now + timedelta(days=MAX_DEADLINE_DAYS)
    if deadline_at > latest:
        local = timezone.localtime(latest)
        raise SigningError(
            "deadline_too_far",
            f"A Clicksign aceita prazo de no máximo {MAX_DEADLINE_DAYS} dias: até "
            f"{local:%d/%m/%Y %H:%M}.",
            "deadline_at",
        )
    policy_check_deadline(document_type=document_type, deadline_at=deadline_at, now=now)
    return deadline_at


@dataclass(frozen=True)
class _CheckedDocument:
    filename: str
    source: DocumentInput  # its bytes, or the file that holds them (read again to store it)
    sha256: str
    size: int
    page_count: int

    def stored_content(self) -> File:
        if self.source.file is None:
            return ContentFile(self.source.content)
        self.source.file.seek(0)
        return File(self.source.file, name=self.filename)


def signature_request_check_documents(
    documents: Sequence[DocumentInput],
) -> list[_CheckedDocument]:
    """Every document is an acceptable PDF; names and contents are not repeated."""
    if not documents:
        raise SigningError("documents_required", "Envie ao menos um documento PDF.", "documents")
    if len(documents) > MAX_DOCUMENTS:
        raise SigningError(
            "too_many_documents",
            f"No máximo {MAX_DOCUMENTS} documentos por solicitação.",
            "documents",
        )
    checked: list[_CheckedDocument] = []
    total = 0
    for index, document in enumerate(documents):
        filename = pdf_filename_clean(document.filename)
        path = f"documents[{index}]"
        try:
            # One document in memory at a time: a file-backed one is read again to be stored.
            info = pdf_inspect(
                document.read(),
                filename=display_filename(document.filename),
                field=f"{path}.content_base64",
            )
        except PdfError as error:
            raise SigningError(error.code, error.message, error.field) from error
        total += info.size
        pdf_check_total(total, field="documents")
        for other in checked:
            if other.filename.lower() == filename.lower():
                raise SigningError(
                    "document_duplicate_name",
                    f"Dois documentos se chamam “{filename}”: dê nomes diferentes a cada um.",
                    f"{path}.filename",
                )
            if other.sha256 == info.sha256:
                raise SigningError(
                    "document_duplicate_content",
                    f"“{filename}” é o mesmo arquivo que “{other.filename}”.",
                    f"{path}.content_base64",
                )
        checked.append(
            _CheckedDocument(filename, document, info.sha256, info.size, info.page_count)
        )
    return checked


def original_path(*, unit_id: int, document_public_id: Any) -> str:
    return f"originals/{unit_id}/{document_public_id}.pdf"


def _replay(*, unit: Unit, external_id: str, fingerprint: str) -> SignatureRequestCreated | None:
    existing = SignatureRequest.objects.filter(unit=unit, external_id=external_id).first()
    if existing is None:
        return None
    if existing.input_fingerprint != fingerprint:
        raise IdempotencyConflict(
            "external_id_conflict",
            f"O external_id “{external_id}” já foi usado nesta unidade pela solicitação "
            f"{existing.public_id}, com outro conteúdo. Um reenvio precisa ser idêntico; para "
            "um documento novo, use outro external_id.",
            "external_id",
            str(existing.public_id),
        )
    return SignatureRequestCreated(existing, False)


def signature_request_create(
    *,
    unit: Unit,
    document_type: DocumentType,
    title: str,
    documents: Sequence[DocumentInput],
    signers: Sequence[SignerInput] | None = None,
    student: StudentInput | None = None,
    guardians: Sequence[GuardianInput] = (),
    capacity_override: CapacityOverride | None = None,
    deadline_at: datetime | None = None,
    message: str = "",
    external_id: str = "",
    created_by: Any = None,
    api_key: Any = None,
    biometrics_justification: str = "",
) -> SignatureRequestCreated:
    """Check and create a request (status ``queued``) and enqueue its dispatch.

    Returns ``(request, created)``: ``created`` is False when ``external_id`` was already used in
    the unit with identical content (idempotent replay). Raises ``SigningError`` (or its
    subclass ``IdempotencyConflict``) with the offending field's path.
    """
    external_id = _clean_external_id(external_id)
    title, message = _clean_texts(title, message)
    explicit_deadline = deadline_at
    deadline = signature_request_deadline(document_type=document_type, deadline_at=deadline_at)
    checked = signature_request_check_documents(documents)
    plan = signature_request_plan(
        unit=unit,
        document_type=document_type,
        signers=signers,
        student=student,
        guardians=guardians,
        capacity_override=capacity_override,
        biometrics_justification=biometrics_justification,
    )
    fingerprint = content_fingerprint(
        {
            "unit": unit.pk,
            "document_type": document_type.pk,
            "title": title,
            "message": message,
            "deadline_at": explicit_deadline.isoformat() if explicit_deadline else None,
            "documents": [[d.filename, d.sha256] for d in checked],
            **plan.normalized_input,
        }
    )
    if external_id:
        replay = _replay(unit=unit, external_id=external_id, fingerprint=fingerprint)
        if replay is not None:
            return replay

    # Files first, outside the transaction (no write lock held during disk I/O); removed again
    # if the transaction does not commit.
    written: list[str] = []
    try:
        stored = []
        for document in checked:
            public_id = uuid.uuid4()
            name = default_storage.save(
                original_path(unit_id=unit.pk, document_public_id=public_id),
                document.stored_content(),
            )
            written.append(name)
            stored.append((public_id, name, document))
        request = _write_request(
            unit=unit,
            document_type=document_type,
            title=title,
            message=message,
            deadline=deadline,
            external_id=external_id,
            fingerprint=fingerprint,
            plan=plan,
            stored=stored,
            created_by=created_by,
            api_key=api_key,
        )
    except IntegrityError:
        _delete_files(written)
        if external_id:
            replay = _replay(unit=unit, external_id=external_id, fingerprint=fingerprint)
            if replay is not None:
                return replay
        raise
    except BaseException:
        _delete_files(written)
        raise
    logger.info(
        "signature request created",
        extra={
            "request_id": str(request.public_id),
            "unit_id": unit.pk,
            "documents": len(checked),
            "signers": len(plan.signers),
        },
    )
    return SignatureRequestCreated(request, True)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - best effort, logged for the operator
            logger.warning("could not delete an orphan original file", extra={"file": name})


def _write_request(
    *,
    unit: Unit,
    document_type: DocumentType,
    title: str,
    message: str,
    deadline: datetime,
    external_id: str,
    fingerprint: str,
    plan: RequestPlan,
    stored: list[tuple[Any, str, _CheckedDocument]],
    created_by: Any,
    api_key: Any,
) -> SignatureRequest:
    config = document_type.config
    user = created_by if getattr(created_by, "is_authenticated", False) else None
    with transaction.atomic():
        request = SignatureRequest.objects.create(
            unit=unit,
            document_type=document_type,
            config=config,
            environment=config.environment,
            external_id=external_id,
            title=title,
            message=message or document_type.message,
            deadline_at=deadline,
            remind_interval=document_type.remind_interval,
            capacity_rule=plan.rule_text,
            capacity_rule_code=plan.rule_code,
            capacity_override_reason=plan.override_reason,
            student_person=plan.student_person,
            student_name=plan.student_name,
            input_fingerprint=fingerprint,
            created_by=user,
            created_by_api_key=api_key,
        )
        documents = [
            Document.objects.create(
                public_id=public_id,
                request=request,
                position=position,
                filename=checked.filename,
                original_file=name,
                original_sha256=checked.sha256,
                original_size=checked.size,
                page_count=checked.page_count,
            )
            for position, (public_id, name, checked) in enumerate(stored)
        ]
        requirements = []
        for position, planned in enumerate(plan.signers):
            signer = Signer.objects.create(
                request=request,
                person=planned.person,
                name=planned.name,
                email=planned.email,
                cpf=planned.cpf,
                phone=planned.phone,
                birth_date=planned.birth_date,
                role=planned.role,
                qualification=planned.qualification,
                group=planned.group,
                position=position,
                channel=planned.channel,
                auths=planned.auths,
                fixed_signer=planned.fixed_signer,
            )
            for document in documents:
                requirements.append(
                    SignerRequirement(
                        request=request,
                        signer=signer,
                        document=document,
                        action=RequirementAction.QUALIFICATION,
                        value=planned.qualification,
                    )
                )
                requirements += [
                    SignerRequirement(
                        request=request,
                        signer=signer,
                        document=document,
                        action=RequirementAction.AUTHENTICATION,
                        value=auth,
                    )
                    for auth in planned.auths
                ]
        SignerRequirement.objects.bulk_create(requirements)
        if api_key is not None:
            source, text = (
                RequestEvent.Source.HOST,
                f"Solicitação recebida do sistema acadêmico (chave “{api_key.name}”).",
            )
        else:
            who = (user.get_full_name() or user.username) if user else "sistema"
            source, text = RequestEvent.Source.STAFF, f"Solicitação criada por {who}."
        RequestEvent.objects.create(
            request=request,
            source=source,
            kind="created",
            message=f"{text} Na fila para envio à Clicksign.",
            data={"external_id": external_id, "capacity_rule": plan.rule_code},
            actor=user,
        )
        if plan.biometrics_note:
            RequestEvent.objects.create(
                request=request,
                source=source,
                kind="biometrics_justified",
                message=plan.biometrics_note,
                actor=user,
            )
        # Transactional outbox: the job row commits (or rolls back) with the request.
        dispatch_signature_request.enqueue(request_public_id=str(request.public_id))
    return request
