"""The signature policy of a document type: one check for the screen, the API and batches.

A document type states its legal minimum (``DocumentType`` fields, edited on its screen):

- legal category (``legal_category``): "exige ICP-Brasil" is never sent through Clicksign;
  refused, citing ``legal_basis``;
- minimum authentications (``required_auths``): added to every signer;
- required roles (``required_roles``) and witnesses (``min_witnesses``): refused when missing;
- signing order (``signing_order``): ordered gives each signer a group of his own, in the
  plan's order; parallel refuses signers spread over several groups;
- maximum deadline (``max_deadline_days``): refused beyond it;
- biometrics of minors: selfie or official document from a signer under 18 needs a
  justification (the request's, else ``minor_biometrics_justification``; LGPD arts. 11 and
  14), recorded in the request's timeline.

``signature_request_check_context`` (planning) calls ``policy_check_category``; the signer plan
(``signature_request_plan``, used by the send screen, the API, a batch's pre-flight and each
batch row's creation) calls ``policy_apply``; ``signature_request_deadline`` calls
``policy_check_deadline``. Every refusal is a ``SigningError`` whose message names the rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from chancela.esign.models import DocumentType, LegalCategory, SigningOrder
from chancela.signing.errors import SigningError
from chancela.signing.models import AUTH_LABELS, SignerRole
from chancela.signing.rules import MAJORITY_AGE, age_on

if TYPE_CHECKING:
    from chancela.signing.planning import PlannedSigner

# Evidence a document type may require on top of the token (Clicksign authentications).
EVIDENCE_AUTHS = ("selfie", "handwritten", "official_document")
# Biometric evidence: sensitive personal data (LGPD art. 5 II, art. 11).
BIOMETRIC_AUTHS = frozenset({"selfie", "official_document"})
# Roles a document type may require (witnesses have their own count).
REQUIRABLE_ROLES = (
    SignerRole.STUDENT,
    SignerRole.GUARDIAN,
    SignerRole.FINANCIAL_GUARDIAN,
    SignerRole.INSTITUTION,
)
ICP_BRASIL_DEFAULT_BASIS = (
    "Diploma digital e histórico que o acompanha: Portarias MEC nº 330/2018, nº 554/2019 e "
    "nº 1.001/2021 e IN SESU nº 1/2020 (XML assinado com certificado ICP-Brasil e carimbo do "
    "tempo); acervo acadêmico digital: Portaria MEC nº 613/2022 e Decreto nº 10.278/2020"
)
JUSTIFICATION_MIN_LENGTH = 10


def _rule(document_type: DocumentType, name: str) -> str:
    return f"Regra “{name}” do tipo de documento “{document_type.name}”"


def policy_check_category(*, document_type: DocumentType) -> None:
    """An ICP-Brasil-only document type is never sent through Clicksign."""
    if document_type.legal_category == LegalCategory.ICP_BRASIL:
        basis = document_type.legal_basis.strip() or ICP_BRASIL_DEFAULT_BASIS
        raise SigningError(
            "icp_brasil_required",
            f"{_rule(document_type, 'exige ICP-Brasil')}: este documento precisa ser assinado "
            "com certificado digital ICP-Brasil, e a Clicksign faz assinatura eletrônica "
            f"(MP 2.200-2/2001, art. 10 §2), que não atende a norma: {basis}. "
            "Assine-o no sistema de certificação digital da instituição.",
            "document_type",
        )


def policy_check_deadline(
    *, document_type: DocumentType, deadline_at: datetime, now: datetime | None = None
) -> None:
    limit_days = document_type.max_deadline_days
    if not limit_days:
        return
    now = now or timezone.now()
    latest = now + timedelta(days=limit_days)
    if deadline_at > latest:
        local = timezone.localtime(latest)
        raise SigningError(
            "policy_deadline_too_far",
            f"{_rule(document_type, 'prazo máximo')}: o prazo para assinar é de no máximo "
            f"{limit_days} dias, até {local:%d/%m/%Y %H:%M}.",
            "deadline_at",
        )


@dataclass(frozen=True)
class PolicyOutcome:
    signers: list[PlannedSigner]
    # Timeline text recording why biometrics of minors were requested ("" when none were).
    biometrics_note: str = ""


def _signers_field(signers: list[PlannedSigner]) -> str:
    caller = [s.path for s in signers if s.path != "document_type"]
    return "signers" if any(p.startswith("signers[") for p in caller) else "guardians"


def _with_required_auths(
    document_type: DocumentType, signers: list[PlannedSigner]
) -> list[PlannedSigner]:
    extra = [auth for auth in EVIDENCE_AUTHS if auth in (document_type.required_auths or [])]
    if not extra:
        return signers
    return [
        replace(signer, auths=signer.auths + [a for a in extra if a not in signer.auths])
        for signer in signers
    ]


def _check_roles(document_type: DocumentType, signers: list[PlannedSigner]) -> None:
    present = Counter(signer.role for signer in signers)
    missing = [
        str(SignerRole(role).label)
        for role in REQUIRABLE_ROLES
        if role in (document_type.required_roles or []) and not present[role]
    ]
    if missing:
        raise SigningError(
            "policy_role_missing",
            f"{_rule(document_type, 'papéis obrigatórios')}: falta a assinatura de "
            f"{', '.join(missing)}. Inclua esse signatário (ou cadastre-o como signatário "
            "fixo do tipo de documento).",
            _signers_field(signers),
        )
    needed = document_type.min_witnesses
    if present[SignerRole.WITNESS] < needed:
        raise SigningError(
            "policy_witnesses_missing",
            f"{_rule(document_type, 'testemunhas')}: são necessárias {needed} testemunha(s), e "
            f"a solicitação tem {present[SignerRole.WITNESS]}.",
            _signers_field(signers),
        )


def _apply_order(document_type: DocumentType, signers: list[PlannedSigner]) -> list[PlannedSigner]:
    order = document_type.signing_order
    groups = [signer.group for signer in signers]
    if order == SigningOrder.PARALLEL and len(set(groups)) > 1:
        raise SigningError(
            "policy_order_parallel",
            f"{_rule(document_type, 'assinatura em paralelo')}: todos assinam ao mesmo tempo, "
            "no mesmo grupo de assinatura; a solicitação usa os grupos "
            f"{', '.join(str(g) for g in sorted(set(groups)))}.",
            _signers_field(signers),
        )
    if order == SigningOrder.ORDERED:
        # One signer at a time, in the plan's order (groups first, then input order).
        return [replace(s, group=index + 1) for index, s in enumerate(signers)]
    return signers


def _biometrics_note(
    document_type: DocumentType,
    signers: list[PlannedSigner],
    *,
    on: date,
    justification: str,
) -> str:
    minors = [
        (signer, age_on(signer.birth_date, on))
        for signer in signers
        if signer.birth_date is not None
        and BIOMETRIC_AUTHS.intersection(signer.auths)
        and age_on(signer.birth_date, on) < MAJORITY_AGE
    ]
    if not minors:
        return ""
    given = " ".join((justification or "").split())
    source = "informada no envio"
    if not given:
        given = " ".join(document_type.minor_biometrics_justification.split())
        source = "do tipo de documento"
    people = ", ".join(f"{signer.name} ({age} anos)" for signer, age in minors)
    evidence = sorted(
        {AUTH_LABELS[a] for signer, _ in minors for a in BIOMETRIC_AUTHS.intersection(signer.auths)}
    )
    if len(given) < JUSTIFICATION_MIN_LENGTH:
        raise SigningError(
            "biometrics_justification_required",
            f"{_rule(document_type, 'biometria de menores')}: {' e '.join(evidence)} de "
            f"menor de 18 anos ({people}) é dado pessoal sensível de criança ou adolescente "
            "(LGPD arts. 11 e 14) e precisa de uma justificativa registrada. Informe-a no envio "
            "ou no tipo de documento.",
            "biometrics_justification",
        )
    return (
        f"Biometria ({', '.join(evidence)}) pedida a menor de 18 anos: {people}. "
        f"Justificativa {source}: {given}"
    )[:500]


def policy_apply(
    *,
    document_type: DocumentType,
    signers: list[PlannedSigner],
    on: date,
    biometrics_justification: str = "",
) -> PolicyOutcome:
    """The signers as the policy wants them (auths added, groups numbered), or a refusal."""
    signers = _with_required_auths(document_type, signers)
    _check_roles(document_type, signers)
    signers = _apply_order(document_type, signers)
    note = _biometrics_note(document_type, signers, on=on, justification=biometrics_justification)
    return PolicyOutcome(signers=signers, biometrics_note=note)
