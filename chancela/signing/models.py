"""Solicitação de assinatura: one Clicksign envelope, its documents and its signers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.esign.models import DocumentType, Environment, SignatureConfig
from chancela.institutions.models import Person, Unit


class RequestStatus(models.TextChoices):
    QUEUED = "queued", _("Na fila")
    SENDING = "sending", _("Enviando")
    AWAITING_SIGNATURES = "awaiting_signatures", _("Aguardando assinaturas")
    SIGNED = "signed", _("Assinado")
    REFUSED = "refused", _("Recusado")
    CANCELED = "canceled", _("Cancelado")
    EXPIRED = "expired", _("Expirado")
    FAILED = "failed", _("Falha no envio")


TERMINAL_STATUSES = frozenset(
    {
        RequestStatus.SIGNED,
        RequestStatus.REFUSED,
        RequestStatus.CANCELED,
        RequestStatus.EXPIRED,
        RequestStatus.FAILED,
    }
)

# Transitions only move forward: a status may move to one of higher rank, never back.
STATUS_RANK = {
    RequestStatus.QUEUED: 0,
    RequestStatus.SENDING: 1,
    RequestStatus.AWAITING_SIGNATURES: 2,
    RequestStatus.SIGNED: 3,
    RequestStatus.REFUSED: 3,
    RequestStatus.CANCELED: 3,
    RequestStatus.EXPIRED: 3,
    RequestStatus.FAILED: 3,
}


class CapacityRule(models.TextChoices):
    """Which rule chose the signers (Civil Code arts. 3, 4, 5 and 1.634)."""

    REPRESENTED = "represented", _("Menor de 16 anos: assina o responsável (representação)")
    ASSISTED = "assisted", _("16 ou 17 anos: assinam o aluno e o responsável (assistência)")
    ADULT = "adult", _("18 anos ou mais: assina o aluno")
    EMANCIPATED = "emancipated", _("Emancipado: assina o aluno")
    OVERRIDE = "override", _("Regra substituída pela equipe")
    EXPLICIT = "explicit", _("Signatários informados diretamente")


class SignatureRequest(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unidade"), on_delete=models.PROTECT, related_name="signature_requests"
    )
    document_type = models.ForeignKey(
        DocumentType,
        verbose_name=_("tipo de documento"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The configuration used is fixed at creation: re-pointing a document type later never moves
    # a request that is already on its way.
    config = models.ForeignKey(
        SignatureConfig, on_delete=models.PROTECT, related_name="signature_requests"
    )
    environment = models.CharField(max_length=20, choices=Environment.choices)
    external_id = models.CharField(_("identificador externo"), max_length=100, blank=True)
    title = models.CharField(_("título"), max_length=200)
    message = models.TextField(_("mensagem"), blank=True, max_length=3000)
    deadline_at = models.DateTimeField(_("prazo"))
    status = models.CharField(
        _("situação"), max_length=30, choices=RequestStatus.choices, default=RequestStatus.QUEUED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(_("último erro"), blank=True)

    # Who must sign, and why (the legal-capacity rule applied, or the staff override).
    capacity_rule = models.CharField(
        _("regra aplicada aos signatários"), max_length=600, blank=True
    )
    capacity_rule_code = models.CharField(
        max_length=20, choices=CapacityRule.choices, default=CapacityRule.EXPLICIT
    )
    capacity_override_reason = models.CharField(
        _("motivo da substituição da regra"), max_length=300, blank=True
    )
    # The student the document is about (may not sign: under 16 the guardian represents him).
    student_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    student_name = models.CharField(_("aluno"), max_length=200, blank=True)
    # Copied from the document type at creation, like the configuration.
    remind_interval = models.PositiveSmallIntegerField(null=True, blank=True)
    # SHA-256 of the normalised submission: a resubmission with the same external_id must carry
    # the same content (idempotent replay), otherwise it is a conflict.
    input_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    # Clicksign side
    clicksign_envelope_id = models.CharField(max_length=64, blank=True, db_index=True)

    # Dispatch saga (chancela.signing.dispatch): the step reached (committed before its remote
    # calls, so a resumed attempt knows which step may have half happened), the attempts made
    # (leases taken), and the lease that keeps two workers off the same request.
    dispatch_step = models.CharField(max_length=20, blank=True, editable=False)
    dispatch_attempts = models.PositiveIntegerField(default=0, editable=False)
    dispatch_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    dispatch_lease_owner = models.CharField(max_length=32, blank=True, editable=False)
    dispatch_next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    # True when the last attempt stopped at a call Clicksign refused without acting on it (a
    # 429, a 503, no connection) and nothing before it was in doubt: the next attempt repeats
    # that call as is, without looking up first.
    dispatch_step_clean = models.BooleanField(default=False, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_api_key = models.ForeignKey(
        "api.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Callbacks (chancela.callbacks): the last time Clicksign told us anything about this request
    # (a webhook applied or a reconciliation read). The reconciler re-reads the silent ones.
    clicksign_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Retention (chancela.signing.retention): personal data removed, minimal legal record kept.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("solicitação de assinatura")
        verbose_name_plural = _("solicitações de assinatura")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("send_documents", _("Enviar e acompanhar documentos para assinatura")),
            (
                "data_subject_report",
                _("Consultar e anonimizar os dados de um titular (LGPD art. 18)"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "external_id"],
                condition=~models.Q(external_id=""),
                name="signature_request_unique_external_id_per_unit",
            )
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["unit", "updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_sandbox(self) -> bool:
        return self.environment == Environment.SANDBOX

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def legally_valid(self) -> bool:
        """Only a production envelope that reached `signed` carries legally valid signatures."""
        return self.status == RequestStatus.SIGNED and self.environment == Environment.PRODUCTION


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Aguardando envio")
    RUNNING = "running", _("Em assinatura")
    CLOSED = "closed", _("Finalizado")
    CANCELED = "canceled", _("Cancelado")
    REFUSED = "refused", _("Recusado")
    EXPIRED = "expired", _("Expirado")


# A document whose envelope ended stays as it ended; these never change again.
DOCUMENT_FINISHED_STATUSES = (
    DocumentStatus.CLOSED,
    DocumentStatus.CANCELED,
    DocumentStatus.REFUSED,
    DocumentStatus.EXPIRED,
)
# What the documents still in signature become when their request ends this way.
DOCUMENT_STATUS_WHEN_REQUEST = {
    "refused": DocumentStatus.REFUSED,
    "canceled": DocumentStatus.CANCELED,
    "expired": DocumentStatus.EXPIRED,
}


def original_upload_to(instance: Document, filename: str) -> str:
    return f"originals/{instance.request.unit_id}/{instance.public_id}.pdf"


def signed_upload_to(instance: Document, filename: str) -> str:
    return f"signed/{instance.request.unit_id}/{instance.public_id}.pdf"


class Document(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        SignatureRequest, on_delete=models.CASCADE, related_name="documents"
    )
    position = models.PositiveSmallIntegerField(default=0)
    filename = models.CharField(_("arquivo"), max_length=200)
    original_file = models.FileField(upload_to=original_upload_to, max_length=300)
    original_sha256 = models.CharField(max_length=64)
    original_size = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    clicksign_document_id = models.CharField(max_length=64, blank=True, db_index=True)
    signed_file = models.FileField(upload_to=signed_upload_to, max_length=300, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    signed_size = models.PositiveIntegerField(null=True, blank=True)
    signed_archived_at = models.DateTimeField(null=True, blank=True)
    # How Clicksign finished the document (callbacks): auto_close, close, deadline, cancel.
    finished_by = models.CharField(max_length=20, blank=True, editable=False)

    class Meta:
        verbose_name = _("documento")
        verbose_name_plural = _("documentos")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.filename


class SignerRole(models.TextChoices):
    STUDENT = "student", _("Aluno")
    GUARDIAN = "guardian", _("Responsável")
    FINANCIAL_GUARDIAN = "financial_guardian", _("Responsável financeiro")
    INSTITUTION = "institution", _("Instituição")
    WITNESS = "witness", _("Testemunha")


class SignerChannel(models.TextChoices):
    """How the signer gets the invitation and the authentication token (only one per signer)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


# How screens name the Clicksign qualification roles and authentications we use.
QUALIFICATION_LABELS = {
    "sign": "Parte",
    "contractor": "Contratante",
    "contractee": "Contratada",
    "legal_guardian": "Responsável legal",
    "witness": "Testemunha",
}
AUTH_LABELS = {
    "email": "Token por e-mail",
    "sms": "Token por SMS",
    "whatsapp": "Token por WhatsApp",
    "selfie": "Selfie",
    "handwritten": "Assinatura manuscrita",
    "official_document": "Documento oficial (frente e verso)",
}


class SignerLabels:
    """Screen labels of a signer's Clicksign qualification and authentications."""

    qualification: str
    auths: list[str]

    @property
    def qualification_label(self) -> str:
        return QUALIFICATION_LABELS.get(self.qualification, self.qualification)

    @property
    def auth_labels(self) -> list[str]:
        return [AUTH_LABELS.get(auth, auth) for auth in self.auths]


class SignerStatus(models.TextChoices):
    PENDING = "pending", _("Pendente")
    SIGNED = "signed", _("Assinou")
    REFUSED = "refused", _("Recusou")


class Signer(SignerLabels, models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(SignatureRequest, on_delete=models.CASCADE, related_name="signers")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("nome"), max_length=200)
    email = models.EmailField(_("e-mail"))
    cpf = models.CharField(_("CPF"), max_length=11, blank=True)
    phone = models.CharField(_("telefone"), max_length=11, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    role = models.CharField(_("papel"), max_length=30, choices=SignerRole.choices)
    # Clicksign qualification role (`sign`, `contractor`, `legal_guardian`, `witness`, ...)
    qualification = models.CharField(max_length=40)
    group = models.PositiveSmallIntegerField(_("grupo de assinatura"), default=1)
    position = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(
        _("canal"), max_length=10, choices=SignerChannel.choices, default=SignerChannel.EMAIL
    )
    # Clicksign authentication strings: "email" (or "sms"/"whatsapp") plus "selfie", ...
    auths = models.JSONField(default=list)
    # Set when the signer was added by the document type (institution signer, witness).
    fixed_signer = models.ForeignKey(
        "esign.DocumentTypeSigner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    clicksign_signer_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(
        max_length=20, choices=SignerStatus.choices, default=SignerStatus.PENDING
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    # The authentications Clicksign reported in the signer's `sign` event (email, selfie, ...).
    signed_auths = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("signatário")
        verbose_name_plural = _("signatários")
        ordering = ["group", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class RequirementAction(models.TextChoices):
    QUALIFICATION = "agree", _("Qualificação")
    AUTHENTICATION = "provide_evidence", _("Autenticação")


class SignerRequirement(models.Model):
    """One Clicksign requirement: what one signer must do on one document.

    ``agree`` + a qualification role (``sign``, ``contractor``...) or ``provide_evidence`` + an
    authentication (``email``, ``selfie``...). Planned at creation; the dispatch saga sends them
    (in bulk) and records each Clicksign id here.
    """

    request = models.ForeignKey(
        SignatureRequest, on_delete=models.CASCADE, related_name="requirements"
    )
    signer = models.ForeignKey(Signer, on_delete=models.CASCADE, related_name="requirements")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="requirements")
    action = models.CharField(max_length=20, choices=RequirementAction.choices)
    # The qualification role for `agree`, the authentication for `provide_evidence`.
    value = models.CharField(max_length=40)
    clicksign_requirement_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("requisito de assinatura")
        verbose_name_plural = _("requisitos de assinatura")
        ordering = ["document", "signer", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["signer", "document", "action", "value"],
                name="signer_requirement_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.signer} — {self.document}: {self.action} {self.value}"


class RequestEvent(models.Model):
    """One line of a request's timeline: our own steps and what Clicksign told us."""

    class Source(models.TextChoices):
        CHANCELA = "chancela", _("Chancela")
        CLICKSIGN = "clicksign", _("Clicksign")
        STAFF = "staff", _("Equipe")
        HOST = "host", _("Sistema acadêmico")

    request = models.ForeignKey(SignatureRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    kind = models.CharField(max_length=60)
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("evento da solicitação")
        verbose_name_plural = _("linha do tempo das solicitações")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.message


class PrivacyAuditEntry(models.Model):
    """Who looked up or anonymised personal data, and what the retention job removed.

    Never the CPF itself: its SHA-256 (to answer "was this person looked up?") and the masked
    form shown on screens."""

    class Action(models.TextChoices):
        REPORT = "report", _("Relatório do titular consultado")
        REPORT_EXPORT = "report_export", _("Relatório do titular exportado")
        ANONYMISE = "anonymise", _("Dados do titular anonimizados")
        RETENTION = "retention", _("Anonimização por prazo de guarda")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    cpf_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    cpf_masked = models.CharField(max_length=20, blank=True)
    unit_codes = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("registro de privacidade")
        verbose_name_plural = _("registros de privacidade")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} em {self.at:%d/%m/%Y %H:%M}"
