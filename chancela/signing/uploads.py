"""PDFs chosen on the send screen, kept between submissions of the form.

A browser never re-sends a file input, so a form shown again (an error, a preview, a search)
would make the user choose the files again. Instead, each accepted PDF is checked and kept in
``staging/<user id>/<uuid>.pdf``, and the form carries a signed token naming them (user, file
ids, names, SHA-256). Tokens expire after a day; files older than that are swept whenever
someone stages new ones. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from chancela.core.pdf import PdfError, display_filename, pdf_filename_clean, pdf_inspect
from chancela.signing.inputs import DocumentInput

logger = logging.getLogger(__name__)

SALT = "chancela.signing.staged-documents"
MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class StagedDocument:
    id: str
    filename: str
    sha256: str
    size: int
    page_count: int


def _path(user_id: int, file_id: str) -> str:
    return f"staging/{user_id}/{file_id}.pdf"


def staged_documents_sweep(*, user_id: int) -> None:
    """Delete this user's staged files older than MAX_AGE (best effort)."""
    folder = f"staging/{user_id}"
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    limit = timezone.now() - MAX_AGE
    for name in files:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
        except OSError:  # pragma: no cover - a concurrent sweep got there first
            continue


def staged_documents_save(
    *, user_id: int, files: list[tuple[str, bytes]]
) -> tuple[list[StagedDocument], list[PdfError]]:
    """Check each file; keep the good ones. Returns (kept, errors)."""
    staged_documents_sweep(user_id=user_id)
    kept: list[StagedDocument] = []
    errors: list[PdfError] = []
    for name, content in files:
        filename = pdf_filename_clean(name)
        try:
            # Messages name the file as the person chose it ("contrato.docx").
            info = pdf_inspect(content, filename=display_filename(name), field="documents")
        except PdfError as error:
            errors.append(error)
            continue
        file_id = uuid.uuid4().hex
        default_storage.save(_path(user_id, file_id), ContentFile(content))
        kept.append(StagedDocument(file_id, filename, info.sha256, info.size, info.page_count))
    return kept, errors


def staged_documents_token(*, user_id: int, documents: list[StagedDocument]) -> str:
    if not documents:
        return ""
    return signing.dumps(
        {
            "u": user_id,
            "f": [[d.id, d.filename, d.sha256, d.size, d.page_count] for d in documents],
        },
        salt=SALT,
        compress=True,
    )


def staged_documents_describe(*, user_id: int, token: str) -> list[StagedDocument]:
    """The documents a token names (empty when the token is absent, foreign or expired)."""
    if not token:
        return []
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return []
    if data.get("u") != user_id:
        return []
    documents = [StagedDocument(*entry) for entry in data.get("f", [])]
    return [d for d in documents if default_storage.exists(_path(user_id, d.id))]


def staged_documents_load(*, user_id: int, token: str) -> list[DocumentInput]:
    """The contents of the staged documents, checked against their recorded SHA-256."""
    loaded = []
    for document in staged_documents_describe(user_id=user_id, token=token):
        with default_storage.open(_path(user_id, document.id), "rb") as handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != document.sha256:
            logger.warning("staged document changed on disk", extra={"file_id": document.id})
            continue
        loaded.append(DocumentInput(filename=document.filename, content=content))
    return loaded


def staged_documents_discard(*, user_id: int, token: str) -> None:
    for document in staged_documents_describe(user_id=user_id, token=token):
        default_storage.delete(_path(user_id, document.id))
