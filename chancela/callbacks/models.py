"""The callback inbox: every verified Clicksign webhook, stored before we answer 2xx.

A delivery is stored once under two unique keys — the SHA-256 of the raw body (the very same
delivery again) and ``name|document|signer|occurred_at`` (the same event in another body) — and
processed by a job. Rejected deliveries (bad or missing signature, foreign account) are kept
without their body, as security events. ``AppliedEvent`` remembers each Clicksign event already
applied to a request, whichever delivery (or reconciliation read) carried it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.core.crypto import EncryptedTextField
from chancela.esign.models import SignatureConfig
from chancela.institutions.models import Unit
from chancela.signing.models import SignatureRequest


class CallbackState(models.TextChoices):
    RECEIVED = "received", _("Recebido (aguardando processamento)")
    PROCESSED = "processed", _("Processado")
    IGNORED = "ignored", _("Ignorado (evento não tratado)")
    PARKED = "parked", _("Em espera (envelope ainda desconhecido)")
    FAILED = "failed", _("Falhou")


class InboundCallback(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    config = models.ForeignKey(SignatureConfig, on_delete=models.CASCADE, related_name="+")
    # The unit the callback belongs to (the request's, else the configuration's): unit filter.
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        SignatureRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The raw body, compressed and encrypted at rest; never logged.
    body = EncryptedTextField(compress=True)
    # The two dedupe keys, and the document's key, are indexed in Meta rather than with
    # unique=True / db_index=True: on PostgreSQL those also build a varchar_pattern_ops index
    # each, for LIKE look-ups nothing makes, which every delivery paid for (docs/benchmarks.md).
    body_sha256 = models.CharField(max_length=64)
    event_key = models.CharField(max_length=300)
    event_name = models.CharField(max_length=80)
    document_key = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=20, choices=CallbackState.choices, default=CallbackState.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Deliveries of the same event after the first (same body, or same event in another body).
    duplicates = models.PositiveIntegerField(default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("retorno recebido")
        verbose_name_plural = _("retornos recebidos")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["document_key"], name="callbacks_inbound_document_key"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["body_sha256"], name="callbacks_inbound_body_sha256"),
            models.UniqueConstraint(fields=["event_key"], name="callbacks_inbound_event_key"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.document_key}"

    @property
    def event_label(self) -> str:
        from chancela.callbacks.labels import event_label

        return event_label(self.event_name)


class RejectReason(models.TextChoices):
    MISSING_SIGNATURE = "missing_signature", _("Sem assinatura (Content-Hmac)")
    BAD_SIGNATURE = "bad_signature", _("Assinatura inválida")
    UNKNOWN_CONFIG = "unknown_config", _("Configuração não encontrada")
    ACCOUNT_MISMATCH = "account_mismatch", _("Conta Clicksign diferente da configuração")
    OTHER_ACCOUNT = (
        "other_account",
        _("Documento de uma configuração de outra conta Clicksign (ou de conta não confirmada)"),
    )


class RejectedCallback(models.Model):
    """A refused delivery, kept as a security event — without its body."""

    config = models.ForeignKey(
        SignatureConfig, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=30, choices=RejectReason.choices)
    remote_addr = models.CharField(max_length=64, blank=True)
    event_header = models.CharField(max_length=80, blank=True)
    body_size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("retorno recusado")
        verbose_name_plural = _("retornos recusados")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} {self.received_at:%Y-%m-%d %H:%M}"

    @property
    def event_label(self) -> str:
        from chancela.callbacks.labels import event_label

        return event_label(self.event_header)


class AppliedEvent(models.Model):
    """A Clicksign event already applied to a request (``event_key`` as in the inbox)."""

    request = models.ForeignKey(SignatureRequest, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(max_length=300, unique=True)
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evento aplicado")
        verbose_name_plural = _("eventos aplicados")

    def __str__(self) -> str:
        return self.event_key
