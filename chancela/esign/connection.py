"""The configuration screen's two Clicksign actions: "Testar conexão" and "Registrar webhook".

Both call Clicksign first (no transaction open), then record what happened in one short
transaction: the configuration's fields and an audit entry. Messages are for the IT admin, in
Portuguese, and say what to do next.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone

from chancela.clicksign.client import WEBHOOK_EVENTS
from chancela.clicksign.errors import (
    ClicksignCredentialError,
    ClicksignError,
    ClicksignPermanentError,
    ClicksignRetryableError,
    CredentialErrorKind,
)
from chancela.clicksign.legacy import LegacyClicksignClient
from chancela.clicksign.port import API_ENVELOPES, API_LEGACY, ClicksignPort
from chancela.clicksign.types import Webhook
from chancela.core.http import Timeouts
from chancela.esign.clients import client_for_config
from chancela.esign.errors import ConfigurationError
from chancela.esign.models import (
    ClicksignApi,
    ConfigAuditEntry,
    ConnectionStatus,
    SignatureConfig,
)
from chancela.esign.services import signature_config_audit, signature_config_update

logger = logging.getLogger(__name__)

# A person is waiting for the answer: fail faster than the workers do.
SCREEN_TIMEOUTS = Timeouts(connect=5.0, read=15.0, write=15.0, pool=5.0)
SCREEN_MAX_WAIT = 10.0


@dataclass(frozen=True)
class ConnectionCheck:
    status: ConnectionStatus
    message: str
    api_user_email: str = ""
    account_key: str = ""
    # The API the token speaks, when the test succeeded ("3.0" or "1.9").
    api: str = ""

    @property
    def ok(self) -> bool:
        return self.status == ConnectionStatus.OK


@dataclass(frozen=True)
class WebhookRegistration:
    webhook_id: str
    created: bool  # False: the endpoint was already registered and was reused
    secret_changed: bool
    message: str


def _client(
    config: SignatureConfig, transport: httpx.BaseTransport | None, api: str | None = None
) -> ClicksignPort:
    return client_for_config(
        config, transport=transport, timeouts=SCREEN_TIMEOUTS, max_wait=SCREEN_MAX_WAIT, api=api
    )


CREDENTIAL_STATUSES = {
    CredentialErrorKind.INVALID_TOKEN: ConnectionStatus.INVALID_TOKEN,
    CredentialErrorKind.API_EMAIL_NOT_SET: ConnectionStatus.API_EMAIL_NOT_SET,
    CredentialErrorKind.PLAN_WITHOUT_API: ConnectionStatus.PLAN_WITHOUT_API,
    CredentialErrorKind.ACCOUNT_BLOCKED: ConnectionStatus.ACCOUNT_BLOCKED,
    CredentialErrorKind.ENVELOPES_UNAVAILABLE: ConnectionStatus.ENVELOPES_UNAVAILABLE,
}


def _env(config: SignatureConfig) -> str:
    return "sandbox" if config.is_sandbox else "produção"


def describe_clicksign_error(
    config: SignatureConfig, error: ClicksignError
) -> tuple[ConnectionStatus, str]:
    """The status and the Portuguese explanation of a Clicksign error, for the IT admin."""
    if isinstance(error, ClicksignCredentialError):
        status = CREDENTIAL_STATUSES.get(error.kind, ConnectionStatus.ERROR)
        return status, error.explanation(
            environment=config.environment, api_user_email=config.api_user_email
        )
    if isinstance(error, ClicksignRetryableError):
        if error.is_rate_limit:
            wait = error.wait_seconds(default=10)
            return ConnectionStatus.RATE_LIMITED, (
                "A conta Clicksign está no limite de requisições (os envios em andamento usam a "
                f"mesma cota). Tente de novo em {wait} segundos."
            )
        reason = (
            "a Clicksign está fora do ar ou sobrecarregada no momento"
            if error.status
            else error.message.rstrip(".")
        )
        return ConnectionStatus.UNREACHABLE, (
            f"Não foi possível falar com a Clicksign em {config.service_url}: {reason}. "
            "Tente de novo em alguns minutos; se continuar, verifique a rede e o firewall do "
            "servidor do Chancela."
        )
    field = f" (campo {error.field})" if error.field else ""
    if error.status == 404:
        return ConnectionStatus.ERROR, (
            "A Clicksign não encontrou o que foi pedido: o envelope ou o signatário pode ter "
            "sido apagado na Clicksign."
        )
    return ConnectionStatus.ERROR, (
        f"A Clicksign recusou o pedido{field}: “{error.detail}”."
        if error.detail
        else f"A Clicksign recusou o pedido{field} sem dizer o motivo."
    )


# ---------------------------------------------------------------------- "Testar conexão"


def _probe(config: SignatureConfig, transport: httpx.BaseTransport | None) -> ConnectionCheck:
    """Envelopes (3.0) first; an account that answers 503 there (created before July 2024) is
    tried on API 1.9."""
    try:
        return _probe_envelopes(config, transport)
    except ClicksignCredentialError as error:
        if error.kind != CredentialErrorKind.ENVELOPES_UNAVAILABLE:
            status, message = describe_clicksign_error(config, error)
            return ConnectionCheck(status=status, message=message)
    return _probe_legacy(config, transport)


def _probe_legacy(
    config: SignatureConfig, transport: httpx.BaseTransport | None
) -> ConnectionCheck:
    env = _env(config)
    try:
        with _client(config, transport, api=API_LEGACY) as client:
            assert isinstance(client, LegacyClicksignClient)
            account = client.account_get()
    except ClicksignError as error:
        status, message = describe_clicksign_error(config, error)
        return ConnectionCheck(status=status, message=message)
    message = (
        f"Conexão com a Clicksign ({env}) funcionando pela API 1.9 (legada). Esta conta não tem "
        "envelopes (API 3.0): contas criadas antes de julho de 2024 só têm a API antiga. O "
        "Chancela envia por ela — documentos e signatários reutilizáveis — com as mesmas "
        "garantias. Se a Clicksign ativar os envelopes para a conta (ajuda@clicksign.com), teste "
        "a conexão de novo e o Chancela passa a usar a API 3.0."
    )
    return ConnectionCheck(
        status=ConnectionStatus.OK,
        message=message,
        account_key=str(account.get("key") or ""),
        api=API_LEGACY,
    )


def _probe_envelopes(
    config: SignatureConfig, transport: httpx.BaseTransport | None
) -> ConnectionCheck:
    env = _env(config)
    try:
        with _client(config, transport, api=API_ENVELOPES) as client:
            envelopes = client.envelopes_list(page_size=1)
            user_email = account_key = ""
            if envelopes.items:
                # The API user and the account only show in the events of a document.
                try:
                    for event in client.envelope_events_list(envelopes.items[0].id, page_size=20):
                        user_email = user_email or event.user_email
                        account_key = account_key or event.account_key
                except ClicksignError:
                    logger.info("connection test could not read envelope events", exc_info=True)
    except ClicksignCredentialError as error:
        if error.kind == CredentialErrorKind.ENVELOPES_UNAVAILABLE:
            raise
        status, message = describe_clicksign_error(config, error)
        return ConnectionCheck(status=status, message=message)
    except ClicksignError as error:
        status, message = describe_clicksign_error(config, error)
        return ConnectionCheck(status=status, message=message)

    message = (
        f"Conexão com a Clicksign ({env}) funcionando: token aceito e envelopes (API 3.0) "
        "habilitados."
    )
    if user_email:
        message += f" Usuário da API: {user_email}."
        if user_email.lower() != config.api_user_email.lower():
            message += (
                f" Atenção: a Clicksign mostra o usuário da API {user_email}, diferente do "
                f"e-mail desta configuração ({config.api_user_email}); confira qual está certo."
            )
    else:
        message += " O usuário da API aparece aqui depois do primeiro documento enviado."
    return ConnectionCheck(
        status=ConnectionStatus.OK,
        message=message,
        api_user_email=user_email,
        account_key=account_key,
        api=API_ENVELOPES,
    )


def signature_config_test_connection(
    *, actor: Any, config: SignatureConfig, transport: httpx.BaseTransport | None = None
) -> ConnectionCheck:
    """Call Clicksign with the configuration's token and record the outcome on it."""
    check = _probe(config, transport)
    now = timezone.now()
    previous = config.last_connection_status_label
    label = str(check.status.label)
    changes: dict[str, list[Any]] = {"Resultado": [previous if previous != label else None, label]}
    with transaction.atomic():
        fields: dict[str, Any] = {
            "last_connection_check_at": now,
            "last_connection_status": check.status.value,
        }
        if check.ok and check.api and check.api != config.clicksign_api:
            # Only a successful test changes the API (never a failed or unreachable one).
            changes["API da Clicksign"] = [
                str(ClicksignApi(config.clicksign_api).label),
                str(ClicksignApi(check.api).label),
            ]
            fields["clicksign_api"] = check.api
        if check.account_key and check.account_key != config.clicksign_account_key:
            changes["Conta Clicksign"] = [config.clicksign_account_key or None, check.account_key]
            fields["clicksign_account_key"] = check.account_key
        SignatureConfig.objects.filter(pk=config.pk).update(**fields)
        signature_config_audit(
            config=config,
            actor=actor,
            action=ConfigAuditEntry.Action.CONNECTION_TESTED,
            note=check.message[:300],
            changes=changes,
        )
    for name, value in fields.items():
        setattr(config, name, value)
    logger.info(
        "clicksign connection tested",
        extra={"config": str(config.public_id), "status": check.status.value},
    )
    return check


# ---------------------------------------------------------------------- "Registrar webhook"


def _find_webhook(client: ClicksignPort, endpoint: str) -> Webhook | None:
    page = 1
    while True:
        webhooks = client.webhooks_list(page=page, page_size=50)
        for webhook in webhooks:
            if webhook.endpoint == endpoint:
                return webhook
        if not webhooks.has_next or not webhooks.items:
            return None
        page += 1


def _create_or_reuse(client: ClicksignPort, endpoint: str) -> tuple[Webhook, bool]:
    try:
        return client.webhook_create(endpoint=endpoint, events=WEBHOOK_EVENTS), True
    except ClicksignPermanentError as error:
        if not error.has_error(field="endpoint"):
            raise
    # 422 "endpoint - já está em uso": the account already has it; reuse it (and its secret).
    found = _find_webhook(client, endpoint)
    if found is None:
        raise ClicksignPermanentError(
            "A Clicksign diz que o endereço já está em uso, mas ele não aparece na lista de "
            "webhooks da conta."
        )
    webhook = client.webhook_get(found.id)
    missing = [event for event in WEBHOOK_EVENTS if event not in webhook.events]
    if missing or webhook.status != "active":
        webhook = client.webhook_update(
            webhook.id, events=[*webhook.events, *missing], status="active"
        )
    return webhook, False


def signature_config_register_webhook(
    *, actor: Any, config: SignatureConfig, transport: httpx.BaseTransport | None = None
) -> WebhookRegistration:
    """Register ``config.webhook_url`` on the Clicksign account (or reuse it if already there)
    with the events Chancela needs, and store the secret Clicksign returns.

    The secret goes through the audited update, so the previous one keeps verifying callbacks
    for the grace period. Raises :class:`ConfigurationError` with a Portuguese message.
    """
    endpoint = config.webhook_url
    try:
        with _client(config, transport) as client:
            webhook, created = _create_or_reuse(client, endpoint)
    except ClicksignError as error:
        _, message = describe_clicksign_error(config, error)
        raise ConfigurationError(
            "webhook_registration", f"O webhook não foi registrado. {message}"
        ) from error
    if not webhook.secret:
        raise ConfigurationError(
            "webhook_without_secret",
            "A Clicksign registrou o webhook mas não devolveu a chave de segurança. Copie a "
            "chave em Configurações → API → Webhooks e informe-a em “Editar”.",
            "webhook_secret",
        )
    with transaction.atomic():
        previous_secret = config.webhook_secret
        previous_id = config.clicksign_webhook_id
        config = signature_config_update(actor=actor, config=config, webhook_secret=webhook.secret)
        secret_changed = previous_secret != config.webhook_secret
        SignatureConfig.objects.filter(pk=config.pk).update(clicksign_webhook_id=webhook.id)
        config.clicksign_webhook_id = webhook.id
        how = "registrado" if created else "já existia e foi reaproveitado"
        note = f"Webhook {webhook.id} {how} para {endpoint}."
        if secret_changed and previous_secret:
            note += " A chave anterior continua aceita durante o período de transição."
        signature_config_audit(
            config=config,
            actor=actor,
            action=ConfigAuditEntry.Action.WEBHOOK_REGISTERED,
            note=note[:300],
            changes={"Webhook na Clicksign": [previous_id or None, webhook.id]}
            if previous_id != webhook.id
            else {},
        )
    message = (
        f"Webhook {how} na Clicksign para {endpoint}, com os eventos de que o Chancela precisa. "
        "A chave de segurança foi guardada"
        + (
            "; a anterior continua aceita durante o período de transição."
            if secret_changed and previous_secret
            else "."
        )
    )
    logger.info(
        "clicksign webhook registered",
        extra={
            "config": str(config.public_id),
            "webhook_id": webhook.id,
            "webhook_created": created,
        },
    )
    return WebhookRegistration(
        webhook_id=webhook.id, created=created, secret_changed=secret_changed, message=message
    )


def signature_config_webhook_deactivate(
    *, config: SignatureConfig, transport: httpx.BaseTransport | None = None
) -> None:
    """Set the webhook Chancela registered for ``config`` to ``inactive`` on Clicksign (used when
    a draft configuration is thrown away, so Clicksign stops calling an address that is gone).
    Raises :class:`ConfigurationError` with a Portuguese message when Clicksign refuses."""
    if not config.clicksign_webhook_id:
        return
    try:
        with _client(config, transport) as client:
            client.webhook_update(config.clicksign_webhook_id, status="inactive")
    except ClicksignError as error:
        _, message = describe_clicksign_error(config, error)
        raise ConfigurationError(
            "webhook_deactivation",
            f"O webhook {config.clicksign_webhook_id} não foi desativado na Clicksign. {message}",
        ) from error
    logger.info(
        "clicksign webhook deactivated",
        extra={"config": str(config.public_id), "webhook_id": config.clicksign_webhook_id},
    )
