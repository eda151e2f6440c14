"""LGPD art. 18: everything Chancela holds about one person (by CPF), and erasing the excess.

``data_subject_report`` (a selector) gathers, within the units the user may see only, every
registration of the person (the unit's people, signer registrations), every request where he
is a signer or the student, his role, the documents and his signature events, and the batch
rows that carry his CPF. Raw Clicksign callbacks are encrypted and are not searchable by CPF:
the report counts those tied to the requests found and says how long they are kept.

``data_subject_anonymise`` removes what has no legal basis to be kept (LGPD art. 16): his
signer data on requests that ended without signatures (withdrawn, refused, expired, failed),
batch rows that carry his CPF, and his signer registrations (a cache of Clicksign signer ids).
Signed requests stay (contract and legal defence, art. 7 V and VI; anonymised by retention),
requests in progress stay (the contract is being formed), and the unit's people come from the
academic system (corrected there).

Both write a ``PrivacyAuditEntry`` (the CPF's SHA-256 and its masked form, never the CPF).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chancela.core.people import cpf_format, cpf_is_valid, cpf_mask, cpf_normalize
from chancela.esign.models import SignerRegistration
from chancela.institutions.models import Person, Unit
from chancela.institutions.selectors import units_visible_to
from chancela.signing.errors import SigningError
from chancela.signing.models import (
    TERMINAL_STATUSES,
    PrivacyAuditEntry,
    RequestEvent,
    RequestStatus,
    SignatureRequest,
    Signer,
)

BATCH_CPF_KEYS = ("student_cpf", "guardian_cpf", "financial_cpf")
BATCH_ROLE = {
    "student_cpf": "Aluno",
    "guardian_cpf": "Responsável",
    "financial_cpf": "Responsável financeiro",
}


@dataclass
class DataSubjectReport:
    cpf: str
    units: list[Unit]
    people: list[Person] = field(default_factory=list)
    registrations: list[SignerRegistration] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    student_requests: list[SignatureRequest] = field(default_factory=list)
    batch_rows: list[Any] = field(default_factory=list)
    callbacks: int = 0

    @property
    def cpf_masked(self) -> str:
        return cpf_mask(self.cpf)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "cadastros": len(self.people),
            "registros_signatario": len(self.registrations),
            "assinaturas": len(self.signers),
            "solicitacoes_como_aluno": len(self.student_requests),
            "linhas_de_lote": len(self.batch_rows),
            "retornos_brutos": self.callbacks,
        }

    @property
    def erasable_signers(self) -> list[Signer]:
        return [s for s in self.signers if _erasable(s.request)]

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def _erasable(request: SignatureRequest) -> bool:
    return request.status in TERMINAL_STATUSES and request.status != RequestStatus.SIGNED


def legal_basis_label(request: SignatureRequest) -> str:
    """Why a request's data is kept, or that it may be erased (shown in the report)."""
    if request.status == RequestStatus.SIGNED:
        return (
            "Mantido: documento assinado (execução de contrato e defesa em processo, "
            "LGPD art. 7 V e VI)"
        )
    if request.status not in TERMINAL_STATUSES:
        return "Mantido: assinatura em andamento (execução de contrato, LGPD art. 7 V)"
    return "Sem base legal para manter: pode ser anonimizado"


def cpf_clean(value: str) -> str:
    cpf = cpf_normalize(value)
    if not cpf_is_valid(cpf):
        raise SigningError("cpf_invalid", "CPF inválido: confira os dígitos verificadores.", "cpf")
    return cpf


def _batch_rows(cpf: str, units: QuerySet[Unit]) -> list[Any]:
    from chancela.batches.models import BatchRow

    forms = [cpf, cpf_format(cpf)]
    match = Q()
    for key in BATCH_CPF_KEYS:
        match |= Q(**{f"data__{key}__in": forms})
    rows = list(
        BatchRow.objects.filter(match, unit__in=units, anonymised_at__isnull=True)
        .select_related("batch__document_type", "unit")
        .order_by("batch__created_at", "line")
    )
    for row in rows:
        row.roles_label = ", ".join(  # type: ignore[attr-defined]
            BATCH_ROLE[k] for k in BATCH_CPF_KEYS if cpf_normalize(row.data.get(k)) == cpf
        )
    return rows


def data_subject_report(*, user: Any, cpf: str) -> DataSubjectReport:
    """Everything held about ``cpf`` in the user's units (a selector: nothing outside them)."""
    cpf = cpf_clean(cpf)
    from chancela.callbacks.models import InboundCallback

    units = units_visible_to(user=user)
    signers = list(
        Signer.objects.filter(cpf=cpf, request__unit__in=units)
        .select_related("request__unit", "request__document_type")
        .prefetch_related("request__documents")
        .order_by("request__created_at", "pk")
    )
    student_requests = list(
        SignatureRequest.objects.filter(student_person__cpf=cpf, unit__in=units)
        .exclude(signers__cpf=cpf)
        .select_related("unit", "document_type")
        .prefetch_related("documents")
        .order_by("created_at")
    )
    request_ids = {s.request_id for s in signers} | {r.pk for r in student_requests}
    return DataSubjectReport(
        cpf=cpf,
        units=list(units.order_by("name")),
        people=list(
            Person.objects.filter(cpf=cpf, unit__in=units).select_related("unit").order_by("pk")
        ),
        registrations=list(
            SignerRegistration.objects.filter(cpf=cpf, unit__in=units)
            .select_related("config", "unit")
            .order_by("pk")
        ),
        signers=signers,
        student_requests=student_requests,
        batch_rows=_batch_rows(cpf, units),
        callbacks=InboundCallback.objects.filter(request_id__in=request_ids).count(),
    )


def _audit(*, user: Any, action: str, report: DataSubjectReport, counts: dict[str, int]) -> None:
    PrivacyAuditEntry.objects.create(
        actor=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        cpf_sha256=hashlib.sha256(report.cpf.encode()).hexdigest(),
        cpf_masked=report.cpf_masked,
        unit_codes=[unit.code for unit in report.units],
        counts=counts,
    )


def data_subject_report_audit(*, user: Any, report: DataSubjectReport, export: bool) -> None:
    action = PrivacyAuditEntry.Action.REPORT_EXPORT if export else PrivacyAuditEntry.Action.REPORT
    _audit(user=user, action=action, report=report, counts=report.counts)


def data_subject_report_csv(report: DataSubjectReport) -> bytes:
    """The report as CSV (``;``, UTF-8 with BOM, Portuguese headers): one line per item."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["categoria", "unidade", "referência", "papel", "situação", "data", "detalhes"])
    for person in report.people:
        writer.writerow(
            [
                "Cadastro de pessoa",
                person.unit.name,
                person.code,
                "",
                "emancipado" if person.emancipated else "",
                person.birth_date.isoformat() if person.birth_date else "",
                f"{person.name}; {person.email}; {person.phone}",
            ]
        )
    for registration in report.registrations:
        writer.writerow(
            [
                "Registro de signatário (Clicksign)",
                registration.unit.name,
                registration.config.name,
                "",
                "",
                registration.last_used_at.isoformat(),
                f"{registration.name}; {registration.email}; {registration.phone}",
            ]
        )
    for signer in report.signers:
        request = signer.request
        documents = ", ".join(
            f"{d.filename} (SHA-256 {d.signed_sha256 or d.original_sha256})"
            for d in request.documents.all()
        )
        when = signer.signed_at or signer.refused_at
        writer.writerow(
            [
                "Signatário de solicitação",
                request.unit.name,
                f"{request.document_type.name} {request.public_id}",
                signer.get_role_display(),
                f"{request.get_status_display()} / {signer.get_status_display()}",
                when.isoformat() if when else request.created_at.isoformat(),
                f"{signer.name}; {signer.email}; {signer.phone}; autenticações "
                f"{', '.join(signer.signed_auths or signer.auths)}; documentos: {documents}",
            ]
        )
    for request in report.student_requests:
        writer.writerow(
            [
                "Aluno de solicitação (não assina)",
                request.unit.name,
                f"{request.document_type.name} {request.public_id}",
                "Aluno",
                request.get_status_display(),
                request.created_at.isoformat(),
                request.student_name,
            ]
        )
    for row in report.batch_rows:
        writer.writerow(
            [
                "Linha de lote",
                row.unit.name,
                f"{row.batch.title} linha {row.line}",
                row.roles_label,
                row.get_state_display(),
                row.batch.created_at.isoformat(),
                "; ".join(f"{k}={v}" for k, v in sorted(row.data.items()) if v),
            ]
        )
    if report.callbacks:
        writer.writerow(
            ["Retornos brutos da Clicksign", "", "", "", "", "", f"{report.callbacks} registro(s)"]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def data_subject_anonymise(*, user: Any, cpf: str) -> dict[str, int]:
    """Anonymise what has no legal basis to be kept about ``cpf`` in the user's units."""
    from chancela.signing.retention import batch_rows_anonymise, signers_anonymise

    report = data_subject_report(user=user, cpf=cpf)
    signers = report.erasable_signers
    now = timezone.now()
    with transaction.atomic():
        signers_anonymise(Signer.objects.filter(pk__in=[s.pk for s in signers]))
        for request_id in sorted({s.request_id for s in signers}):
            RequestEvent.objects.create(
                request_id=request_id,
                source=RequestEvent.Source.STAFF,
                kind="data_subject_anonymised",
                message="Dados de um signatário anonimizados a pedido do titular (LGPD art. 18).",
                actor=user if getattr(user, "is_authenticated", False) else None,
                at=now,
            )
        registrations, _ = SignerRegistration.objects.filter(
            pk__in=[r.pk for r in report.registrations]
        ).delete()
    from chancela.batches.models import BatchStatus

    rows = batch_rows_anonymise(
        pks=[r.pk for r in report.batch_rows if r.batch.status != BatchStatus.RUNNING]
    )
    counts = {
        "assinaturas": len(signers),
        "registros_signatario": registrations,
        "linhas_de_lote": rows,
    }
    _audit(user=user, action=PrivacyAuditEntry.Action.ANONYMISE, report=report, counts=counts)
    return counts
