"""What a download of a request's files is called and carries, for staff and the host API alike.

A sandbox request is never legally valid: its signed PDF is named
``<name>-assinado-SANDBOX-sem-validade-juridica.pdf`` and every response serving it carries
``X-Chancela-Legal-Validity: none-sandbox``, wherever it is downloaded from.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

from chancela.signing.models import Document, SignatureRequest

LEGAL_VALIDITY_HEADER = "X-Chancela-Legal-Validity"
SANDBOX_SUFFIX = "-SANDBOX-sem-validade-juridica"

ORIGINAL = "original"
SIGNED = "assinado"


def legal_validity(request: SignatureRequest) -> str:
    return "none-sandbox" if request.is_sandbox else "production"


def document_stem(document: Document) -> str:
    name = document.filename
    return name[:-4] if name.lower().endswith(".pdf") else name


def document_download_name(document: Document, kind: str) -> str:
    """The file name of the original or the signed PDF of a document."""
    stem = document_stem(document)
    if kind == ORIGINAL:
        return f"{stem}.pdf"
    suffix = SANDBOX_SUFFIX if document.request.is_sandbox else ""
    return f"{stem}-assinado{suffix}.pdf"


def request_zip_name(request: SignatureRequest) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", request.title).strip("-")[:60] or "documentos"
    suffix = SANDBOX_SUFFIX if request.is_sandbox else ""
    return f"{slug}-{str(request.public_id)[:8]}{suffix}.zip"


def request_zip_build(
    request: SignatureRequest, *, kinds: Iterable[str] = (ORIGINAL, SIGNED)
) -> bytes:
    """A ZIP of the request's originals and the signed PDFs already archived.

    Two documents with the same file name get their position as a prefix so none is lost.
    """
    wanted = set(kinds)
    buffer = io.BytesIO()
    documents = list(request.documents.all())
    names = [document_stem(d) for d in documents]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            prefix = (
                f"{document.position + 1:02d}-" if names.count(document_stem(document)) > 1 else ""
            )
            if ORIGINAL in wanted and document.original_file:
                with document.original_file.open("rb") as stored:
                    archive.writestr(
                        f"originais/{prefix}{document_download_name(document, ORIGINAL)}",
                        stored.read(),
                    )
            if SIGNED in wanted and document.signed_file:
                with document.signed_file.open("rb") as stored:
                    archive.writestr(
                        f"assinados/{prefix}{document_download_name(document, SIGNED)}",
                        stored.read(),
                    )
        if request.is_sandbox:
            archive.writestr(
                "LEIA-ME-SANDBOX.txt",
                "Documentos enviados com uma configuração Sandbox (homologação) da Clicksign: "
                "SEM VALIDADE JURÍDICA.\n",
            )
    return buffer.getvalue()
