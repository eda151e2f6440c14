from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import EmailValidator
from django.db.models import Field, QuerySet
from django.urls import reverse
from django.utils.html import format_html

from chancela.esign.errors import ConfigurationError
from chancela.esign.models import (
    DocumentType,
    DocumentTypeSigner,
    Environment,
    LegalCategory,
    RemindInterval,
    SignatureConfig,
    SigningOrder,
)
from chancela.esign.selectors import person_find
from chancela.esign.services import validate_token, validate_webhook_secret
from chancela.institutions.models import SharingType, Unit, UnitGroup

HELP = {
    "environment": (
        "Sandbox é o ambiente de homologação: testes gratuitos, "
        "<strong>sem validade jurídica</strong>. "
        "Produção é o ambiente das assinaturas com validade jurídica, depois da homologação. "
        "Os endereços vêm da instalação do Chancela e não são digitados aqui."
    ),
    "api_user_email": (
        "Na sua conta Clicksign: <em>Configurações → API</em>, campo “E-mail do usuário da API” "
        "(botão <em>Salvar e-mail</em>). Sem esse e-mail a Clicksign recusa todas as chamadas."
    ),
    "token": (
        "Na sua conta Clicksign: <em>Configurações → API → Gerar Access Token</em>. Copie o token "
        "gerado, no formato xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. Ele é guardado criptografado "
        "e nunca volta a ser exibido."
    ),
    "webhook_secret": (
        "Cadastre a <em>URL do Webhook</em> acima na Clicksign (<em>Configurações → API → "
        "Adicionar Webhook</em>); a Clicksign então mostra a chave “HMAC SHA256 Secret”, de 32 "
        "caracteres. Copie-a aqui — ou, depois de salvar, use “Registrar webhook na Clicksign”, "
        "que cadastra a URL e guarda a chave sozinho."
    ),
    "notification_email": (
        "E-mail da instituição que recebe um registro (log) sempre que ocorrer um erro no envio "
        "de um documento para a Clicksign."
    ),
    "require_selfie": (
        "Pede a cada signatário uma selfie, tirada com a câmera do dispositivo, como ponto de "
        "autenticação no momento da assinatura."
    ),
    "require_handwritten": (
        "Pede a assinatura manuscrita, desenhada na tela, como ponto de autenticação."
    ),
    "require_official_document": (
        "Pede a foto (frente e verso) de um documento oficial do signatário como ponto de "
        "autenticação."
    ),
    "active": "Só configurações ativas podem ser escolhidas nos tipos de documento.",
}


def environment_choices() -> list[tuple[str, str]]:
    return [
        (Environment.SANDBOX, f"Sandbox (homologação) — {settings.CLICKSIGN_URLS['sandbox']}"),
        (Environment.PRODUCTION, f"Produção — {settings.CLICKSIGN_URLS['production']}"),
    ]


def environment_immutable_help(config: SignatureConfig) -> str:
    """Why the environment is fixed, with the way forward (the promotion wizard)."""
    text = (
        "O ambiente não muda depois de criada. Para ir da Sandbox para Produção, crie "
        "uma nova configuração — é a orientação da Clicksign e garante que nada dos "
        "testes seja reaproveitado em produção."
    )
    if config.is_sandbox:
        url = reverse("esign:promotion_start", args=[config.public_id])
        text += format_html(
            ' Use <a href="{}">Promover para produção</a>: o assistente cria a configuração de '
            "produção, testa a conexão, registra o webhook, aponta os tipos de documento e "
            "inativa esta Sandbox.",
            url,
        )
    return text


class SignatureSettingsFields(forms.Form):
    """The fields a production configuration takes over from its sandbox: the notification
    e-mail and the authentication points ("tipo de assinatura"), with Portuguese messages."""

    notification_email = forms.EmailField(
        label="Email para notificações", help_text=HELP["notification_email"]
    )
    require_selfie = forms.BooleanField(
        label="Solicita Selfie", required=False, help_text=HELP["require_selfie"]
    )
    require_handwritten = forms.BooleanField(
        label="Solicita assinatura manuscrita",
        required=False,
        help_text=HELP["require_handwritten"],
    )
    require_official_document = forms.BooleanField(
        label="Solicita documento", required=False, help_text=HELP["require_official_document"]
    )

    def set_messages_in_portuguese(self) -> None:
        for field in self.fields.values():
            field.error_messages["required"] = "Este campo é obrigatório."
        for name in ("api_user_email", "notification_email"):
            if name in self.fields:
                self.fields[name].error_messages["invalid"] = (
                    "Informe um e-mail válido, por exemplo secretaria@escola.edu.br."
                )


class SignatureConfigForm(SignatureSettingsFields):
    unit = forms.ModelChoiceField(
        label="Unidade",
        queryset=Unit.objects.none(),
        empty_label="Escolha a unidade",
        help_text="A unidade dona da configuração. O compartilhamento definido em "
        "“Informações compartilhadas” diz quais outras unidades também a usam.",
    )
    name = forms.CharField(
        label="Descrição",
        max_length=120,
        help_text="Um nome para reconhecer a configuração, por exemplo “Clicksign Homologação”.",
    )
    environment = forms.ChoiceField(
        label="URL do serviço", widget=forms.RadioSelect, help_text=HELP["environment"]
    )
    api_user_email = forms.EmailField(
        label="E-mail do usuário da API", help_text=HELP["api_user_email"]
    )
    token = forms.CharField(
        label="Chave de autenticação (Token)",
        required=True,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=HELP["token"],
    )
    webhook_secret = forms.CharField(
        label="Chave de segurança do Webhook",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=HELP["webhook_secret"],
    )
    active = forms.BooleanField(
        label="Ativa", required=False, initial=True, help_text=HELP["active"]
    )

    error_messages = {"required": "Este campo é obrigatório."}

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit],
        instance: SignatureConfig | None = None,
        **kwargs: Any,
    ) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "unit": instance.unit_id,
                    "name": instance.name,
                    "environment": instance.environment,
                    "api_user_email": instance.api_user_email,
                    "notification_email": instance.notification_email,
                    "require_selfie": instance.require_selfie,
                    "require_handwritten": instance.require_handwritten,
                    "require_official_document": instance.require_official_document,
                    "active": instance.active,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if instance is None and len(units) == 1:
            self.fields["unit"].initial = units[0].pk
        self.fields["environment"].choices = environment_choices()  # type: ignore[attr-defined]
        self.set_messages_in_portuguese()
        if instance is not None:
            self.fields["unit"].disabled = True
            self.fields["unit"].help_text = "A unidade dona não muda depois de criada."
            self.fields["environment"].disabled = True
            self.fields["environment"].help_text = environment_immutable_help(instance)
            self.fields["token"].required = False
            self.fields["token"].help_text = (
                "Deixe em branco para manter o token atual. " + HELP["token"]
            )
            self.fields["webhook_secret"].help_text = (
                "Deixe em branco para manter a chave atual. " + HELP["webhook_secret"]
            )

    def clean_token(self) -> str:
        token = self.cleaned_data.get("token", "")
        return _checked(validate_token, token) if token else token

    def clean_webhook_secret(self) -> str:
        secret = self.cleaned_data.get("webhook_secret", "")
        return _checked(validate_webhook_secret, secret) if secret else secret


def _checked(validator: Any, value: str) -> str:
    try:
        return str(validator(value))
    except ConfigurationError as error:
        raise forms.ValidationError(error.message, code=error.code) from error


POLICY_AUTH_CHOICES = [
    ("selfie", "Selfie"),
    ("official_document", "Documento oficial (frente e verso)"),
    ("handwritten", "Assinatura manuscrita"),
]
POLICY_ROLE_CHOICES = [
    ("student", "Aluno"),
    ("guardian", "Responsável"),
    ("financial_guardian", "Responsável financeiro"),
    ("institution", "Instituição"),
]
POLICY_FIELDS = (
    "legal_category",
    "legal_basis",
    "required_auths",
    "required_roles",
    "min_witnesses",
    "signing_order",
    "max_deadline_days",
    "minor_biometrics_justification",
    "retention_signed_days",
    "retention_unsigned_days",
    "retention_batch_rows_days",
    "retention_callbacks_days",
)


def other_units_field(units: QuerySet[Unit], what: str) -> forms.ModelMultipleChoiceField:
    """The confirmation a change needs when it also reaches units the person does not
    administer: one box per unit, named."""
    return forms.ModelMultipleChoiceField(
        label="Unidades de outros administradores",
        queryset=units,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Este {what} também atende estas unidades, que você não administra: a "
        "alteração vale para elas também. Marque cada uma para confirmar que combinou com os "
        "responsáveis.",
    )


class ConfigChoiceField(forms.ModelChoiceField):
    """A configuration by its name, with its environment only when the name does not say it
    already (never "Clicksign Sandbox (homologação) (Sandbox (homologação))")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "Escolha a configuração")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        environment = str(obj.get_environment_display())
        if environment.split(" (")[0].lower() in obj.name.lower():
            return str(obj.name)
        return f"{obj.name} ({environment})"


class DocumentTypeForm(forms.Form):
    code = forms.CharField(
        label="Código",
        max_length=40,
        help_text="Identificador usado pelo sistema acadêmico na API, por exemplo "
        "CONTRATO_MATRICULA. Letras, números e sublinhado.",
    )
    name = forms.CharField(label="Nome", max_length=150)
    units = forms.ModelMultipleChoiceField(
        label="Unidades",
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Unidades que enviam este tipo de documento.",
    )
    config = ConfigChoiceField(
        label="Configuração de assinatura",
        queryset=SignatureConfig.objects.none(),
        help_text="Só aparecem configurações ativas. A configuração precisa atender todas as "
        "unidades escolhidas (veja “Informações compartilhadas”).",
    )
    default_deadline_days = forms.IntegerField(
        label="Prazo para assinar (dias)",
        min_value=1,
        max_value=90,
        initial=30,
        help_text="Entre 1 e 90 dias: a Clicksign não aceita prazo maior.",
    )
    remind_interval = forms.TypedChoiceField(
        label="Lembretes automáticos",
        choices=[("", "Não enviar lembretes"), *RemindInterval.choices],
        coerce=int,
        empty_value=None,
        required=False,
        initial=3,
        help_text="A Clicksign envia no máximo 3 lembretes.",
    )
    message = forms.CharField(
        label="Mensagem aos signatários",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Texto do e-mail de solicitação de assinatura.",
    )
    student_contracts = forms.BooleanField(
        label="O aluno é o contratante",
        required=False,
        help_text="O aluno assina como “Contratante” na Clicksign (e não só “Assinar”). "
        "Responsável financeiro assina sempre como contratante.",
    )
    # --- signature policy (chancela.signing.policy) -------------------------------------
    legal_category = forms.ChoiceField(
        label="Categoria legal da assinatura",
        choices=LegalCategory.choices,
        initial=LegalCategory.ELECTRONIC,
        required=False,
        help_text="“Exige ICP-Brasil”: documentos que a lei manda assinar com certificado "
        "ICP-Brasil (ex.: diploma digital do MEC). Nunca são enviados pela Clicksign.",
    )
    legal_basis = forms.CharField(
        label="Norma que exige ICP-Brasil",
        max_length=400,
        required=False,
        help_text="Citada quando um envio é recusado. Em branco: as portarias do MEC sobre "
        "diploma digital e acervo acadêmico.",
    )
    required_auths = forms.MultipleChoiceField(
        label="Autenticações mínimas de cada signatário",
        choices=POLICY_AUTH_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Somam-se ao token e ao que a configuração já pede.",
    )
    required_roles = forms.MultipleChoiceField(
        label="Papéis que precisam assinar",
        choices=POLICY_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Um envio sem algum destes papéis é recusado.",
    )
    min_witnesses = forms.IntegerField(
        label="Testemunhas obrigatórias", min_value=0, max_value=10, initial=0, required=False
    )
    signing_order = forms.ChoiceField(
        label="Ordem de assinatura", choices=SigningOrder.choices, required=False
    )
    max_deadline_days = forms.IntegerField(
        label="Prazo máximo (dias)",
        min_value=1,
        max_value=90,
        required=False,
        help_text="Em branco: o limite da Clicksign (90 dias).",
    )
    minor_biometrics_justification = forms.CharField(
        label="Justificativa para pedir selfie ou documento oficial a menor de 18 anos",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="LGPD arts. 11 e 14. Sem ela, cada envio com biometria de menor precisa "
        "trazer a sua.",
    )
    # --- retention (chancela.signing.retention) --------------------------------------
    retention_signed_days = forms.IntegerField(
        label="Guarda das solicitações assinadas (dias)", min_value=1, initial=3650, required=False
    )
    retention_unsigned_days = forms.IntegerField(
        label="Guarda das canceladas, recusadas, expiradas ou com falha (dias)",
        min_value=1,
        initial=180,
        required=False,
    )
    retention_batch_rows_days = forms.IntegerField(
        label="Guarda das linhas de lote (dias)", min_value=1, initial=90, required=False
    )
    retention_callbacks_days = forms.IntegerField(
        label="Guarda dos retornos brutos da Clicksign (dias)",
        min_value=1,
        initial=30,
        required=False,
    )
    active = forms.BooleanField(label="Ativo", required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit],
        configs: QuerySet[SignatureConfig],
        instance: DocumentType | None = None,
        other_units: QuerySet[Unit] | None = None,
        **kwargs: Any,
    ) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": instance.code,
                    "name": instance.name,
                    "units": list(instance.units.all()),
                    "config": instance.config_id,
                    "default_deadline_days": instance.default_deadline_days,
                    "remind_interval": instance.remind_interval,
                    "message": instance.message,
                    "student_contracts": instance.student_contracts,
                    "active": instance.active,
                    **{name: getattr(instance, name) for name in POLICY_FIELDS},
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units  # type: ignore[attr-defined]
        self.fields["config"].queryset = configs.filter(active=True)  # type: ignore[attr-defined]
        if other_units is not None and other_units.exists():
            self.fields["confirm_other_units"] = other_units_field(other_units, "tipo de documento")
        for field in self.fields.values():
            field.error_messages["required"] = "Este campo é obrigatório."
        self.fields["default_deadline_days"].error_messages.update(
            {
                "max_value": "A Clicksign aceita no máximo 90 dias de prazo.",
                "min_value": "O prazo mínimo é 1 dia.",
                "invalid": "Informe um número inteiro de dias.",
            }
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Left blank (or posted by an older page): the model's default.
        for name in POLICY_FIELDS:
            if name in cleaned and cleaned[name] in (None, "") and name != "max_deadline_days":
                model_field = DocumentType._meta.get_field(name)
                assert isinstance(model_field, Field)
                cleaned[name] = model_field.get_default()
        limit, default = cleaned.get("max_deadline_days"), cleaned.get("default_deadline_days")
        if limit and default and default > limit:
            self.add_error(
                "default_deadline_days",
                f"O prazo padrão ({default} dias) passa do prazo máximo do tipo ({limit} dias).",
            )
        retention = (cleaned.get("retention_signed_days"), cleaned.get("retention_unsigned_days"))
        if all(retention) and retention[1] > retention[0]:  # type: ignore[operator]
            self.add_error(
                "retention_unsigned_days",
                "A guarda das solicitações não assinadas deve ser menor que a das assinadas.",
            )
        return cleaned

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not code.replace("_", "").replace("-", "").isalnum():
            raise forms.ValidationError("Use só letras, números, hífen e sublinhado.")
        return code


class RepointForm(forms.Form):
    document_types = forms.ModelMultipleChoiceField(
        label="Tipos de documento",
        queryset=DocumentType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Marque ao menos um tipo de documento."},
    )
    config = ConfigChoiceField(
        label="Nova configuração",
        queryset=SignatureConfig.objects.none(),
        error_messages={"required": "Escolha a configuração de destino."},
    )

    def __init__(
        self,
        *args: Any,
        document_types: QuerySet[DocumentType],
        configs: QuerySet[SignatureConfig],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_types"].queryset = document_types  # type: ignore[attr-defined]
        self.fields["config"].queryset = configs.filter(active=True)  # type: ignore[attr-defined]


class SharingPolicyForm(forms.Form):
    sharing_type = forms.ChoiceField(
        label="Tipo de compartilhamento",
        choices=SharingType.choices,
        widget=forms.RadioSelect,
        help_text="Vale para o filtro ConfiguracaoAssinaturaEletronica: quais unidades usam uma "
        "configuração de assinatura eletrônica criada em uma unidade.",
    )


class DocumentTypeSignerForm(forms.Form):
    """A signer fixed on a document type: a person of one of its units (by code, e-mail, CPF)."""

    role = forms.ChoiceField(label="Papel", choices=DocumentTypeSigner.Role.choices)
    unit = forms.ModelChoiceField(
        label="Unidade", queryset=Unit.objects.none(), empty_label="Escolha a unidade"
    )
    person = forms.CharField(
        label="Pessoa (matrícula, e-mail ou CPF)",
        max_length=100,
        help_text="Por exemplo o diretor ou a secretária da unidade, como cadastrados em Pessoas.",
    )
    delegate = forms.CharField(
        label="Substituto (matrícula, e-mail ou CPF)",
        max_length=100,
        required=False,
        help_text="Opcional: quem assina no lugar do titular quando a substituição é ativada.",
    )
    group = forms.IntegerField(
        label="Grupo de assinatura",
        min_value=1,
        max_value=20,
        initial=2,
        help_text="As partes (aluno, responsáveis) ficam no grupo 1; o grupo 2 assina depois.",
    )

    prefix = "fixo"

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
        for field in self.fields.values():
            field.error_messages["required"] = "Este campo é obrigatório."

    def clean(self) -> dict[str, Any]:
        """Turn the references typed into people of the chosen unit."""
        cleaned = super().clean() or {}
        unit = cleaned.get("unit")
        for name in ("person", "delegate"):
            reference = cleaned.get(name) or ""
            if not reference:
                cleaned[name] = None
                continue
            found = (
                person_find(units=Unit.objects.filter(pk=unit.pk), reference=reference)
                if unit
                else None
            )
            if found is None and unit is not None:
                self.add_error(name, "Nenhuma pessoa (ou mais de uma) da unidade com esse dado.")
            cleaned[name] = found
        return cleaned


# --- “Promover para produção” --------------------------------------------------------------


class PromotionCredentialsForm(SignatureSettingsFields):
    """Step 1: what production needs of its own (token, API user e-mail); the rest prefilled."""

    name = forms.CharField(
        label="Descrição",
        max_length=120,
        help_text="Nome da nova configuração de produção.",
    )
    api_user_email = forms.EmailField(
        label="E-mail do usuário da API",
        help_text="O e-mail do usuário da API configurado na conta Clicksign de "
        "<strong>produção</strong> (<em>Configurações → API</em>, botão <em>Salvar e-mail</em>). "
        "Sem ele a Clicksign recusa todas as chamadas.",
    )
    token = forms.CharField(
        label="Chave de autenticação (Token)",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="O token gerado na conta Clicksign de <strong>produção</strong> "
        "(<em>Configurações → API → Gerar Access Token</em>). O token da Sandbox não serve: as "
        "contas são outras. Guardado criptografado e nunca exibido.",
    )

    def __init__(
        self,
        *args: Any,
        source: SignatureConfig,
        target: SignatureConfig | None = None,
        **kwargs: Any,
    ) -> None:
        from chancela.esign.promotion import promotion_name_suggestion

        prefill = target or source
        initial = {
            "name": target.name if target else promotion_name_suggestion(source.name),
            # production has its own API user: asked for, not copied
            "api_user_email": target.api_user_email if target else "",
            "notification_email": prefill.notification_email,
            "require_selfie": prefill.require_selfie,
            "require_handwritten": prefill.require_handwritten,
            "require_official_document": prefill.require_official_document,
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.target = target
        self.set_messages_in_portuguese()
        if target is not None:
            self.fields["token"].required = False
            self.fields["token"].help_text = (
                f"Configurado — termina em {target.token_fingerprint}. Deixe em branco para "
                "manter; um token novo pede um novo teste de conexão e um novo webhook."
            )

    def clean_token(self) -> str:
        token = self.cleaned_data.get("token", "")
        return _checked(validate_token, token) if token else token


class PromotionWebhookSecretForm(forms.Form):
    webhook_secret = forms.CharField(
        label="Chave de segurança do Webhook",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="A chave “HMAC SHA256 Secret” (32 caracteres) que a Clicksign de produção "
        "mostra depois que a URL do webhook acima é cadastrada em <em>Configurações → API → "
        "Adicionar Webhook</em>.",
        error_messages={"required": "Informe a chave que a Clicksign mostrou."},
    )

    def clean_webhook_secret(self) -> str:
        return _checked(validate_webhook_secret, self.cleaned_data["webhook_secret"])


class PromotionDocumentTypesForm(forms.Form):
    document_types = forms.ModelMultipleChoiceField(
        label="Tipos de documento que passam a usar a produção",
        queryset=DocumentType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, document_types: QuerySet[DocumentType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_types"].queryset = document_types  # type: ignore[attr-defined]


# --- Limpeza de pessoas registradas para assinatura (TB_PESSOA_ASSIN_ELETRONICA) ------------


class SignerRegistrationPurgeForm(forms.Form):
    """The filters of the clean-up screen (sent by GET: showing the preview changes nothing)."""

    units = forms.ModelMultipleChoiceField(
        label="Unidades",
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    unit_groups = forms.ModelMultipleChoiceField(
        label="Grupos de unidades",
        queryset=UnitGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Todas as unidades do grupo que estão no seu filtro de unidades.",
    )
    emails = forms.CharField(
        label="E-mails usados nos testes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Um por linha (ou separados por vírgula). Com unidades ou grupos, só as "
        "pessoas com estes e-mails nessas unidades; sem eles, em todas as suas unidades.",
    )
    include_production = forms.BooleanField(
        label="Incluir configurações de produção",
        required=False,
        help_text="Sem esta opção só saem registros de configurações Sandbox. Em produção, o "
        "registro removido é refeito no próximo envio.",
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units  # type: ignore[attr-defined]
        groups = UnitGroup.objects.filter(units__in=units).distinct()
        self.fields["unit_groups"].queryset = groups  # type: ignore[attr-defined]
        if not groups.exists():
            self.fields["unit_groups"].help_text = "Nenhum grupo de unidades no seu filtro."

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data.get("emails") or ""
        emails = [part.strip().lower() for part in re.split(r"[\s,;]+", raw) if part.strip()]
        validator = EmailValidator()
        wrong = []
        for email in emails:
            try:
                validator(email)
            except forms.ValidationError:
                wrong.append(email)
        if wrong:
            raise forms.ValidationError(f"E-mail inválido: {', '.join(wrong)}.")
        return list(dict.fromkeys(emails))
