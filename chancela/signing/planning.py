"""Who signs a request: the signer plan (checks, legal capacity, fixed signers). No writes.

``signature_request_plan`` works out who signs, in which group, with which Clicksign
qualification and authentications; the staff screen's preview shows it and
``signature_request_create`` (services) writes it. Every refusal is a ``SigningError`` whose
``field`` is the path of the offending input (``signers[1].cpf``, ``student.birth_date``...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from chancela.core.people import (
    cpf_is_valid,
    cpf_normalize,
    email_is_valid,
    name_is_complete,
    phone_is_valid,
    phone_normalize,
)
from chancela.esign.models import DocumentType, DocumentTypeSigner, SignatureConfig
from chancela.esign.selectors import config_for_unit
from chancela.institutions.models import Person, Unit
from chancela.signing.errors import SigningError
from chancela.signing.inputs import (
    CapacityOverride,
    GuardianInput,
    PartyInput,
    SignerInput,
    StudentInput,
    person_party,
)
from chancela.signing.models import CapacityRule, SignerChannel, SignerLabels, SignerRole
from chancela.signing.policy import policy_apply, policy_check_category
from chancela.signing.rules import (
    OVERRIDE_CHOICES,
    auths_for,
    capacity_decide,
    qualification_for,
)

MAX_SIGNERS = 50
_CHANNELS = frozenset(SignerChannel.values)  # (``.values`` builds a new list on every use)
MAX_GROUP = 20
GUARDIAN_ROLES = (SignerRole.GUARDIAN, SignerRole.FINANCIAL_GUARDIAN)


@dataclass
class PlannedSigner(SignerLabels):
    """One signer as the request will have it (before anything is written)."""

    name: str
    email: str
    cpf: str
    phone: str
    birth_date: date | None
    role: str
    qualification: str
    group: int
    channel: str
    auths: list[str]
    person: Person | None = None
    fixed_signer: DocumentTypeSigner | None = None
    # Input path of the signer (``signers[1]``, ``student``, ``guardians[0]``, ``document_type``)
    path: str = ""
    note: str = ""

    @property
    def role_label(self) -> str:
        return str(SignerRole(self.role).label)


@dataclass
class RequestPlan:
    signers: list[PlannedSigner]
    rule_code: str
    rule_text: str
    override_reason: str = ""
    student_name: str = ""
    student_person: Person | None = None
    # Why biometrics are requested from a minor (timeline), when they are.
    biometrics_note: str = ""
    # The normalised caller input (without the fixed signers): what idempotency compares.
    normalized_input: dict[str, Any] = field(default_factory=dict)


# --- context -------------------------------------------------------------------------------


def signature_request_check_context(*, unit: Unit, document_type: DocumentType) -> SignatureConfig:
    """The unit may send the document type now; returns the configuration it will use."""
    if not unit.active:
        raise SigningError("unit_inactive", f"A unidade “{unit.name}” está inativa.", "unit")
    if not document_type.units.filter(pk=unit.pk).exists():
        raise SigningError(
            "document_type_not_found",
            f"O tipo de documento “{document_type.code}” não é enviado pela unidade “{unit.name}”.",
            "document_type",
        )
    if not document_type.active:
        raise SigningError(
            "document_type_inactive",
            f"O tipo de documento “{document_type.name}” está inativo.",
            "document_type",
        )
    policy_check_category(document_type=document_type)
    config = document_type.config
    if not config.active:
        raise SigningError(
            "config_inactive",
            f"A configuração de assinatura “{config.name}”, usada pelo tipo de documento "
            f"“{document_type.name}”, está inativa. Peça ao TI para apontar o tipo de documento "
            "para uma configuração ativa.",
            "document_type",
        )
    if not config_for_unit(unit=unit).filter(pk=config.pk).exists():
        raise SigningError(
            "config_not_for_unit",
            f"A configuração de assinatura “{config.name}” não atende a unidade “{unit.name}” "
            "(veja o compartilhamento das configurações).",
            "document_type",
        )
    return config


# --- people --------------------------------------------------------------------------------


def _clean_party(party: PartyInput, path: str, *, email_required: bool = True) -> dict[str, Any]:
    name = " ".join((party.name or "").split())
    if not name:
        raise SigningError("name_required", "Informe o nome completo.", f"{path}.name")
    if not name_is_complete(name) or len(name) > 200:
        raise SigningError(
            "name_incomplete",
            f"“{name[:60]}” não é um nome completo: informe nome e sobrenome, sem números "
            "(a Clicksign exige ao menos duas palavras).",
            f"{path}.name",
        )
    email = (party.email or "").strip().lower()
    if not email and email_required:
        raise SigningError(
            "email_required",
            f"Informe o e-mail de {name}: o convite e o token de autenticação vão para ele.",
            f"{path}.email",
        )
    if email and not email_is_valid(email):
        raise SigningError(
            "email_invalid", f"O e-mail “{email[:80]}” de {name} é inválido.", f"{path}.email"
        )
    cpf = cpf_normalize(party.cpf)
    if (party.cpf or "").strip() and not cpf_is_valid(cpf):
        raise SigningError(
            "cpf_invalid",
            f"O CPF de {name} é inválido: confira os dígitos verificadores.",
            f"{path}.cpf",
        )
    phone = phone_normalize(party.phone)
    if (party.phone or "").strip() and not phone_is_valid(phone):
        raise SigningError(
            "phone_invalid",
            f"O telefone de {name} é inválido: informe DDD e número, por exemplo (11) 98765-4321.",
            f"{path}.phone",
        )
    if party.channel not in _CHANNELS:
        raise SigningError(
            "channel_invalid", "Use o canal email, sms ou whatsapp.", f"{path}.channel"
        )
    if party.channel != SignerChannel.EMAIL:
        label = SignerChannel(party.channel).label
        if not phone:
            raise SigningError(
                "phone_required",
                f"{name} deve receber o token por {label}, mas não tem telefone: informe o "
                "celular ou use o e-mail.",
                f"{path}.phone",
            )
        if len(phone) != 11:
            raise SigningError(
                "phone_not_mobile",
                f"{name} deve receber o token por {label}, mas o telefone informado é fixo: "
                "informe um celular.",
                f"{path}.phone",
            )
    if not 1 <= party.group <= MAX_GROUP:
        raise SigningError(
            "group_invalid",
            f"O grupo de assinatura vai de 1 a {MAX_GROUP}.",
            f"{path}.group",
        )
    if party.birth_date and party.birth_date > timezone.localdate():
        raise SigningError(
            "birth_date_future",
            f"A data de nascimento de {name} está no futuro.",
            f"{path}.birth_date",
        )
    return {
        "name": name,
        "email": email,
        "cpf": cpf,
        "phone": phone,
        "birth_date": party.birth_date,
        "channel": party.channel,
        "group": party.group,
        "person": party.person,
    }


def _planned(
    cleaned: dict[str, Any],
    *,
    role: str,
    document_type: DocumentType,
    config: SignatureConfig,
    path: str,
    note: str = "",
    fixed_signer: DocumentTypeSigner | None = None,
) -> PlannedSigner:
    return PlannedSigner(
        **cleaned,
        role=role,
        qualification=qualification_for(role, student_contracts=document_type.student_contracts),
        auths=auths_for(config=config, channel=cleaned["channel"]),
        path=path,
        note=note,
        fixed_signer=fixed_signer,
    )


def _normalized(cleaned: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {k: v for k, v in cleaned.items() if k != "person"}
    data["birth_date"] = data["birth_date"].isoformat() if data["birth_date"] else None
    data["person"] = str(cleaned["person"].public_id) if cleaned["person"] else None
    data.update(extra)
    return data


def _explicit_signers(
    signers: Sequence[SignerInput],
    *,
    document_type: DocumentType,
    config: SignatureConfig,
) -> tuple[list[PlannedSigner], list[dict[str, Any]]]:
    planned, normalized = [], []
    for index, signer in enumerate(signers):
        path = f"signers[{index}]"
        if signer.role not in SignerRole.values:
            raise SigningError(
                "role_invalid",
                "Papel inválido. Use: " + ", ".join(SignerRole.values) + ".",
                f"{path}.role",
            )
        cleaned = _clean_party(signer, path)
        planned.append(
            _planned(
                cleaned, role=signer.role, document_type=document_type, config=config, path=path
            )
        )
        normalized.append(_normalized(cleaned, role=signer.role))
    return planned, normalized


def _student_signers(
    *,
    student: StudentInput,
    guardians: Sequence[GuardianInput],
    override: CapacityOverride | None,
    document_type: DocumentType,
    config: SignatureConfig,
    on: date,
) -> tuple[list[PlannedSigner], str, str, str, dict[str, Any]]:
    """Signers of a student + guardians block, by legal capacity (or the override)."""
    if student.birth_date is None:
        raise SigningError(
            "student_birth_date_required",
            "Informe a data de nascimento do aluno: ela decide quem assina (capacidade civil).",
            "student.birth_date",
        )
    guardian_cleans = []
    for index, guardian in enumerate(guardians):
        path = f"guardians[{index}]"
        if guardian.role not in GUARDIAN_ROLES:
            raise SigningError(
                "role_invalid",
                "Papel inválido para um responsável. Use guardian ou financial_guardian.",
                f"{path}.role",
            )
        guardian_cleans.append((guardian.role, _clean_party(guardian, path), path))

    decision = capacity_decide(
        birth_date=student.birth_date,
        emancipated=student.emancipated,
        on=on,
        guardian_count=max(len(guardians), 1),
    )
    if student.emancipated and decision.age < 16:
        raise SigningError(
            "emancipated_under_16",
            f"O aluno tem {decision.age} anos: a emancipação só é possível a partir dos 16 "
            "anos. Confira a data de nascimento ou a marcação de emancipado.",
            "student.emancipated",
        )
    student_signs, guardians_sign = decision.student_signs, decision.guardians_sign
    rule_code, rule_text, reason = decision.code, decision.text, ""
    if override is not None:
        if override.signers not in OVERRIDE_CHOICES:
            raise SigningError(
                "capacity_override_invalid",
                "Use student, guardians ou both para dizer quem assina.",
                "capacity_override.signers",
            )
        reason = " ".join((override.reason or "").split())
        if len(reason) < 5:
            raise SigningError(
                "capacity_override_reason_required",
                "Explique o motivo de não seguir a regra de capacidade civil: ele fica "
                "registrado na solicitação.",
                "capacity_override.reason",
            )
        if len(reason) > 300:
            raise SigningError(
                "capacity_override_reason_too_long",
                "O motivo pode ter no máximo 300 caracteres.",
                "capacity_override.reason",
            )
        student_signs = override.signers in ("student", "both")
        guardians_sign = override.signers in ("guardians", "both")
        rule_code = CapacityRule.OVERRIDE
        rule_text = (
            f"Regra substituída pela equipe: {OVERRIDE_CHOICES[override.signers]}. "
            f"Motivo: {reason} (Regra sugerida: {decision.text})"
        )

    # The student's e-mail is needed only when the student signs (under 16 he does not).
    student_clean = _clean_party(student, "student", email_required=student_signs)
    signing_guardians = [
        (role, cleaned, path)
        for role, cleaned, path in guardian_cleans
        if guardians_sign or role == SignerRole.FINANCIAL_GUARDIAN
    ]
    if guardians_sign and not signing_guardians:
        raise SigningError(
            "guardian_required",
            f"Aluno com {decision.age} anos: informe ao menos um responsável, que assina "
            + ("por ele." if not student_signs else "com ele."),
            "guardians",
        )
    if rule_code != CapacityRule.OVERRIDE:
        if any(role == SignerRole.FINANCIAL_GUARDIAN for role, _, _ in signing_guardians):
            rule_text += " O responsável financeiro assina como contratante."
        if not guardians_sign and any(
            role == SignerRole.GUARDIAN for role, _, _ in guardian_cleans
        ):
            rule_text += " O responsável legal informado não assina."

    planned = []
    if student_signs:
        planned.append(
            _planned(
                student_clean,
                role=SignerRole.STUDENT,
                document_type=document_type,
                config=config,
                path="student",
            )
        )
    for role, cleaned, path in signing_guardians:
        note = ""
        if role == SignerRole.GUARDIAN:
            note = "representa o aluno" if not student_signs else "assiste o aluno"
        planned.append(
            _planned(
                cleaned,
                role=role,
                document_type=document_type,
                config=config,
                path=path,
                note=note,
            )
        )
    normalized = {
        "student": _normalized(student_clean, emancipated=student.emancipated),
        "guardians": [_normalized(c, role=role) for role, c, _ in guardian_cleans],
        "capacity_override": (
            {"signers": override.signers, "reason": reason} if override is not None else None
        ),
    }
    return planned, rule_code, rule_text[:600], reason, normalized


def _fixed_signers(
    *, unit: Unit, document_type: DocumentType, config: SignatureConfig
) -> list[PlannedSigner]:
    """The document type's own signers (institution, witnesses) for requests of this unit."""
    planned = []
    rows = (
        DocumentTypeSigner.objects.filter(document_type=document_type, person__unit=unit)
        .select_related("person", "delegate")
        .order_by("group", "id")
    )
    for row in rows:
        person = row.signing_person
        note = f"no lugar de {row.person.name} (substituição)" if person != row.person else ""
        party = PartyInput(**person_party(person), group=row.group)
        try:
            cleaned = _clean_party(party, "document_type")
        except SigningError as error:
            raise SigningError(
                "fixed_signer_incomplete",
                f"O tipo de documento “{document_type.name}” pede a assinatura de {person.name} "
                f"({row.get_role_display()}), mas o cadastro dessa pessoa tem um problema: "
                f"{error.message} Corrija o cadastro ou os signatários do tipo de documento.",
                "document_type",
            ) from error
        planned.append(
            _planned(
                cleaned,
                role=row.role,
                document_type=document_type,
                config=config,
                path="document_type",
                note=note,
                fixed_signer=row,
            )
        )
    return planned


def _refuse_duplicates(signers: list[PlannedSigner]) -> None:
    emails: dict[str, PlannedSigner] = {}
    cpfs: dict[str, PlannedSigner] = {}
    for signer in signers:
        first = emails.get(signer.email)
        if first is None and signer.cpf:
            first = cpfs.get(signer.cpf)
        if first is not None:
            # Point at the caller's input rather than at the document type's fixed signer.
            path = signer.path if signer.path != "document_type" else first.path
            raise SigningError(
                "duplicate_signer",
                f"{signer.name} e {first.name} têm o mesmo e-mail ou CPF. Cada signatário "
                "precisa de e-mail e CPF próprios: o token de autenticação vai para o e-mail "
                "de quem assina.",
                f"{path}.email" if path != "document_type" else path,
            )
        emails[signer.email] = signer
        if signer.cpf:
            cpfs[signer.cpf] = signer


@dataclass(frozen=True)
class PlanContext:
    """What every plan of one (unit, document type) shares: its configuration, fixed signers.

    Computed once by ``signature_request_plan_context`` when many plans are made in a row (the
    pre-flight of a batch); ``signature_request_plan`` computes it itself otherwise.
    """

    unit_id: int
    document_type_id: int
    config: SignatureConfig
    fixed_signers: tuple[PlannedSigner, ...]


def signature_request_plan_context(*, unit: Unit, document_type: DocumentType) -> PlanContext:
    config = signature_request_check_context(unit=unit, document_type=document_type)
    fixed = _fixed_signers(unit=unit, document_type=document_type, config=config)
    return PlanContext(unit.pk, document_type.pk, config, tuple(fixed))


def signature_request_plan(
    *,
    unit: Unit,
    document_type: DocumentType,
    signers: Sequence[SignerInput] | None = None,
    student: StudentInput | None = None,
    guardians: Sequence[GuardianInput] = (),
    capacity_override: CapacityOverride | None = None,
    on: date | None = None,
    context: PlanContext | None = None,
    biometrics_justification: str = "",
) -> RequestPlan:
    """Who signs, in which group, with which qualification and authentications. No writes.

    Give either ``signers`` (explicit list) or ``student`` (+ ``guardians``, optional
    ``capacity_override``), whose signers follow legal capacity on ``on`` (default: today in
    the institution's time zone). The document type's fixed signers are added for the unit.
    ``context`` (from ``signature_request_plan_context`` for the same unit and type) spares
    the queries that every plan of a batch shares.
    """
    if context is None or (context.unit_id, context.document_type_id) != (
        unit.pk,
        document_type.pk,
    ):
        context = signature_request_plan_context(unit=unit, document_type=document_type)
    config = context.config
    on = on or timezone.localdate()
    if signers and student is not None:
        raise SigningError(
            "signers_and_student",
            "Use a lista de signatários (signers) ou o bloco do aluno (student + guardians), "
            "não os dois.",
            "signers",
        )
    if student is None and guardians:
        raise SigningError(
            "guardians_without_student",
            "Responsáveis (guardians) só valem junto com o aluno (student).",
            "guardians",
        )
    if student is None and capacity_override is not None:
        raise SigningError(
            "capacity_override_without_student",
            "A substituição da regra de capacidade civil só vale junto com o aluno (student).",
            "capacity_override",
        )
    normalized: dict[str, Any]
    if student is not None:
        planned, rule_code, rule_text, reason, normalized = _student_signers(
            student=student,
            guardians=guardians,
            override=capacity_override,
            document_type=document_type,
            config=config,
            on=on,
        )
        student_name = " ".join(student.name.split())
        student_person = student.person
    else:
        planned, normalized_signers = _explicit_signers(
            signers or (), document_type=document_type, config=config
        )
        normalized = {"signers": normalized_signers}
        rule_code = CapacityRule.EXPLICIT
        rule_text = "Signatários informados diretamente (sem aplicar a regra de capacidade civil)."
        reason, student_name, student_person = "", "", None
        students = [p for p in planned if p.role == SignerRole.STUDENT]
        if len(students) == 1:
            student_name, student_person = students[0].name, students[0].person

    planned += context.fixed_signers
    if not planned:
        raise SigningError(
            "signers_required",
            "Informe quem assina: a lista de signatários (signers) ou o aluno (student) com os "
            "responsáveis.",
            "signers",
        )
    if len(planned) > MAX_SIGNERS:
        raise SigningError(
            "too_many_signers", f"No máximo {MAX_SIGNERS} signatários por solicitação.", "signers"
        )
    _refuse_duplicates(planned)
    planned.sort(key=lambda s: s.group)  # stable: keeps the input order inside a group
    justification = " ".join((biometrics_justification or "").split())
    if len(justification) > 1000:
        raise SigningError(
            "biometrics_justification_too_long",
            "A justificativa pode ter no máximo 1000 caracteres.",
            "biometrics_justification",
        )
    outcome = policy_apply(
        document_type=document_type,
        signers=planned,
        on=on,
        biometrics_justification=justification,
    )
    if justification:
        normalized["biometrics_justification"] = justification
    return RequestPlan(
        signers=outcome.signers,
        biometrics_note=outcome.biometrics_note,
        rule_code=rule_code,
        rule_text=rule_text,
        override_reason=reason,
        student_name=student_name,
        student_person=student_person,
        normalized_input=normalized,
    )
