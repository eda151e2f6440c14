"""CSV export of "Documentos em assinatura": exactly the rows the filters show, CPF masked.

Written by :mod:`chancela.core.csvexport` (semicolons, UTF-8 BOM, formula cells neutralised).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from chancela.core.csvexport import csv_lines
from chancela.core.people import cpf_mask
from chancela.signing.models import RequestStatus, SignatureRequest


def _status_labels() -> dict[str, str]:
    # Resolved once per export: a lazy label per row costs more than the rest of the row.
    return {str(value): str(label) for value, label in RequestStatus.choices}


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


def _when(value: object) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""  # type: ignore[arg-type]


def csv_row(request: SignatureRequest, labels: dict[str, str] | None = None) -> list[str]:
    labels = labels if labels is not None else _status_labels()
    signers = list(request.signers.all())
    return [
        str(value)
        for value in (
            _when(request.created_at),
            request.unit.name,
            request.document_type.name,
            request.title,
            request.student_name,
            ", ".join(signer.name for signer in signers),
            ", ".join(cpf_mask(signer.cpf) for signer in signers if signer.cpf),
            labels.get(request.status, request.status),
            _when(request.status_changed_at),
            "Sandbox (sem validade jurídica)" if request.is_sandbox else "Produção",
            request.external_id,
            request.public_id,
        )
    ]


def signature_requests_csv(requests: QuerySet[SignatureRequest]) -> Iterator[str]:
    """The CSV lines of the requests (already filtered and scoped), streamed in chunks."""
    # Only what the CSV shows: not the configuration (its token would be decrypted per row).
    rows = (
        requests.select_related(None)
        .select_related("unit", "document_type")
        .prefetch_related(None)
        .prefetch_related("signers")
    )
    yield from csv_lines(HEADER, _rows(rows.iterator(chunk_size=1000)))


def _rows(requests: Iterable[SignatureRequest]) -> Iterator[list[str]]:
    labels = _status_labels()
    for request in requests:
        yield csv_row(request, labels)
