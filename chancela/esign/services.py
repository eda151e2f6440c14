"""Changes to configurations, document types and the sharing policy.

Every change to a configuration is audited (who, when, which fields; secrets as fingerprints).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chancela.core.crypto import fingerprint
from chancela.core.people import email_mask, name_is_complete
from chancela.esign.errors import ConfigurationError
from chancela.esign.models import (
    ConfigAuditEntry,
    ConfigPromotion,
    DocumentType,
    DocumentTypeSigner,
    Environment,
    PromotionStatus,
    SignatureConfig,
    SignerRegistration,
)
from chancela.esign.selectors import config_reach, configs_reaching_units, configs_usable_for_units
from chancela.institutions.models import Person, SharingPolicy, SharingType, Unit
from chancela.institutions.selectors import sharing_type_for, units_reached_from

TOKEN_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
WEBHOOK_SECRET_RE = re.compile(r"^[0-9a-fA-F]{32}$")

SECRET_FIELDS = {"token", "webhook_secret"}
AUDITED_FIELDS = [
    "name",
    "unit",
    "environment",
    "api_user_email",
    "token",
    "webhook_secret",
    "notification_email",
    "require_selfie",
    "require_handwritten",
    "require_official_document",
    "active",
]


def validate_token(token: str) -> str:
    token = (token or "").strip()
    if token.lower().startswith("bearer "):
        raise ConfigurationError(
            "token_bearer",
            "Informe só o token, sem a palavra “Bearer”: a Clicksign recusa esse formato.",
            "token",
        )
    if not TOKEN_RE.match(token):
        raise ConfigurationError(
            "token_format",
            "O token da Clicksign tem 36 caracteres no formato "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (letras de a a f e números). "
            "Copie-o de Configurações → API na sua conta Clicksign.",
            "token",
        )
    return token.lower()


def validate_webhook_secret(secret: str) -> str:
    secret = (secret or "").strip()
    if not WEBHOOK_SECRET_RE.match(secret):
        raise ConfigurationError(
            "webhook_secret_format",
            "A chave de segurança do webhook tem 32 caracteres (letras de a a f e números), "
            "como a Clicksign mostra ao cadastrar o webhook.",
            "webhook_secret",
        )
    return secret.lower()


def _conflicting_active_configs(
    *, unit: Unit, environment: str, exclude_pk: int | None, sharing_type: str | None = None
) -> list[SignatureConfig]:
    reach_ids = list(
        units_reached_from(unit=unit, sharing_type=sharing_type or sharing_type_for()).values_list(
            "id", flat=True
        )
    )
    qs = configs_reaching_units(reach_ids, sharing_type).filter(
        active=True, environment=environment
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.select_related("unit"))


def _ensure_single_active(*, unit: Unit, environment: str, exclude_pk: int | None) -> None:
    conflicts = _conflicting_active_configs(
        unit=unit, environment=environment, exclude_pk=exclude_pk
    )
    if conflicts:
        other = conflicts[0]
        env_label = Environment(environment).label
        raise ConfigurationError(
            "duplicate_active_config",
            f"Já existe uma configuração ativa de {env_label} para esta unidade: "
            f"“{other.name}” (unidade {other.unit.name}). Cada unidade usa uma só configuração "
            "ativa por ambiente. Inative a outra antes, ou edite-a.",
            "environment",
        )


def _refuse_promotion_draft(config: SignatureConfig) -> None:
    """A production configuration being created by “Promover para produção” is activated only
    by the wizard's last step (together with the re-pointing and the sandbox's inactivation)."""
    if ConfigPromotion.objects.filter(target=config, status=PromotionStatus.IN_PROGRESS).exists():
        raise ConfigurationError(
            "promotion_draft",
            "Esta configuração de produção está sendo criada pelo assistente “Promover para "
            "produção” e só é ativada na última etapa dele, junto com os tipos de documento. "
            "Continue a promoção a partir da configuração Sandbox.",
            "active",
        )


def _audit_value(field: str, value: Any) -> Any:
    """How a field's value is recorded in the audit: readable, and secrets as fingerprints."""
    if field in SECRET_FIELDS:
        return fingerprint(value) if value else ""
    if isinstance(value, Unit):
        return value.name
    if isinstance(value, bool):
        return "Sim" if value else "Não"
    if field == "environment" and value:
        return str(Environment(value).label)
    return value


def _audit(
    *,
    config: SignatureConfig,
    actor: Any,
    action: str,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> ConfigAuditEntry:
    labels = {f.name: str(f.verbose_name) for f in SignatureConfig._meta.fields}
    readable = {labels.get(k, k): v for k, v in (changes or {}).items()}
    return ConfigAuditEntry.objects.create(
        config=config,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        changes=readable,
        note=note,
    )


def signature_config_create(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    environment: str,
    api_user_email: str,
    token: str,
    notification_email: str,
    webhook_secret: str = "",
    require_selfie: bool = False,
    require_handwritten: bool = False,
    require_official_document: bool = False,
    active: bool = True,
) -> SignatureConfig:
    token = validate_token(token)
    secret = validate_webhook_secret(webhook_secret) if webhook_secret else None
    if environment not in Environment.values:
        raise ConfigurationError("environment", "Escolha Sandbox ou Produção.", "environment")
    with transaction.atomic():
        if active:
            _ensure_single_active(unit=unit, environment=environment, exclude_pk=None)
        config = SignatureConfig.objects.create(
            unit=unit,
            name=name.strip(),
            environment=environment,
            api_user_email=api_user_email.strip().lower(),
            token=token,
            webhook_secret=secret,
            notification_email=notification_email.strip().lower(),
            require_selfie=require_selfie,
            require_handwritten=require_handwritten,
            require_official_document=require_official_document,
            active=active,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            config=config,
            actor=actor,
            action=ConfigAuditEntry.Action.CREATED,
            changes={f: [None, _audit_value(f, getattr(config, f))] for f in AUDITED_FIELDS},
        )
    return config


def signature_config_update(
    *, actor: Any, config: SignatureConfig, **changes: Any
) -> SignatureConfig:
    """Apply the given field changes. Blank token / webhook secret mean "keep the current one".

    The environment never changes: the seed's advice (and ours) is a new configuration.
    """
    if "environment" in changes and changes["environment"] != config.environment:
        raise ConfigurationError(
            "environment_immutable",
            "O ambiente de uma configuração não muda depois de criada. Para passar da Sandbox "
            "para Produção, crie uma nova configuração (use “Promover para produção”): assim "
            "nada dos testes é reaproveitado em produção.",
            "environment",
        )
    changes.pop("environment", None)
    if "unit" in changes and changes["unit"].pk != config.unit_id:
        raise ConfigurationError(
            "unit_immutable",
            "A unidade dona de uma configuração não muda. Crie uma configuração para a outra "
            "unidade ou ajuste o compartilhamento.",
            "unit",
        )
    changes.pop("unit", None)
    if changes.get("token"):
        changes["token"] = validate_token(changes["token"])
    else:
        changes.pop("token", None)
    if changes.get("webhook_secret"):
        changes["webhook_secret"] = validate_webhook_secret(changes["webhook_secret"])
    else:
        changes.pop("webhook_secret", None)
    for email_field in ("api_user_email", "notification_email"):
        if email_field in changes:
            changes[email_field] = changes[email_field].strip().lower()

    diff: dict[str, list[Any]] = {}
    with transaction.atomic():
        config = SignatureConfig.objects.select_for_update().get(pk=config.pk)
        for field, new in changes.items():
            old = getattr(config, field)
            if old != new:
                diff[field] = [_audit_value(field, old), _audit_value(field, new)]
                if field == "webhook_secret" and old:
                    # Callbacks signed with the replaced secret still verify for a while.
                    config.previous_webhook_secret = old
                    config.previous_webhook_secret_valid_until = timezone.now() + timedelta(
                        hours=settings.CHANCELA_WEBHOOK_SECRET_GRACE_HOURS
                    )
                setattr(config, field, new)
        if not diff:
            return config
        if config.active and ("active" in diff):
            _refuse_promotion_draft(config)
            _ensure_single_active(
                unit=config.unit, environment=config.environment, exclude_pk=config.pk
            )
        config.save()
        action = ConfigAuditEntry.Action.UPDATED
        if list(diff) == ["active"]:
            action = (
                ConfigAuditEntry.Action.ACTIVATED
                if config.active
                else ConfigAuditEntry.Action.INACTIVATED
            )
        _audit(config=config, actor=actor, action=action, changes=diff)
    return config


def signature_config_set_active(
    *,
    actor: Any,
    config: SignatureConfig,
    active: bool,
    editable_units: list[Unit] | None = None,
    confirmed_other_units: Collection[int] | None = None,
) -> SignatureConfig:
    """Activate or inactivate. Inactivating a configuration that also serves units outside
    `editable_units` (the person's units) needs `confirmed_other_units` naming each of them."""
    other_units: list[Unit] = []
    if not active and editable_units is not None:
        editable = {u.pk for u in editable_units}
        other_units = [u for u in config_reach(config) if u.pk not in editable]
        other_units_confirm(
            other_units=other_units,
            confirmed_ids=confirmed_other_units,
            what=f"A configuração “{config.name}”",
        )
    with transaction.atomic():
        config = signature_config_update(actor=actor, config=config, active=active)
        _audit_other_units(
            config=config, actor=actor, other_units=other_units, note="Configuração inativada."
        )
    return config


def signature_config_audit(
    *, config: SignatureConfig, actor: Any, action: str, note: str = "", changes: dict | None = None
) -> ConfigAuditEntry:
    """Record an action taken on a configuration by another feature (tests, webhook, promotion)."""
    return _audit(config=config, actor=actor, action=action, changes=changes, note=note)


def sharing_policy_set(*, actor: Any, sharing_type: str) -> SharingPolicy:
    """Change how configurations are shared; refused if two active ones would then overlap."""
    if sharing_type not in SharingType.values:
        raise ConfigurationError(
            "sharing_type", "Tipo de compartilhamento inválido.", "sharing_type"
        )
    for config in SignatureConfig.objects.filter(active=True).select_related("unit"):
        reach = list(config_reach(config, sharing_type).values_list("id", flat=True))
        clash = (
            configs_reaching_units(reach, sharing_type)
            .filter(active=True, environment=config.environment)
            .exclude(pk=config.pk)
            .select_related("unit")
            .first()
        )
        if clash:
            raise ConfigurationError(
                "sharing_conflict",
                f"Com esse compartilhamento, as configurações ativas “{config.name}” "
                f"({config.unit.name}) e “{clash.name}” ({clash.unit.name}) passariam a atender "
                "as mesmas unidades no mesmo ambiente. Inative uma delas antes.",
                "sharing_type",
            )
    policy, _ = SharingPolicy.objects.update_or_create(
        filter_name=SharingPolicy.SIGNATURE_CONFIG,
        defaults={
            "sharing_type": sharing_type,
            "updated_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return policy


def _check_document_type_config(*, config: SignatureConfig, unit_ids: list[int]) -> None:
    if not configs_usable_for_units(unit_ids).filter(pk=config.pk).exists():
        raise ConfigurationError(
            "config_not_usable",
            "Esta configuração não está ativa ou não atende todas as unidades do tipo de "
            "documento. Escolha uma configuração ativa compartilhada com essas unidades.",
            "config",
        )


def document_type_create(
    *,
    code: str,
    name: str,
    units: list[Unit],
    config: SignatureConfig,
    default_deadline_days: int = 30,
    remind_interval: int | None = 3,
    message: str = "",
    active: bool = True,
    student_contracts: bool = False,
    **policy: Any,
) -> DocumentType:
    """Create a document type; ``policy`` holds its signature policy and retention fields
    (``legal_category``, ``required_roles``, ``retention_signed_days``...)."""
    code = code.strip().upper()
    if DocumentType.objects.filter(code=code).exists():
        raise ConfigurationError(
            "duplicate_code", f"Já existe um tipo de documento com o código {code}.", "code"
        )
    _check_document_type_config(config=config, unit_ids=[u.pk for u in units])
    with transaction.atomic():
        document_type = DocumentType.objects.create(
            code=code,
            name=name.strip(),
            config=config,
            default_deadline_days=default_deadline_days,
            remind_interval=remind_interval,
            message=message,
            active=active,
            student_contracts=student_contracts,
            **policy,
        )
        document_type.units.set(units)
    return document_type


def other_units_confirm(
    *, other_units: list[Unit], confirmed_ids: Collection[int] | None, what: str
) -> None:
    """Refuse a change that reaches units the person does not administer unless each of them
    was confirmed (the confirmation names the units, so a stale one no longer matches)."""
    if not other_units:
        return
    if confirmed_ids is not None and set(confirmed_ids) == {u.pk for u in other_units}:
        return
    names = ", ".join(sorted(u.name for u in other_units))
    raise ConfigurationError(
        "other_units_confirmation",
        f"{what} também atende unidades que você não administra: {names}. A alteração vale "
        "para elas também: combine com os responsáveis por essas unidades e marque cada uma "
        "para confirmar.",
        "confirm_other_units",
    )


def _audit_other_units(
    *, config: SignatureConfig, actor: Any, other_units: list[Unit], note: str
) -> None:
    if other_units:
        names = ", ".join(sorted(u.name for u in other_units))
        _audit(
            config=config,
            actor=actor,
            action=ConfigAuditEntry.Action.OTHER_UNITS_CONFIRMED,
            note=f"{note} Unidades de outros administradores confirmadas: {names}"[:300],
            changes={"Unidades confirmadas": [None, names]},
        )


def document_type_update(
    *,
    document_type: DocumentType,
    units: list[Unit] | None = None,
    editable_units: list[Unit] | None = None,
    actor: Any = None,
    confirmed_other_units: Collection[int] | None = None,
    **changes: Any,
) -> DocumentType:
    """Change a document type. With `editable_units` (the editor's unit filter), `units` only
    decides membership among those; units the editor cannot see are kept as they were — and
    the change needs `confirmed_other_units` naming each of them (recorded in the audit log of
    the document type's configuration)."""
    other_units: list[Unit] = []
    if editable_units is not None:
        editable = {u.pk for u in editable_units}
        other_units = [u for u in document_type.units.all() if u.pk not in editable]
        other_units_confirm(
            other_units=other_units,
            confirmed_ids=confirmed_other_units,
            what=f"O tipo de documento “{document_type.name}”",
        )
    if "code" in changes:
        code = changes["code"].strip().upper()
        if DocumentType.objects.filter(code=code).exclude(pk=document_type.pk).exists():
            raise ConfigurationError(
                "duplicate_code", f"Já existe um tipo de documento com o código {code}.", "code"
            )
        changes["code"] = code
    if units is not None and editable_units is not None:
        editable_ids = {u.pk for u in editable_units}
        hidden = [u for u in document_type.units.all() if u.pk not in editable_ids]
        units = [u for u in units if u.pk in editable_ids] + hidden
    unit_ids = (
        [u.pk for u in units]
        if units is not None
        else list(document_type.units.values_list("id", flat=True))
    )
    config = changes.get("config", document_type.config)
    if "config" in changes or units is not None:
        _check_document_type_config(config=config, unit_ids=unit_ids)
    with transaction.atomic():
        for field, value in changes.items():
            setattr(document_type, field, value)
        document_type.save()
        if units is not None:
            document_type.units.set(units)
        _audit_other_units(
            config=document_type.config,
            actor=actor,
            other_units=other_units,
            note=f"Tipo de documento “{document_type.name}” alterado.",
        )
    return document_type


def document_types_repoint(
    *,
    actor: Any,
    document_types: list[DocumentType],
    config: SignatureConfig,
    editable_units: list[Unit] | None = None,
    confirmed_other_units: Collection[int] | None = None,
) -> int:
    """Point many document types at another configuration in one action (all or nothing).

    Requests already created keep the configuration they were created with. With
    ``editable_units`` (the person's units), units of those types outside them must each be in
    ``confirmed_other_units``.
    """
    other_units: list[Unit] = []
    if editable_units is not None:
        editable = {u.pk for u in editable_units}
        reached = Unit.objects.filter(document_types__in=document_types).distinct()
        other_units = sorted((u for u in reached if u.pk not in editable), key=lambda u: u.name)
        other_units_confirm(
            other_units=other_units,
            confirmed_ids=confirmed_other_units,
            what="Algum dos tipos de documento marcados",
        )
    for document_type in document_types:
        unit_ids = list(document_type.units.values_list("id", flat=True))
        if not configs_usable_for_units(unit_ids).filter(pk=config.pk).exists():
            raise ConfigurationError(
                "config_not_usable",
                f"A configuração “{config.name}” não atende todas as unidades do tipo "
                f"“{document_type.name}”. Nenhum tipo foi alterado.",
                "config",
            )
    with transaction.atomic():
        previous = {dt.pk: dt.config for dt in document_types}
        DocumentType.objects.filter(pk__in=[dt.pk for dt in document_types]).update(
            config=config, updated_at=timezone.now()
        )
        names = ", ".join(sorted(dt.name for dt in document_types))
        _audit(
            config=config,
            actor=actor,
            action=ConfigAuditEntry.Action.DOCUMENT_TYPES_REPOINTED,
            note=f"Tipos de documento passaram a usar esta configuração: {names}",
        )
        for old in {c.pk: c for c in previous.values() if c.pk != config.pk}.values():
            _audit(
                config=old,
                actor=actor,
                action=ConfigAuditEntry.Action.DOCUMENT_TYPES_REPOINTED,
                note=f"Tipos de documento passaram a usar “{config.name}”: {names}",
            )
        _audit_other_units(
            config=config,
            actor=actor,
            other_units=other_units,
            note=f"Tipos de documento apontados para esta configuração: {names}.",
        )
    return len(document_types)


# --- Signers fixed on a document type (institution, witnesses) -----------------------------


def _check_fixed_signer_person(person: Person, label: str, field: str) -> None:
    if not name_is_complete(person.name):
        raise ConfigurationError(
            "person_name_incomplete",
            f"O cadastro de {person.name} não tem nome e sobrenome: a Clicksign recusa.",
            field,
        )
    if not person.email:
        raise ConfigurationError(
            "person_email_missing",
            f"{person.name} ({label}) não tem e-mail cadastrado: o convite de assinatura vai "
            "por e-mail. Complete o cadastro antes.",
            field,
        )


def document_type_signer_add(
    *,
    document_type: DocumentType,
    person: Person,
    role: str,
    group: int = 2,
    delegate: Person | None = None,
) -> DocumentTypeSigner:
    """Name a person of one of the type's units who signs every request of that unit."""
    if role not in DocumentTypeSigner.Role.values:
        raise ConfigurationError("role", "Escolha Instituição ou Testemunha.", "role")
    if not 1 <= group <= 20:
        raise ConfigurationError("group", "O grupo de assinatura vai de 1 a 20.", "group")
    if not document_type.units.filter(pk=person.unit_id).exists():
        raise ConfigurationError(
            "person_unit",
            f"{person.name} não é de uma unidade que envia “{document_type.name}”.",
            "person",
        )
    _check_fixed_signer_person(person, "titular", "person")
    if delegate is not None:
        if delegate.pk == person.pk:
            raise ConfigurationError(
                "delegate_same", "O substituto precisa ser outra pessoa.", "delegate"
            )
        if delegate.unit_id != person.unit_id:
            raise ConfigurationError(
                "delegate_unit",
                f"O substituto precisa ser da mesma unidade que {person.name}.",
                "delegate",
            )
        _check_fixed_signer_person(delegate, "substituto", "delegate")
    if DocumentTypeSigner.objects.filter(document_type=document_type, person=person).exists():
        raise ConfigurationError(
            "duplicate_fixed_signer",
            f"{person.name} já assina este tipo de documento.",
            "person",
        )
    return DocumentTypeSigner.objects.create(
        document_type=document_type, person=person, role=role, group=group, delegate=delegate
    )


def document_type_signer_set_delegate_active(
    *, signer: DocumentTypeSigner, active: bool
) -> DocumentTypeSigner:
    if active and signer.delegate is None:
        raise ConfigurationError(
            "no_delegate", "Este signatário não tem substituto cadastrado.", "delegate"
        )
    signer.delegate_active = active
    signer.save(update_fields=["delegate_active"])
    return signer


def document_type_signer_remove(*, signer: DocumentTypeSigner) -> None:
    """Requests already created keep their signers; only new requests change."""
    signer.delete()


# --- TB_PESSOA_ASSIN_ELETRONICA clean-up ---------------------------------------------------


def signer_registrations_purge(
    *, registrations: list[SignerRegistration], actor: Any = None, note: str = ""
) -> dict[SignatureConfig, int]:
    """Delete exactly the given registrations; one audit entry per configuration touched.

    Returns how many rows were deleted per configuration.
    """
    by_config: dict[int, list[SignerRegistration]] = {}
    configs: dict[int, SignatureConfig] = {}
    for registration in registrations:
        by_config.setdefault(registration.config_id, []).append(registration)
        configs[registration.config_id] = registration.config
    deleted: dict[SignatureConfig, int] = {}
    with transaction.atomic():
        for config_id, rows in by_config.items():
            count, _ = SignerRegistration.objects.filter(
                pk__in=[row.pk for row in rows], config_id=config_id
            ).delete()
            config = configs[config_id]
            deleted[config] = count
            emails = sorted({email_mask(row.email) for row in rows})
            _audit(
                config=config,
                actor=actor,
                action=ConfigAuditEntry.Action.SIGNER_REGISTRATIONS_PURGED,
                changes={"E-mails removidos": [None, ", ".join(emails)]},
                note=(
                    f"{count} pessoa(s) registrada(s) para assinatura removida(s). {note}"
                ).strip()[:300],
            )
    return deleted
