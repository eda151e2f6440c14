"""PDF checks for documents sent to signature: PDF only, readable, not encrypted, no active content.

The policy (ASVS 5.0 V5.1.1/V5.2.x, Clicksign's limits):
- at most 10 MiB per file and 100 MiB per request (Clicksign: 10 MB per file, 100 MB per
  envelope; the emulator counts MiB, so do we);
- the content decides, never the name or a Content-Type: it must start with ``%PDF-``, end with
  an ``%%EOF`` marker (a truncated upload does not), and parse with pypdf with at least one page;
- encrypted PDFs (user *or* owner password) are refused: Clicksign cannot stamp them;
- active content is refused: JavaScript anywhere (``/JS``, the ``/JavaScript`` name tree, actions
  of type ``/JavaScript`` reached from ``/OpenAction``, ``/AA`` or annotations), ``/Launch``
  actions, rich media, XFA forms, and embedded files (``/EmbeddedFiles``, file-attachment
  annotations) — a signed academic document has no reason to carry any of them.

The object graph is walked iteratively from the trailer (so a deep or cyclic PDF cannot exhaust
the stack), with a cap on the number of objects visited.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from chancela.core.errors import DomainError

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_REQUEST_BYTES = 100 * 1024 * 1024
# Objects visited while looking for active content; real academic PDFs stay far below it.
MAX_OBJECTS = 300_000
PDF_MAGIC = b"%PDF-"
EOF_MARKER = b"%%EOF"
EOF_WINDOW = 8192

ACTIVE_ACTION_TYPES = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/RichMediaExecute": "active",
}


class PdfError(DomainError):
    """A file that is not an acceptable PDF for signature."""


@dataclass(frozen=True)
class PdfInfo:
    sha256: str
    size: int
    page_count: int


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


_UNSAFE_FILENAME = re.compile(r"[^\w\-. ()\[\]]+", re.UNICODE)


def pdf_filename_clean(filename: str) -> str:
    """A safe display/upload name: no path, no control characters, ends in ``.pdf``.

    The name is metadata only (files are stored under server-generated names); Clicksign wants
    an extension it accepts, so ``.pdf`` is added when missing.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_FILENAME.sub("_", name).strip(" ._")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip(" ._")[:150] or "documento"
    return f"{stem}.pdf"


def _error(code: str, message: str, field: str | None) -> PdfError:
    return PdfError(code, message, field)


def pdf_check_size(size: int, *, filename: str, field: str | None = None) -> None:
    if size == 0:
        raise _error("pdf_empty", f"O arquivo “{filename}” está vazio.", field)
    if size > MAX_DOCUMENT_BYTES:
        raise _error(
            "pdf_too_large",
            f"O arquivo “{filename}” tem {human_size(size)}; o limite da Clicksign é "
            f"{human_size(MAX_DOCUMENT_BYTES)} por documento. Reduza o arquivo (por exemplo, "
            "diminuindo a resolução das imagens) e envie de novo.",
            field,
        )


def pdf_check_total(total: int, *, field: str | None = None) -> None:
    if total > MAX_REQUEST_BYTES:
        raise _error(
            "request_too_large",
            f"Os documentos somam {human_size(total)}; o limite da Clicksign é "
            f"{human_size(MAX_REQUEST_BYTES)} por solicitação. Divida-os em mais de uma "
            "solicitação.",
            field,
        )


def _active_content(reader: Any) -> str | None:
    """The first kind of active content found in the PDF, or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack: list[Any] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            return "too_complex"
        if isinstance(obj, DictionaryObject):
            keys = set(obj.keys())
            if "/JS" in keys or "/JavaScript" in keys:
                return "javascript"
            if "/EmbeddedFiles" in keys or "/EmbeddedFile" in keys:
                return "embedded_file"
            if "/XFA" in keys:
                return "active"
            kind = ACTIVE_ACTION_TYPES.get(str(obj.get("/S", "")))
            if kind:
                return kind
            subtype = str(obj.get("/Subtype", ""))
            if subtype == "/FileAttachment" or str(obj.get("/Type", "")) == "/EmbeddedFile":
                return "embedded_file"
            if subtype in ("/RichMedia", "/Movie", "/Sound", "/Screen"):
                return "active"
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


ACTIVE_CONTENT_MESSAGES = {
    "javascript": (
        "pdf_javascript",
        "O arquivo “{name}” contém JavaScript (código que roda ao abrir o documento), o que não "
        "é aceito. Gere o PDF de novo sem scripts — por exemplo, com “Imprimir como PDF”.",
    ),
    "launch": (
        "pdf_launch_action",
        "O arquivo “{name}” tenta abrir outros programas ou arquivos (ação “Launch”), o que não "
        "é aceito. Gere o PDF de novo, por exemplo com “Imprimir como PDF”.",
    ),
    "embedded_file": (
        "pdf_embedded_file",
        "O arquivo “{name}” traz outros arquivos anexados dentro do PDF, o que não é aceito. "
        "Envie cada documento como um PDF separado, sem anexos.",
    ),
    "active": (
        "pdf_active_content",
        "O arquivo “{name}” tem conteúdo dinâmico (formulário XFA, vídeo, som ou mídia "
        "interativa), o que não é aceito. Gere o PDF de novo, por exemplo com “Imprimir como PDF”.",
    ),
    "too_complex": (
        "pdf_too_complex",
        "O arquivo “{name}” é complexo demais para ser verificado. Gere o PDF de novo, por "
        "exemplo com “Imprimir como PDF”.",
    ),
}


def pdf_inspect(data: bytes, *, filename: str, field: str | None = None) -> PdfInfo:
    """Check one file against the policy above; return its SHA-256, size and page count.

    Raises :class:`PdfError` (code, Portuguese message naming the file, ``field``) otherwise.
    """
    pdf_check_size(len(data), filename=filename, field=field)
    if not data.startswith(PDF_MAGIC):
        raise _error(
            "pdf_not_pdf",
            f"O arquivo “{filename}” não é um PDF (o conteúdo não começa com %PDF-, seja qual "
            "for a extensão do nome). Envie o documento em PDF.",
            field,
        )
    if EOF_MARKER not in data[-EOF_WINDOW:]:
        raise _error(
            "pdf_truncated",
            f"O arquivo “{filename}” parece incompleto (o PDF não termina com %%EOF). "
            "Baixe ou gere o arquivo de novo.",
            field,
        )
    from pypdf import PdfReader

    # pypdf logs every oddity of a malformed file as a warning; the user gets our message.
    pypdf_logger = logging.getLogger("pypdf")
    previous_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _error(
                "pdf_encrypted",
                f"O arquivo “{filename}” está protegido por senha ou criptografado. Envie uma "
                "versão sem proteção (sem senha de abertura nem restrições de edição).",
                field,
            )
        page_count = len(reader.pages)
        active = _active_content(reader)
    except PdfError:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise _error(
            "pdf_unreadable",
            f"O arquivo “{filename}” está corrompido ou não pôde ser lido como PDF. Gere o "
            "arquivo de novo.",
            field,
        ) from exc
    finally:
        pypdf_logger.setLevel(previous_level)
    if page_count < 1:
        raise _error("pdf_no_pages", f"O arquivo “{filename}” não tem páginas.", field)
    if active:
        code, message = ACTIVE_CONTENT_MESSAGES[active]
        raise _error(code, message.format(name=filename), field)
    return PdfInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), page_count=page_count)
