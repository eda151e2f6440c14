"""Public check of a signed PDF: does it match a signed document the institution archived?

Anyone holding a PDF (a bank, a court, a public programme) uploads it or types the code printed
on Chancela's receipt. The answer carries only what proves authenticity without exposing the
people involved: the date it was signed, the document type, the institution (unit) and whether
it has legal validity (a sandbox document never has). Never names, CPFs, e-mails or titles
(a title usually carries the student's name). Matching is by SHA-256 of the exact bytes, so a
single changed byte is "not found". Retention keeps the signed PDF and its hash, so an
anonymised request is still verifiable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from chancela.esign.models import Environment
from chancela.signing.models import Document

CODE_HEX_LENGTH = 16  # 64 bits of the signed file's SHA-256


def verification_code(sha256: str) -> str:
    """The code printed on the receipt: the start of the SHA-256, as XXXX-XXXX-XXXX-XXXX."""
    head = sha256[:CODE_HEX_LENGTH].upper()
    return "-".join(head[i : i + 4] for i in range(0, CODE_HEX_LENGTH, 4))


def verification_code_clean(text: str) -> str | None:
    """The hex digits of a typed code (spaces, dashes and case ignored), or None if invalid."""
    digits = re.sub(r"[\s.-]", "", text or "").lower()
    if len(digits) != CODE_HEX_LENGTH or not re.fullmatch(r"[0-9a-f]+", digits):
        return None
    return digits


def verification_url(sha256: str) -> str:
    """The public page that checks this document (what the receipt's QR code opens)."""
    return f"{settings.PUBLIC_URL}{reverse('signing:verify')}?codigo={verification_code(sha256)}"


def file_sha256(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Verification:
    signed_at: datetime
    document_type: str
    institution: str
    sandbox: bool
    code: str

    @property
    def legally_valid(self) -> bool:
        return not self.sandbox


def _answer(document: Document) -> Verification:
    request = document.request
    return Verification(
        signed_at=document.signed_archived_at or request.status_changed_at,
        document_type=request.document_type.name,
        institution=request.unit.name,
        sandbox=request.environment == Environment.SANDBOX,
        code=verification_code(document.signed_sha256),
    )


def _archived() -> QuerySet[Document]:
    return (
        Document.objects.exclude(signed_sha256="")
        .select_related("request__unit", "request__document_type")
        .order_by("id")
    )


def document_verify_sha256(*, sha256: str) -> Verification | None:
    """The archived signed document with exactly this SHA-256, if any."""
    document = _archived().filter(signed_sha256=sha256.lower()).first()
    return _answer(document) if document is not None else None


def document_verify_code(*, code: str) -> Verification | None:
    """The archived signed document whose receipt code is ``code`` (already cleaned)."""
    document = _archived().filter(signed_sha256__startswith=code).first()
    return _answer(document) if document is not None else None
