"""“Promover para produção”: from a sandbox configuration to a new production configuration.

The seed's advice, as a wizard: when homologation is over, create a *new* configuration for
production, point each document type at it and inactivate the sandbox one — so nothing of the
tests (signer registrations, Clicksign ids, token, webhook secret) is ever reused in production.

Steps (state in :class:`ConfigPromotion`, shared by every user of the owner unit):

1. ``dados`` — production token and API user e-mail (the rest prefilled from the sandbox). The
   production configuration is created **inactive** (a draft nobody can choose or send with).
2. ``conexao`` — "Testar conexão" must pass (again after any change of token or e-mail).
3. ``webhook`` — register the webhook on the production account, or type its secret by hand.
4. ``tipos`` — which document types that use the sandbox move to production.
5. ``confirmar`` — one transaction: activate the production configuration, re-point the chosen
   document types, inactivate the sandbox. Requests already created keep their configuration
   (and environment), so sandbox requests in flight stay "sem validade jurídica".

Abandoning removes the draft (and deactivates the webhook it registered on Clicksign). Network
calls (test, webhook) happen outside transactions; every step is audited on both
configurations (the step's own audit action on the draft when it has one).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from chancela.esign.connection import (
    ConnectionCheck,
    WebhookRegistration,
    signature_config_register_webhook,
    signature_config_test_connection,
    signature_config_webhook_deactivate,
)
from chancela.esign.errors import ConfigurationError
from chancela.esign.models import (
    ConfigAuditEntry,
    ConfigPromotion,
    ConnectionStatus,
    DocumentType,
    Environment,
    PromotionStatus,
    SignatureConfig,
)
from chancela.esign.selectors import (
    config_reach,
    config_requests_in_flight,
    configs_usable_for_units,
)
from chancela.esign.services import (
    _audit_other_units,
    _conflicting_active_configs,
    document_types_repoint,
    other_units_confirm,
    signature_config_audit,
    signature_config_create,
    signature_config_update,
    validate_token,
    validate_webhook_secret,
)
from chancela.institutions.models import Unit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotionStep:
    key: str
    title: str


STEPS = (
    PromotionStep("dados", "Dados da produção"),
    PromotionStep("conexao", "Testar conexão"),
    PromotionStep("webhook", "Webhook"),
    PromotionStep("tipos", "Tipos de documento"),
    PromotionStep("confirmar", "Confirmar"),
)
STEP_KEYS = [step.key for step in STEPS]


def promotion_steps_done(promotion: ConfigPromotion | None) -> dict[str, bool]:
    """Which steps are done. The last one ("confirmar") is done only when completed."""
    if promotion is None:
        return dict.fromkeys(STEP_KEYS, False)
    target = promotion.target
    return {
        "dados": target is not None,
        "conexao": target is not None and promotion.connection_ok_at is not None,
        "webhook": target is not None
        and promotion.webhook_done_at is not None
        and bool(target.webhook_secret),
        "tipos": promotion.document_types_chosen_at is not None,
        "confirmar": promotion.status == PromotionStatus.COMPLETED,
    }


def promotion_next_step(promotion: ConfigPromotion | None) -> str:
    """The first step not done yet (where a person resumes)."""
    done = promotion_steps_done(promotion)
    return next((key for key in STEP_KEYS if not done[key]), STEP_KEYS[-1])


def promotion_step_reachable(promotion: ConfigPromotion | None, step: str) -> bool:
    """A step can be shown when every step before it is done (going back is always allowed)."""
    done = promotion_steps_done(promotion)
    return all(done[key] for key in STEP_KEYS[: STEP_KEYS.index(step)])


_SANDBOX_WORDS = re.compile(r"\b(sandbox|homologa[çc][ãa]o|homolog|testes?)\b", re.IGNORECASE)


def promotion_name_suggestion(source_name: str) -> str:
    """“Clicksign Homologação” → “Clicksign Produção”; otherwise “<name> — Produção”."""
    if _SANDBOX_WORDS.search(source_name):
        name = _SANDBOX_WORDS.sub("Produção", source_name, count=1)
        head, _, tail = name.partition("Produção")
        name = head + "Produção" + _SANDBOX_WORDS.sub("", tail)
        name = re.sub(r"\(\s*\)|\[\s*\]", "", name)
        name = re.sub(r"\s{2,}", " ", name).strip(" -—–")
    else:
        name = f"{source_name} — Produção"
    return name[:120]


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _locked(promotion: ConfigPromotion) -> ConfigPromotion:
    """The promotion row locked for update; refuses one that is no longer in progress."""
    locked = ConfigPromotion.objects.select_for_update().get(pk=promotion.pk)
    if locked.status != PromotionStatus.IN_PROGRESS:
        raise ConfigurationError(
            "promotion_not_in_progress",
            "Esta promoção para produção já foi "
            + ("concluída." if locked.status == PromotionStatus.COMPLETED else "abandonada.")
            + " Nada foi alterado.",
            None,
        )
    return locked


def _require(promotion: ConfigPromotion, step: str) -> SignatureConfig:
    """The production draft, for a step of a promotion in progress whose earlier steps are done
    (as the database says now: the promotion and both configurations are refreshed);
    refuses otherwise."""
    promotion.refresh_from_db()
    promotion.source.refresh_from_db()
    if promotion.target is not None:
        promotion.target.refresh_from_db()
    if promotion.status != PromotionStatus.IN_PROGRESS:
        raise ConfigurationError(
            "promotion_not_in_progress",
            "Esta promoção para produção não está mais em andamento. Nada foi alterado.",
            None,
        )
    if not promotion_step_reachable(promotion, step):
        pending = next(s for s in STEPS if s.key == promotion_next_step(promotion))
        raise ConfigurationError(
            "promotion_step_pending",
            f"Conclua antes a etapa “{pending.title}”.",
            None,
        )
    assert promotion.target is not None  # created at step 1, removed only when abandoned
    return promotion.target


def _audit_source(promotion: ConfigPromotion, actor: Any, note: str, action: str = "") -> None:
    signature_config_audit(
        config=promotion.source,
        actor=actor,
        action=action or ConfigAuditEntry.Action.PROMOTION_STEP,
        note=note[:300],
    )


def _refuse_sandbox_token(source: SignatureConfig, token: str) -> None:
    if token == source.token:
        raise ConfigurationError(
            "promotion_sandbox_token",
            "Este é o token da Sandbox. A produção tem conta e token próprios: gere o token em "
            "Configurações → API na conta Clicksign de produção. Nada da Sandbox é "
            "reaproveitado em produção.",
            "token",
        )


def _refuse_existing_production(source: SignatureConfig) -> None:
    conflicts = _conflicting_active_configs(
        unit=source.unit, environment=Environment.PRODUCTION, exclude_pk=None
    )
    if conflicts:
        other = conflicts[0]
        raise ConfigurationError(
            "promotion_production_exists",
            f"Já existe uma configuração de Produção ativa que atende esta unidade: "
            f"“{other.name}” (unidade {other.unit.name}). Cada unidade usa uma só configuração "
            "ativa por ambiente: aponte os tipos de documento para ela em “Tipos de documento” "
            "e inative a Sandbox — ou inative a outra antes de promover esta.",
            None,
        )


# --------------------------------------------------------------------------- step 1: dados


def config_promotion_start(
    *,
    actor: Any,
    source: SignatureConfig,
    name: str,
    api_user_email: str,
    token: str,
    notification_email: str,
    require_selfie: bool = False,
    require_handwritten: bool = False,
    require_official_document: bool = False,
) -> ConfigPromotion:
    """Start promoting ``source``: create the production configuration, inactive."""
    if not source.is_sandbox:
        raise ConfigurationError(
            "promotion_not_sandbox",
            "Só uma configuração Sandbox (homologação) é promovida para produção.",
            None,
        )
    token = validate_token(token)
    _refuse_sandbox_token(source, token)
    _refuse_existing_production(source)
    in_progress = ConfigurationError(
        "promotion_in_progress",
        "Já há uma promoção para produção desta configuração em andamento: continue-a.",
        None,
    )
    if ConfigPromotion.objects.filter(source=source, status=PromotionStatus.IN_PROGRESS).exists():
        raise in_progress
    try:
        with transaction.atomic():
            target = signature_config_create(
                actor=actor,
                unit=source.unit,
                name=name,
                environment=Environment.PRODUCTION,
                api_user_email=api_user_email,
                token=token,
                notification_email=notification_email,
                require_selfie=require_selfie,
                require_handwritten=require_handwritten,
                require_official_document=require_official_document,
                active=False,
            )
            promotion = ConfigPromotion.objects.create(
                source=source, target=target, target_name=target.name, started_by=_actor(actor)
            )
            signature_config_audit(
                config=target,
                actor=actor,
                action=ConfigAuditEntry.Action.PROMOTION_STARTED,
                note=(
                    f"Criada inativa pelo assistente “Promover para produção” a partir da "
                    f"Sandbox “{source.name}”. Nada da Sandbox (token, chave do webhook, pessoas "
                    "registradas) é reaproveitado."
                )[:300],
            )
            _audit_source(
                promotion,
                actor,
                f"Promoção iniciada: configuração de produção “{target.name}” criada, inativa "
                "até a conclusão.",
                ConfigAuditEntry.Action.PROMOTION_STARTED,
            )
    except IntegrityError as error:  # a colleague started it at the same moment
        raise in_progress from error
    logger.info(
        "config promotion started",
        extra={"promotion": str(promotion.public_id), "source": str(source.public_id)},
    )
    return promotion


def config_promotion_credentials_update(
    *,
    actor: Any,
    promotion: ConfigPromotion,
    name: str,
    api_user_email: str,
    notification_email: str,
    token: str = "",
    require_selfie: bool = False,
    require_handwritten: bool = False,
    require_official_document: bool = False,
) -> ConfigPromotion:
    """Back at step 1: change the draft. A new token or API user e-mail asks for a new
    connection test; a new token (maybe another account) also for the webhook again."""
    _require(promotion, "dados")
    if token:
        token = validate_token(token)
        _refuse_sandbox_token(promotion.source, token)
    with transaction.atomic():
        locked = _locked(promotion)
        assert locked.target is not None
        before = {
            "token": locked.target.token,
            "api_user_email": locked.target.api_user_email,
            "audit": locked.target.audit_entries.count(),
        }
        target = signature_config_update(
            actor=actor,
            config=locked.target,
            name=name,
            api_user_email=api_user_email,
            token=token,
            notification_email=notification_email,
            require_selfie=require_selfie,
            require_handwritten=require_handwritten,
            require_official_document=require_official_document,
        )
        notes = []
        if target.token != before["token"]:
            locked.connection_ok_at = None
            locked.webhook_done_at = None
            notes.append("novo token: teste de conexão e webhook a refazer")
        elif target.api_user_email != before["api_user_email"]:
            locked.connection_ok_at = None
            notes.append("novo e-mail do usuário da API: teste de conexão a refazer")
        locked.target_name = target.name
        locked.save()
        if target.audit_entries.count() != before["audit"]:
            detail = f" ({'; '.join(notes)})" if notes else ""
            _audit_source(
                locked, actor, f"Promoção: dados de produção de “{target.name}” alterados{detail}."
            )
    return locked


# --------------------------------------------------------------------------- step 2: conexão


def config_promotion_test_connection(
    *, actor: Any, promotion: ConfigPromotion, transport: httpx.BaseTransport | None = None
) -> ConnectionCheck:
    """“Testar conexão” on the production draft; the wizard goes on only when it passes."""
    target = _require(promotion, "conexao")
    tested = (target.token, target.api_user_email)
    check = signature_config_test_connection(actor=actor, config=target, transport=transport)
    with transaction.atomic():
        locked = _locked(promotion)
        current = SignatureConfig.objects.get(pk=target.pk)
        # The credentials may have changed while Clicksign answered: the result is then moot.
        still_same = (current.token, current.api_user_email) == tested
        locked.connection_ok_at = timezone.now() if check.ok and still_same else None
        locked.save(update_fields=["connection_ok_at"])
        _audit_source(
            locked,
            actor,
            f"Promoção: teste de conexão de “{target.name}” (produção): {check.status.label}.",
        )
    return check


# --------------------------------------------------------------------------- step 3: webhook


def config_promotion_register_webhook(
    *, actor: Any, promotion: ConfigPromotion, transport: httpx.BaseTransport | None = None
) -> WebhookRegistration:
    """Register the production configuration's own webhook URL on the production account."""
    target = _require(promotion, "webhook")
    registration = signature_config_register_webhook(
        actor=actor, config=target, transport=transport
    )
    with transaction.atomic():
        locked = _locked(promotion)
        locked.webhook_done_at = timezone.now()
        locked.save(update_fields=["webhook_done_at"])
        _audit_source(
            locked,
            actor,
            f"Promoção: webhook {registration.webhook_id} registrado na Clicksign de produção "
            f"para “{target.name}”.",
        )
    return registration


def config_promotion_webhook_secret_set(
    *, actor: Any, promotion: ConfigPromotion, webhook_secret: str
) -> ConfigPromotion:
    """The webhook registered by hand on Clicksign: keep the secret it showed."""
    _require(promotion, "webhook")
    secret = validate_webhook_secret(webhook_secret)
    source = promotion.source
    if secret in {source.webhook_secret, source.previous_webhook_secret}:
        raise ConfigurationError(
            "promotion_sandbox_secret",
            "Esta é a chave de segurança do webhook da Sandbox. Cadastre a URL do webhook desta "
            "configuração na conta Clicksign de produção e copie a chave que ela mostrar.",
            "webhook_secret",
        )
    with transaction.atomic():
        locked = _locked(promotion)
        assert locked.target is not None
        signature_config_update(actor=actor, config=locked.target, webhook_secret=secret)
        locked.webhook_done_at = timezone.now()
        locked.save(update_fields=["webhook_done_at"])
        _audit_source(
            locked,
            actor,
            f"Promoção: chave de segurança do webhook de produção de “{locked.target.name}” "
            "informada à mão.",
        )
    return locked


# --------------------------------------------------------------------------- step 4: tipos


def config_promotion_document_types_choose(
    *, actor: Any, promotion: ConfigPromotion, document_types: list[DocumentType]
) -> ConfigPromotion:
    """Choose which document types using the sandbox will use production (none is allowed)."""
    target = _require(promotion, "tipos")
    for document_type in document_types:
        if document_type.config_id != promotion.source_id:
            raise ConfigurationError(
                "promotion_document_type_moved",
                f"O tipo “{document_type.name}” não usa mais “{promotion.source.name}”. "
                "Confira a lista de novo.",
                "document_types",
            )
        unit_ids = list(document_type.units.values_list("id", flat=True))
        if not configs_usable_for_units(unit_ids, active_only=False).filter(pk=target.pk):
            raise ConfigurationError(
                "config_not_usable",
                f"A configuração “{target.name}” não atende todas as unidades do tipo "
                f"“{document_type.name}” (veja “Informações compartilhadas”).",
                "document_types",
            )
    names = ", ".join(sorted(dt.name for dt in document_types)) or "nenhum"
    with transaction.atomic():
        locked = _locked(promotion)
        locked.document_types.set(document_types)
        locked.document_types_chosen_at = timezone.now()
        locked.save(update_fields=["document_types_chosen_at"])
        note = f"Promoção: tipos de documento que passarão a usar “{target.name}”: {names}."
        _audit_source(locked, actor, note)
        signature_config_audit(
            config=target, actor=actor, action=ConfigAuditEntry.Action.PROMOTION_STEP, note=note
        )
    return locked


# --------------------------------------------------------------------------- step 5: concluir


def promotion_other_units(*, promotion: ConfigPromotion, editable_units: list[Unit]) -> list[Unit]:
    """Units outside ``editable_units`` that completing the promotion reaches: those the sandbox
    serves (it is inactivated) and those of the document types it re-points."""
    editable = {u.pk for u in editable_units}
    moving = promotion.document_types.filter(config_id=promotion.source_id)
    reached = {u.pk: u for u in config_reach(promotion.source)}
    reached.update({u.pk: u for u in Unit.objects.filter(document_types__in=moving)})
    return sorted((u for pk, u in reached.items() if pk not in editable), key=lambda u: u.name)


def config_promotion_complete(
    *,
    actor: Any,
    promotion: ConfigPromotion,
    editable_units: list[Unit] | None = None,
    confirmed_other_units: Collection[int] | None = None,
) -> ConfigPromotion:
    """Activate production, re-point the chosen document types, inactivate the sandbox: all or
    nothing. Requests already created keep the configuration they were created with. With
    ``editable_units`` (the person's units), units outside them that this reaches must each be
    in ``confirmed_other_units``."""
    _require(promotion, "confirmar")
    other_units: list[Unit] = []
    if editable_units is not None:
        other_units = promotion_other_units(promotion=promotion, editable_units=editable_units)
        other_units_confirm(
            other_units=other_units,
            confirmed_ids=confirmed_other_units,
            what=f"A promoção de “{promotion.source.name}”",
        )
    with transaction.atomic():
        locked = _locked(promotion)
        assert locked.target_id is not None
        source = SignatureConfig.objects.select_for_update().get(pk=locked.source_id)
        target = SignatureConfig.objects.select_for_update().get(pk=locked.target_id)
        if locked.connection_ok_at is None or target.last_connection_status != ConnectionStatus.OK:
            raise ConfigurationError(
                "promotion_connection_required",
                "A conexão com a Clicksign de produção não passou no “Testar conexão”. Corrija o "
                "token ou a conta Clicksign e teste de novo: só então a promoção é concluída.",
                None,
            )
        if locked.webhook_done_at is None or not target.webhook_secret:
            raise ConfigurationError(
                "promotion_webhook_required",
                "Registre o webhook na Clicksign de produção (ou informe a chave de segurança) "
                "antes de concluir.",
                None,
            )
        if locked.document_types_chosen_at is None:
            raise ConfigurationError(
                "promotion_document_types_required",
                "Escolha os tipos de documento que passam a usar a produção antes de concluir.",
                None,
            )
        chosen = list(locked.document_types.all())
        moving = [dt for dt in chosen if dt.config_id == source.pk]
        in_flight = config_requests_in_flight(config=source).count()

        locked.status = PromotionStatus.COMPLETED
        locked.finished_at = timezone.now()
        locked.finished_by = _actor(actor)
        locked.target_name = target.name
        locked.save()
        # The one-active-configuration rule is checked here, against the database as it is now.
        target = signature_config_update(actor=actor, config=target, active=True)
        if moving:
            document_types_repoint(actor=actor, document_types=moving, config=target)
        if source.active:
            source = signature_config_update(actor=actor, config=source, active=False)

        names = ", ".join(sorted(dt.name for dt in moving)) or "nenhum"
        skipped = len(chosen) - len(moving)
        summary = (
            f"Tipos de documento que passaram a usar a produção: {names}. "
            + (
                f"{skipped} tipo(s) já apontados para outra configuração ficaram como estavam. "
                if skipped
                else ""
            )
            + f"{in_flight} solicitação(ões) em andamento continuam na Sandbox, sem validade "
            "jurídica."
        )
        _audit_other_units(
            config=source, actor=actor, other_units=other_units, note="Promoção para produção."
        )
        signature_config_audit(
            config=source,
            actor=actor,
            action=ConfigAuditEntry.Action.PROMOTED,
            note=f"Promovida para produção: “{target.name}” ativada e esta inativada. {summary}"[
                :300
            ],
        )
        signature_config_audit(
            config=target,
            actor=actor,
            action=ConfigAuditEntry.Action.PROMOTED,
            note=f"Ativada pela promoção da Sandbox “{source.name}”, agora inativa. {summary}"[
                :300
            ],
        )
    logger.info(
        "config promotion completed",
        extra={
            "promotion": str(locked.public_id),
            "source": str(source.public_id),
            "target": str(target.public_id),
            "document_types": len(moving),
        },
    )
    return locked


# --------------------------------------------------------------------------- abandonar


def config_promotion_abandon(
    *, actor: Any, promotion: ConfigPromotion, transport: httpx.BaseTransport | None = None
) -> str:
    """Give up: the draft production configuration is removed (nothing half-done stays
    visible), the webhook it registered on Clicksign is deactivated. Returns a message that
    says what, if anything, the person must still do by hand."""
    if promotion.status != PromotionStatus.IN_PROGRESS:
        raise ConfigurationError(
            "promotion_not_in_progress", "Esta promoção não está mais em andamento.", None
        )
    target = promotion.target
    leftover = ""
    if target is not None and target.clicksign_webhook_id:
        try:
            signature_config_webhook_deactivate(config=target, transport=transport)
        except ConfigurationError as error:
            leftover = f" {error.message} Desative-o à mão em Configurações → API → Webhooks."
    with transaction.atomic():
        locked = _locked(promotion)
        locked.status = PromotionStatus.ABANDONED
        locked.finished_at = timezone.now()
        locked.finished_by = _actor(actor)
        locked.target = None
        locked.save()
        removed = "nenhuma configuração de produção tinha sido criada"
        if target is not None:
            try:
                with transaction.atomic():
                    SignatureConfig.objects.filter(pk=target.pk, active=False).delete()
                removed = f"o rascunho de produção “{target.name}” foi removido"
            except ProtectedError:
                locked.target = target
                locked.save(update_fields=["target"])
                removed = f"o rascunho de produção “{target.name}” ficou inativo (já tem registros)"
        _audit_source(
            locked,
            actor,
            f"Promoção abandonada: {removed}.{leftover}",
            ConfigAuditEntry.Action.PROMOTION_ABANDONED,
        )
    return f"Promoção abandonada: {removed}. A Sandbox continua como estava.{leftover}"
