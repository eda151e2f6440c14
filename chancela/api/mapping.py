"""Between the wire (schemas) and the domain (inputs, models): decoding and serialising."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from chancela.api.schemas import (
    DocumentIn,
    GuardianIn,
    PartyIn,
    SignatureRequestIn,
    SignerIn,
    StudentIn,
)
from chancela.api.streaming import DecodedDocument, base64_text_decode
from chancela.core import pdf
from chancela.core.pdf import pdf_check_size, pdf_filename_clean
from chancela.core.people import cpf_mask
from chancela.signing.errors import SigningError
from chancela.signing.inputs import (
    CapacityOverride,
    DocumentInput,
    GuardianInput,
    SignerInput,
    StudentInput,
)
from chancela.signing.models import Document, RequestStatus, SignatureRequest


def decode_document(
    document: DocumentIn,
    index: int,
    *,
    documents: Mapping[str, DecodedDocument] | None = None,
    field: str | None = None,
) -> DocumentInput:
    """The document as a file: decoded while the body was scanned (``documents``, by the
    reference that stands in ``content_base64``), or from the base64 text itself."""
    field = field or f"documents[{index}].content_base64"
    value = document.content_base64
    decoded = (documents or {}).get(value)
    if decoded is None:
        decoded = base64_text_decode(value, limit=pdf.MAX_DOCUMENT_BYTES)
    if not decoded.pattern_ok and value.startswith("data:"):
        decoded.close()
        raise SigningError(
            "invalid_base64",
            "Use base64 puro ou um data URI data:application/pdf;base64,<conteúdo>.",
            field,
        )
    # The size the base64 announces; past the limit nothing more than the limit was kept.
    pdf_check_size(decoded.size, filename=pdf_filename_clean(document.filename), field=field)
    if not decoded.pattern_ok or not decoded.base64_ok or decoded.file is None:
        decoded.close()
        raise SigningError("invalid_base64", "content_base64 não é um base64 válido.", field)
    return DocumentInput(filename=document.filename, file=decoded.file)


def _party(party: PartyIn) -> dict[str, Any]:
    return {
        "name": party.name,
        "email": party.email or "",
        "cpf": party.cpf or "",
        "phone": party.phone or "",
        "birth_date": party.birth_date,
        "channel": party.channel,
        "group": party.group,
    }


def signer_input(signer: SignerIn) -> SignerInput:
    return SignerInput(**_party(signer), role=signer.role)


def student_input(student: StudentIn) -> StudentInput:
    return StudentInput(**_party(student), emancipated=student.emancipated)


def guardian_input(guardian: GuardianIn) -> GuardianInput:
    return GuardianInput(**_party(guardian), role=guardian.role)


def create_arguments(
    payload: SignatureRequestIn, documents: Mapping[str, DecodedDocument] | None = None
) -> dict[str, Any]:
    """Keyword arguments of ``signature_request_create`` (besides unit and document type)."""
    return {
        "external_id": payload.external_id,
        "title": payload.title,
        "message": payload.message or "",
        "deadline_at": payload.deadline_at,
        "documents": [
            decode_document(d, i, documents=documents) for i, d in enumerate(payload.documents)
        ],
        "signers": (
            [signer_input(s) for s in payload.signers] if payload.signers is not None else None
        ),
        "student": student_input(payload.student) if payload.student is not None else None,
        "guardians": [guardian_input(g) for g in payload.guardians],
        "biometrics_justification": payload.biometrics_justification or "",
        "capacity_override": (
            CapacityOverride(
                signers=payload.capacity_override.signers,
                reason=payload.capacity_override.reason,
            )
            if payload.capacity_override is not None
            else None
        ),
    }


def legal_validity(request: SignatureRequest) -> str:
    return "none-sandbox" if request.is_sandbox else "production"


def _document_out(request: SignatureRequest, document: Document) -> dict[str, Any]:
    available = bool(document.signed_file)
    return {
        "id": document.public_id,
        "filename": document.filename,
        "sha256": document.original_sha256,
        "size": document.original_size,
        "page_count": document.page_count,
        "status": document.status,
        "signed_available": available,
        "signed_sha256": document.signed_sha256 or None,
        "signed_url": (
            reverse(
                "api-v1:signature_request_signed_document",
                kwargs={"request_id": request.public_id, "document_id": document.public_id},
            )
            if available
            else None
        ),
    }


def request_out(request: SignatureRequest) -> dict[str, Any]:
    return {
        "id": request.public_id,
        "external_id": request.external_id,
        "unit": request.unit.code,
        "document_type": request.document_type.code,
        "title": request.title,
        "message": request.message,
        "status": request.status,
        "status_label": str(RequestStatus(request.status).label),
        "environment": request.environment,
        "sandbox": request.is_sandbox,
        "legal_validity": legal_validity(request),
        "deadline_at": request.deadline_at,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "status_changed_at": request.status_changed_at,
        "last_error": request.last_error,
        "student_name": request.student_name,
        "capacity_rule": {
            "code": request.capacity_rule_code,
            "description": request.capacity_rule,
            "override_reason": request.capacity_override_reason,
        },
        "documents": [_document_out(request, d) for d in request.documents.all()],
        "signers": [
            {
                "id": s.public_id,
                "name": s.name,
                "email": s.email,
                "cpf_masked": cpf_mask(s.cpf),
                "role": s.role,
                "qualification": s.qualification,
                "group": s.group,
                "channel": s.channel,
                "auths": s.auths,
                "status": s.status,
                "signed_at": s.signed_at,
                "refused_at": s.refused_at,
            }
            for s in request.signers.all()
        ],
    }
