"""Signer rules: Clicksign qualification per role, authentications, and legal capacity.

Qualification (the Clicksign ``agree`` requirement's role) per signer role — our choices:

| role                 | Clicksign role    | why                                                   |
|----------------------|-------------------|-------------------------------------------------------|
| student              | ``sign``          | signs as a party to an academic document              |
| student (contracts)  | ``contractor``    | when the document type says the student contracts     |
| guardian             | ``legal_guardian``| represents (< 16) or assists (16–17) the student      |
| financial_guardian   | ``contractor``    | the payer is the contracting party of the service     |
| institution          | ``contractee``    | the school is the contracted party                    |
| witness              | ``witness``       |                                                       |

Legal capacity (Civil Code arts. 3, 4, 5, 1.634), on the send date, in the institution's time
zone: under 16 the guardian signs for the student (representation; the student does not sign);
16 or 17 both sign (assistance); 18 or more, or emancipated, the student signs. Financial
guardians sign in every case (they pay). A birthday falling while the envelope runs changes
nothing: the rule applied is recorded on the request. Someone born on 29 February turns a year
older on 1 March in common years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from chancela.signing.models import (  # noqa: F401 - labels re-exported for screens
    AUTH_LABELS,
    QUALIFICATION_LABELS,
    CapacityRule,
    SignerChannel,
    SignerRole,
)

if TYPE_CHECKING:
    from chancela.esign.models import SignatureConfig

QUALIFICATION_BY_ROLE = {
    SignerRole.STUDENT: "sign",
    SignerRole.GUARDIAN: "legal_guardian",
    SignerRole.FINANCIAL_GUARDIAN: "contractor",
    SignerRole.INSTITUTION: "contractee",
    SignerRole.WITNESS: "witness",
}

OVERRIDE_CHOICES = {
    "student": "assina só o aluno",
    "guardians": "assinam só os responsáveis",
    "both": "assinam o aluno e os responsáveis",
}

MAJORITY_AGE = 18
ASSISTANCE_AGE = 16


def qualification_for(role: str, *, student_contracts: bool = False) -> str:
    if role == SignerRole.STUDENT and student_contracts:
        return "contractor"
    return QUALIFICATION_BY_ROLE[SignerRole(role)]


def auths_for(*, config: SignatureConfig, channel: str) -> list[str]:
    """The authentications a signer must provide under a configuration.

    One token channel (Clicksign allows only one of email/sms/whatsapp per signer), then what the
    configuration asks of everybody (the seed's "Solicita selfie / manuscrita / documento").
    """
    auths = [SignerChannel(channel).value]
    if config.require_selfie:
        auths.append("selfie")
    if config.require_handwritten:
        auths.append("handwritten")
    if config.require_official_document:
        auths.append("official_document")
    return auths


def age_on(birth_date: date, on: date) -> int:
    """Completed years on a date (the birthday itself counts as completed)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (1 if before_birthday else 0)


@dataclass(frozen=True)
class CapacityDecision:
    code: str
    age: int
    student_signs: bool
    guardians_sign: bool
    text: str


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def capacity_decide(
    *, birth_date: date, emancipated: bool, on: date, guardian_count: int = 1
) -> CapacityDecision:
    """Who signs for a student on a date, with the human-readable rule (pt-BR)."""
    age = age_on(birth_date, on)
    guardians = _plural(guardian_count, "o responsável", "os responsáveis")
    if emancipated:
        return CapacityDecision(
            CapacityRule.EMANCIPATED,
            age,
            True,
            False,
            f"Aluno emancipado, com {age} anos: assina o próprio aluno.",
        )
    if age >= MAJORITY_AGE:
        return CapacityDecision(
            CapacityRule.ADULT, age, True, False, f"Aluno com {age} anos: assina o próprio aluno."
        )
    if age >= ASSISTANCE_AGE:
        return CapacityDecision(
            CapacityRule.ASSISTED,
            age,
            True,
            True,
            f"Aluno com {age} anos: assinam o aluno e {guardians} (assistência).",
        )
    verb = _plural(guardian_count, "assina", "assinam")
    return CapacityDecision(
        CapacityRule.REPRESENTED,
        age,
        False,
        True,
        f"Aluno com {age} anos: {verb} {guardians} (representação).",
    )
