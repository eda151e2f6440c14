"""The seed's screen and what hangs on it: Clicksign configurations, document types and the
registry of people registered as signers under each configuration."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.core.crypto import EncryptedTextField, fingerprint
from chancela.institutions.models import Person, Unit


class Environment(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (homologação)")
    PRODUCTION = "production", _("Produção")


class ClicksignApi(models.TextChoices):
    """Which Clicksign API the configuration's token speaks (detected by "Testar conexão")."""

    ENVELOPES = "3.0", _("Envelopes (API 3.0)")
    LEGACY = "1.9", _("API 1.9 (legada)")


class ConnectionStatus(models.TextChoices):
    """Outcome of the last "Testar conexão" (stored in ``last_connection_status``)."""

    OK = "ok", _("Conexão OK")
    INVALID_TOKEN = "invalid_token", _("Token inválido")  # noqa: S105 - a label, not a secret
    API_EMAIL_NOT_SET = "api_email_not_set", _("E-mail do usuário da API não configurado")
    PLAN_WITHOUT_API = "plan_without_api", _("Plano da conta sem acesso à API")
    ACCOUNT_BLOCKED = "account_blocked", _("Conta Clicksign bloqueada")
    ENVELOPES_UNAVAILABLE = "envelopes_unavailable", _("Conta sem envelopes (só API 1.9)")
    UNREACHABLE = "unreachable", _("Clicksign inacessível")
    RATE_LIMITED = "rate_limited", _("Limite de requisições atingido")
    ERROR = "error", _("Erro inesperado da Clicksign")


class SignatureConfig(models.Model):
    """Configuração assinatura eletrônica de documentos: one Clicksign account + environment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unidade"),
        on_delete=models.PROTECT,
        related_name="signature_configs",
        help_text=_("Unidade dona da configuração. O compartilhamento define quem mais a usa."),
    )
    name = models.CharField(
        _("descrição"),
        max_length=120,
        help_text=_("Um nome para reconhecer a configuração, por exemplo “Clicksign Produção”."),
    )
    environment = models.CharField(_("URL do serviço"), max_length=20, choices=Environment.choices)
    api_user_email = models.EmailField(_("E-mail do usuário da API"))
    token = EncryptedTextField(_("Chave de autenticação (Token)"))
    webhook_secret = EncryptedTextField(_("Chave de segurança do Webhook"), null=True, blank=True)
    # The secret replaced last keeps verifying callbacks for a grace period (key rotation).
    previous_webhook_secret = EncryptedTextField(null=True, blank=True, editable=False)
    previous_webhook_secret_valid_until = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    notification_email = models.EmailField(_("Email para notificações"))
    require_selfie = models.BooleanField(_("Solicita Selfie"), default=False)
    require_handwritten = models.BooleanField(_("Solicita assinatura manuscrita"), default=False)
    require_official_document = models.BooleanField(_("Solicita documento"), default=False)
    active = models.BooleanField(_("Ativa"), default=True)

    # What Clicksign told us about the account (filled by "Testar conexão" / webhook registration).
    clicksign_account_key = models.CharField(max_length=64, blank=True, editable=False)
    # Set only by a successful "Testar conexão" (3.0, or 503 on envelopes and then 1.9 works).
    clicksign_api = models.CharField(
        _("API da Clicksign"),
        max_length=3,
        choices=ClicksignApi.choices,
        default=ClicksignApi.ENVELOPES,
        editable=False,
    )
    clicksign_webhook_id = models.CharField(max_length=64, blank=True, editable=False)
    last_connection_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_connection_status = models.CharField(max_length=40, blank=True, editable=False)
    last_successful_call_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_callback_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("configuração assinatura eletrônica de documentos")
        verbose_name_plural = _("configurações assinatura eletrônica de documentos")
        ordering = ["unit__name", "environment", "name"]
        permissions = [
            ("manage_signature_config", _("Configuração assinatura eletrônica de documentos")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_environment_display()})"

    @property
    def is_sandbox(self) -> bool:
        return self.environment == Environment.SANDBOX

    @property
    def service_url(self) -> str:
        return settings.CLICKSIGN_URLS[self.environment]

    @property
    def webhook_url(self) -> str:
        return f"{settings.PUBLIC_URL}/callbackclicksign/{self.public_id}"

    @property
    def last_connection_status_label(self) -> str:
        if not self.last_connection_status:
            return ""
        try:
            return str(ConnectionStatus(self.last_connection_status).label)
        except ValueError:
            return self.last_connection_status

    @property
    def clicksign_api_explanation(self) -> str:
        """What the detected API means, in plain Portuguese (configuration screen)."""
        if self.clicksign_api == ClicksignApi.LEGACY:
            return str(
                _(
                    "A conta Clicksign desta configuração foi criada antes de julho de 2024 e só "
                    "tem a API 1.9 (legada): o Chancela envia por ela, com documentos e "
                    "signatários reutilizáveis. A Clicksign (ajuda@clicksign.com) pode ativar os "
                    "envelopes (API 3.0) para a conta; depois disso, clique em “Testar conexão” "
                    "e o Chancela passa a usá-los."
                )
            )
        return str(
            _(
                "A conta Clicksign tem envelopes (API 3.0), a API atual: o Chancela envia cada "
                "solicitação como um envelope. Só um novo “Testar conexão” bem-sucedido muda isso."
            )
        )

    @property
    def token_fingerprint(self) -> str:
        return fingerprint(self.token)

    @property
    def webhook_secret_fingerprint(self) -> str:
        return fingerprint(self.webhook_secret)


class ConfigAuditEntry(models.Model):
    """Who changed what on a configuration. Secrets appear only as fingerprints."""

    class Action(models.TextChoices):
        CREATED = "created", _("Criada")
        UPDATED = "updated", _("Alterada")
        INACTIVATED = "inactivated", _("Inativada")
        ACTIVATED = "activated", _("Ativada")
        CONNECTION_TESTED = "connection_tested", _("Conexão testada")
        WEBHOOK_REGISTERED = "webhook_registered", _("Webhook registrado na Clicksign")
        DOCUMENT_TYPES_REPOINTED = "document_types_repointed", _("Tipos de documento apontados")
        OTHER_UNITS_CONFIRMED = (
            "other_units_confirmed",
            _("Alteração confirmada para unidades de outros administradores"),
        )
        PROMOTED = "promoted", _("Promovida para produção")
        PROMOTION_STARTED = "promotion_started", _("Promoção para produção iniciada")
        PROMOTION_STEP = "promotion_step", _("Etapa da promoção para produção")
        PROMOTION_ABANDONED = "promotion_abandoned", _("Promoção para produção abandonada")
        SIGNER_REGISTRATIONS_PURGED = (
            "signer_registrations_purged",
            _("Pessoas registradas para assinatura removidas"),
        )

    config = models.ForeignKey(
        SignatureConfig, on_delete=models.CASCADE, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40, choices=Action.choices)
    # {"field label": ["old", "new"]} — secrets as "…ab12", never the value.
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("registro de auditoria")
        verbose_name_plural = _("auditoria das configurações")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} em {self.at:%d/%m/%Y %H:%M}"


class RemindInterval(models.IntegerChoices):
    # Clicksign accepts null, 1, 2, 3, 7 or 14 days between automatic reminders (at most 3).
    DAY_1 = 1, _("A cada 1 dia")
    DAYS_2 = 2, _("A cada 2 dias")
    DAYS_3 = 3, _("A cada 3 dias")
    DAYS_7 = 7, _("A cada 7 dias")
    DAYS_14 = 14, _("A cada 14 dias")


class LegalCategory(models.TextChoices):
    ELECTRONIC = "electronic", _("Assinatura eletrônica (Clicksign)")
    ICP_BRASIL = "icp_brasil", _("Exige ICP-Brasil")


class SigningOrder(models.TextChoices):
    FREE = "", _("Como informado em cada envio")
    PARALLEL = "parallel", _("Em paralelo: todos ao mesmo tempo")
    ORDERED = "ordered", _("Em ordem: um de cada vez")


class DocumentType(models.Model):
    """Documento (tipo): which configuration a kind of academic document is sent with."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("código"),
        max_length=40,
        unique=True,
        help_text=_(
            "Identificador usado pelo sistema acadêmico na API, por exemplo CONTRATO_MATRICULA."
        ),
    )
    name = models.CharField(_("nome"), max_length=150)
    units = models.ManyToManyField(Unit, verbose_name=_("unidades"), related_name="document_types")
    config = models.ForeignKey(
        SignatureConfig,
        verbose_name=_("configuração de assinatura"),
        on_delete=models.PROTECT,
        related_name="document_types",
    )
    default_deadline_days = models.PositiveSmallIntegerField(
        _("prazo para assinar (dias)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A Clicksign aceita no máximo 90 dias."),
    )
    remind_interval = models.PositiveSmallIntegerField(
        _("lembretes automáticos"),
        choices=RemindInterval.choices,
        null=True,
        blank=True,
        default=RemindInterval.DAYS_3,
        help_text=_("Deixe em branco para não enviar lembretes. A Clicksign envia no máximo 3."),
    )
    message = models.TextField(
        _("mensagem aos signatários"),
        blank=True,
        max_length=3000,
        help_text=_("Texto do e-mail de solicitação de assinatura."),
    )
    student_contracts = models.BooleanField(
        _("o aluno é o contratante"),
        default=False,
        help_text=_(
            "Marque quando o aluno é parte contratante (ex.: contrato de prestação de serviços "
            "de aluno maior de idade): ele assina como “Contratante” na Clicksign, e não só "
            "como “Assinar”."
        ),
    )
    # --- signature policy (chancela.signing.policy): checked on every send path ---------
    legal_category = models.CharField(
        _("categoria legal da assinatura"),
        max_length=20,
        choices=LegalCategory.choices,
        default=LegalCategory.ELECTRONIC,
    )
    legal_basis = models.CharField(
        _("norma que exige ICP-Brasil"),
        max_length=400,
        blank=True,
        help_text=_("Citada quando um envio pela Clicksign é recusado."),
    )
    required_auths = models.JSONField(_("autenticações mínimas"), default=list, blank=True)
    required_roles = models.JSONField(_("papéis obrigatórios"), default=list, blank=True)
    min_witnesses = models.PositiveSmallIntegerField(
        _("testemunhas obrigatórias"), default=0, validators=[MaxValueValidator(10)]
    )
    signing_order = models.CharField(
        _("ordem de assinatura"),
        max_length=10,
        choices=SigningOrder.choices,
        blank=True,
        default=SigningOrder.FREE,
    )
    max_deadline_days = models.PositiveSmallIntegerField(
        _("prazo máximo (dias)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    minor_biometrics_justification = models.TextField(
        _("justificativa para biometria de menores"), blank=True, max_length=1000
    )
    # --- retention (chancela.signing.retention): days after the request's last status change
    retention_signed_days = models.PositiveIntegerField(
        _("guarda das solicitações assinadas (dias)"), default=3650
    )
    retention_unsigned_days = models.PositiveIntegerField(
        _("guarda das solicitações canceladas, recusadas, expiradas ou com falha (dias)"),
        default=180,
    )
    retention_batch_rows_days = models.PositiveIntegerField(
        _("guarda das linhas de lote (dias)"), default=90
    )
    retention_callbacks_days = models.PositiveIntegerField(
        _("guarda dos retornos brutos da Clicksign (dias)"), default=30
    )
    active = models.BooleanField(_("ativo"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tipo de documento")
        verbose_name_plural = _("tipos de documento")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DocumentTypeSigner(models.Model):
    """A person of a unit who signs every request of a document type sent by that unit.

    For the institution's own signers (the director, the secretary) and fixed witnesses. The
    person belongs to one unit, so a document type used by several units names one signer per
    unit; requests of other units are not affected. When ``delegate_active`` is set, the
    delegate signs instead (holidays, leave) without losing who the titular signer is.
    """

    class Role(models.TextChoices):
        # The same values as chancela.signing.models.SignerRole
        INSTITUTION = "institution", _("Instituição")
        WITNESS = "witness", _("Testemunha")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.CASCADE, related_name="fixed_signers"
    )
    role = models.CharField(_("papel"), max_length=20, choices=Role.choices)
    person = models.ForeignKey(
        Person, verbose_name=_("pessoa"), on_delete=models.PROTECT, related_name="+"
    )
    delegate = models.ForeignKey(
        Person,
        verbose_name=_("substituto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Quem assina no lugar do titular quando a substituição está ativa."),
    )
    delegate_active = models.BooleanField(
        _("substituto assina"),
        default=False,
        help_text=_("Marque para o substituto assinar no lugar do titular nos próximos envios."),
    )
    group = models.PositiveSmallIntegerField(
        _("grupo de assinatura"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "Ordem de assinatura: quem está no grupo 2 só assina depois que todo o grupo 1 "
            "assinou. As partes (aluno, responsáveis) ficam no grupo 1."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("signatário fixo do tipo de documento")
        verbose_name_plural = _("signatários fixos dos tipos de documento")
        ordering = ["document_type", "group", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "person"], name="document_type_signer_unique_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) — {self.document_type}"

    @property
    def signing_person(self) -> Person:
        """Who signs now: the delegate when the substitution is on, else the titular."""
        if self.delegate_active and self.delegate is not None:
            return self.delegate
        return self.person


class SignerRegistration(models.Model):
    """TB_PESSOA_ASSIN_ELETRONICA: a person registered as signer under ONE configuration.

    Keyed by (configuration, person) — never by unit + e-mail as in the old design — so a sandbox
    registration can never serve a production configuration.
    """

    config = models.ForeignKey(
        SignatureConfig,
        verbose_name=_("configuração"),
        on_delete=models.CASCADE,
        related_name="signer_registrations",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("pessoa"),
        on_delete=models.CASCADE,
        related_name="signer_registrations",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unidade"), on_delete=models.PROTECT, related_name="+"
    )
    # What Clicksign knows of the person, as last sent.
    name = models.CharField(max_length=200)
    email = models.EmailField()
    cpf = models.CharField(max_length=11, blank=True)
    phone = models.CharField(max_length=11, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    auths = models.JSONField(default=list, blank=True)
    # The API the row was written under: a 1.9 signer key is reused only by the same API.
    clicksign_api = models.CharField(max_length=3, choices=ClicksignApi.choices, blank=True)
    # 1.9: the account-level signer key (reused on the next send while the identity holds);
    # 3.0: the signer id of the last envelope.
    last_clicksign_signer_id = models.CharField(max_length=64, blank=True)
    # 3.0: the envelope signer ids of the recent sends (newest last, at most 20).
    envelope_signer_ids = models.JSONField(default=list, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    registered_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pessoa registrada para assinatura eletrônica")
        verbose_name_plural = _("pessoas registradas para assinatura eletrônica")
        constraints = [
            models.UniqueConstraint(
                fields=["config", "person"], name="signer_registration_unique_config_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.config}"


class PromotionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("Em andamento")
    COMPLETED = "completed", _("Concluída")
    ABANDONED = "abandoned", _("Abandonada")


class ConfigPromotion(models.Model):
    """The "Promover para produção" wizard: from a sandbox configuration to a new production one.

    The production configuration (``target``) is created **inactive** at the first step and
    stays a draft, invisible to document types and requests, until the last step activates
    it, re-points the chosen document types and inactivates the sandbox in one transaction.
    The state lives here (not in a session) so a colleague of the same unit can pick it up,
    and so that at most one promotion of a sandbox configuration is in progress.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.ForeignKey(
        SignatureConfig, on_delete=models.PROTECT, related_name="promotions_from"
    )
    target = models.ForeignKey(
        SignatureConfig,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promotions_to",
    )
    # Kept when an abandonment removes the draft configuration.
    target_name = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=20, choices=PromotionStatus.choices, default=PromotionStatus.IN_PROGRESS
    )
    # Steps done (cleared when an earlier step changes what they checked).
    connection_ok_at = models.DateTimeField(null=True, blank=True)
    webhook_done_at = models.DateTimeField(null=True, blank=True)
    document_types = models.ManyToManyField(DocumentType, blank=True, related_name="+")
    document_types_chosen_at = models.DateTimeField(null=True, blank=True)

    started_at = models.DateTimeField(default=timezone.now, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("promoção para produção")
        verbose_name_plural = _("promoções para produção")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(status="in_progress"),
                name="config_promotion_one_in_progress_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.name} → {self.target_name or '?'} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        return self.status == PromotionStatus.IN_PROGRESS
