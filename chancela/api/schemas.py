"""Typed shapes of the host API (they generate the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Query, Schema
from pydantic import AwareDatetime, ConfigDict, WithJsonSchema

from chancela.api.error_codes import CODES
from chancela.signing.models import (
    AUTH_LABELS,
    QUALIFICATION_LABELS,
    CapacityRule,
    DocumentStatus,
    RequestStatus,
    SignerStatus,
)

# Every date-time the API reads must say its offset; one without is refused (422), never guessed.
OFFSET_RULE = "Data e hora ISO 8601 com fuso obrigatório (`-03:00` ou `Z`)."

UpdatedAfter = Annotated[
    AwareDatetime | None,
    Query(
        description="Só o que mudou depois deste instante (o `updated_at` mais alto já visto). "
        + OFFSET_RULE,
    ),
]

NextCursor = Annotated[
    str | None, Field(description="Passe em ?cursor= para a próxima página; null na última.")
]

Role = Literal["student", "guardian", "financial_guardian", "institution", "witness"]
Channel = Literal["email", "sms", "whatsapp"]


def documented_enum(values: Iterable[str], description: str = "") -> Any:
    """A string output the OpenAPI lists as an enum of ``values`` (taken from the models)."""
    schema: dict[str, Any] = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return Annotated[str, WithJsonSchema(schema)]


RequestStatusValue = documented_enum(
    RequestStatus.values,
    "queued (na fila), sending (enviando), awaiting_signatures (aguardando assinaturas), "
    "signed (assinado), refused (recusado), canceled (cancelado), expired (expirado), "
    "failed (falha no envio). Só avança; as seis últimas são finais.",
)
DocumentStatusValue = documented_enum(DocumentStatus.values)
SignerStatusValue = documented_enum(SignerStatus.values)
AuthValue = documented_enum(
    AUTH_LABELS,
    "Autenticação exigida na Clicksign: "
    + ", ".join(f"{key} ({label})" for key, label in AUTH_LABELS.items()),
)
QualificationValue = documented_enum(QUALIFICATION_LABELS, "Papel do signatário na Clicksign.")
CapacityRuleValue = documented_enum(CapacityRule.values)
ErrorCodeValue = documented_enum(CODES, "Código do erro: veja o catálogo em docs/api.md.")


# What the API refuses, stated in the schema so that a generated client never sends it. The
# services check the same and more (CPF check digits, e-mail domains): these are the shapes.
NON_BLANK = r"\S"
PRINTABLE_NON_BLANK = r"^[^\x00-\x1f\x7f-\x9f]*\S[^\x00-\x1f\x7f-\x9f]*$"
FULL_NAME = r"^\s*[^\d\s]+(\s+[^\d\s]+)+\s*$"
EMAIL = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
EMAIL_OR_EMPTY = r"^\s*([^@\s]+@[^@\s]+\.[^@\s]+)?\s*$"
CPF = r"^\s*(\d{3}\.?\d{3}\.?\d{3}-?\d{2})?\s*$"
PHONE = r"^\s*((\+?55)?\s*\(?[1-9]{2}\)?\s*9?\d{4}[-\s]?\d{4})?\s*$"
BASE64_PDF = r"^(data:[^,]*;base64,)?[A-Za-z0-9+/=\s]+$"


class StrictSchema(Schema):
    # A misspelt field is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


class DocumentIn(StrictSchema):
    filename: str = Field(
        ..., max_length=200, pattern=NON_BLANK, examples=["contrato-matricula-2027.pdf"]
    )
    content_base64: str = Field(
        ...,
        pattern=BASE64_PDF,
        description="O PDF em base64 (pode vir como data URI data:application/pdf;base64,...). "
        "Até 10 MB por documento e 100 MB por solicitação.",
    )


class PartyIn(StrictSchema):
    name: str = Field(
        ...,
        max_length=200,
        pattern=FULL_NAME,
        description="Nome e sobrenome, sem números.",
        examples=["Maria Souza"],
    )
    email: str = Field(..., max_length=254, pattern=EMAIL, examples=["maria.souza@example.com"])
    cpf: str | None = Field(
        None,
        max_length=20,
        pattern=CPF,
        description="11 dígitos, com ou sem pontuação (os dígitos verificadores são conferidos).",
        examples=["123.456.789-09"],
    )
    phone: str | None = Field(
        None,
        max_length=20,
        pattern=PHONE,
        description="DDD + número (celular com 9), com ou sem +55, ex.: 11987654321",
        examples=["11987654321"],
    )
    birth_date: date | None = None
    channel: Channel = Field(
        "email",
        description="Canal do convite e do token de autenticação. sms e whatsapp exigem celular "
        "e substituem o token por e-mail.",
    )
    group: int = Field(
        1, ge=1, le=20, description="Ordem de assinatura: o grupo 2 assina depois do grupo 1."
    )


class SignerIn(PartyIn):
    role: Role


class StudentIn(PartyIn):
    email: str = Field(
        "",
        max_length=254,
        pattern=EMAIL_OR_EMPTY,
        description="Obrigatório quando o aluno assina; dispensado quando só o responsável "
        "assina por ele (menor de 16 anos).",
        examples=["ana.souza@example.com"],
    )
    birth_date: date = Field(..., description="Decide quem assina (capacidade civil).")
    emancipated: bool = False


class GuardianIn(PartyIn):
    role: Literal["guardian", "financial_guardian"] = "guardian"


class CapacityOverrideIn(StrictSchema):
    signers: Literal["student", "guardians", "both"] = Field(
        ..., description="Quem assina no lugar do que a regra de capacidade civil sugere."
    )
    reason: str = Field(
        ..., max_length=300, pattern=NON_BLANK, description="Motivo, registrado na solicitação."
    )


class SignatureRequestIn(StrictSchema):
    external_id: str = Field(
        ...,
        min_length=1,
        max_length=100,
        pattern=PRINTABLE_NON_BLANK,
        description="Identificador no sistema acadêmico, único por unidade. Reenviar o mesmo "
        "external_id com o mesmo conteúdo devolve a solicitação existente (200).",
        examples=["MAT-2027-000123"],
    )
    unit: str = Field(
        ..., max_length=30, pattern=NON_BLANK, description="Código da unidade.", examples=["CENTRO"]
    )
    document_type: str = Field(
        ...,
        max_length=40,
        pattern=NON_BLANK,
        description="Código do tipo de documento.",
        examples=["CONTRATO_MATRICULA"],
    )
    title: str = Field(
        ...,
        max_length=200,
        pattern=NON_BLANK,
        examples=["Contrato de matrícula 2027 — Ana Souza"],
    )
    documents: list[DocumentIn] = Field(..., min_length=1, max_length=20)
    signers: list[SignerIn] | None = Field(
        None, description="Signatários informados diretamente (ou use student + guardians)."
    )
    student: StudentIn | None = Field(
        None,
        description="O aluno: quem assina segue a capacidade civil na data do envio (menor de "
        "16: o responsável; 16 ou 17: ambos; 18 ou mais, ou emancipado: o aluno).",
    )
    guardians: list[GuardianIn] = Field(default_factory=list)
    capacity_override: CapacityOverrideIn | None = Field(
        None, description="Substitui explicitamente a regra de capacidade civil, com motivo."
    )
    deadline_at: AwareDatetime | None = Field(
        None,
        description="Prazo (no máximo 90 dias). Padrão: o prazo do tipo de documento. "
        + OFFSET_RULE,
        examples=["2027-03-31T18:00:00-03:00"],
    )
    message: str | None = Field(None, max_length=3000)
    biometrics_justification: str | None = Field(
        None,
        max_length=1000,
        description="Por que pedir selfie ou documento oficial a um signatário menor de 18 anos "
        "(LGPD arts. 11 e 14), quando o tipo de documento não traz uma justificativa. Fica "
        "registrada na linha do tempo.",
    )


class DocumentOut(Schema):
    id: UUID
    filename: str
    sha256: str
    size: int
    page_count: int
    status: DocumentStatusValue  # type: ignore[valid-type]
    signed_available: bool
    signed_sha256: str | None
    signed_url: str | None


class SignerOut(Schema):
    id: UUID
    name: str
    email: str
    cpf_masked: str
    role: Role
    qualification: QualificationValue  # type: ignore[valid-type]
    group: int
    channel: Channel
    auths: list[AuthValue]  # type: ignore[valid-type]
    status: SignerStatusValue  # type: ignore[valid-type]
    signed_at: datetime | None
    refused_at: datetime | None


class CapacityRuleOut(Schema):
    code: CapacityRuleValue  # type: ignore[valid-type]
    description: str
    override_reason: str


class SignatureRequestOut(Schema):
    id: UUID
    external_id: str
    unit: str
    document_type: str
    title: str
    message: str
    status: RequestStatusValue  # type: ignore[valid-type]
    status_label: str
    environment: Literal["sandbox", "production"]
    sandbox: bool
    legal_validity: Literal["none-sandbox", "production"]
    deadline_at: datetime
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    last_error: str
    student_name: str
    capacity_rule: CapacityRuleOut
    documents: list[DocumentOut]
    signers: list[SignerOut]


class SignatureRequestPage(Schema):
    items: list[SignatureRequestOut]
    next_cursor: NextCursor = None


class FieldErrorOut(Schema):
    code: str = Field(..., description="Tipo do erro de validação (pydantic), ex.: missing.")
    message: str
    field: str | None


class ErrorOut(Schema):
    """Every error of the API, whatever the status."""

    code: ErrorCodeValue  # type: ignore[valid-type]
    message: str = Field(..., description="O que houve e o que fazer, em português.")
    field: str | None = Field(
        ..., description="O campo culpado, como caminho: `signers[1].cpf`; null se nenhum."
    )
    errors: list[FieldErrorOut] | None = Field(
        None, description="Em `invalid_input`: todos os erros de validação, não só o primeiro."
    )
    existing_id: UUID | None = Field(
        None,
        description="Em `external_id_conflict`: o id da solicitação (ou do lote) que já usa "
        "este external_id.",
    )


class RemindIn(StrictSchema):
    signer_id: UUID | None = Field(
        None,
        description="Lembrar só este signatário (id de `signers[].id`); sem ele, todos os "
        "pendentes. A Clicksign aceita um lembrete por minuto (por signatário, ou para a "
        "solicitação toda): antes disso a resposta é 429 com `Retry-After`.",
    )


class CancelIn(StrictSchema):
    reason: str = Field(
        ...,
        min_length=3,
        max_length=300,
        pattern=NON_BLANK,
        examples=["Aluno desistiu da matrícula"],
    )


class ActionOut(Schema):
    message: str
