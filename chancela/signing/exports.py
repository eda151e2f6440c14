"""CSV export of "Documentos em assinatura": exactly the rows the filters show, CPF masked.

Semicolon-separated with a UTF-8 BOM (what spreadsheet programs in Brazil open directly).
Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from chancela.core.people import cpf_mask
from chancela.signing.models import SignatureRequest

HEADER = [
    "Criada em",
    "Unidade",
    "Tipo de documento",
    "Título",
    "Aluno",
    "Signatários",
    "CPF dos signatários",
    "Situação",
    "Situação desde",
    "Ambiente",
    "Identificador externo",
    "Identificador Chancela",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _when(value: object) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""  # type: ignore[arg-type]


def csv_row(request: SignatureRequest) -> list[str]:
    signers = list(request.signers.all())
    return [
        _cell(value)
        for value in (
            _when(request.created_at),
            request.unit.name,
            request.document_type.name,
            request.title,
            request.student_name,
            ", ".join(signer.name for signer in signers),
            ", ".join(cpf_mask(signer.cpf) for signer in signers if signer.cpf),
            request.get_status_display(),
            _when(request.status_changed_at),
            "Sandbox (sem validade jurídica)" if request.is_sandbox else "Produção",
            request.external_id,
            request.public_id,
        )
    ]


def signature_requests_csv(requests: QuerySet[SignatureRequest]) -> Iterator[str]:
    """The CSV lines of the requests (already filtered and scoped), streamed in chunks."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(HEADER)
    yield from _rows(writer, requests.iterator(chunk_size=500))


def _rows(writer: csv._writer, requests: Iterable[SignatureRequest]) -> Iterator[str]:  # type: ignore[name-defined]
    for request in requests:
        yield writer.writerow(csv_row(request))
