"""Events for the host ERP (an outbox, delivered per the Standard Webhooks spec)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.core.crypto import EncryptedTextField, fingerprint
from chancela.institutions.models import Unit


class HostEndpoint(models.Model):
    """Where the host ERP wants to hear about status changes of one unit's requests."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, verbose_name=_("unidade"), on_delete=models.PROTECT)
    name = models.CharField(_("descrição"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    # Standard Webhooks secret ("whsec_" + base64 of 32 random bytes), shown once.
    secret = EncryptedTextField()
    active = models.BooleanField(_("ativo"), default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("destino de eventos do sistema acadêmico")
        verbose_name_plural = _("destinos de eventos do sistema acadêmico")
        ordering = ["unit__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def secret_fingerprint(self) -> str:
        return fingerprint(self.secret)


class OutboundEventStatus(models.TextChoices):
    PENDING = "pending", _("Aguardando entrega")
    DELIVERED = "delivered", _("Entregue")
    FAILED = "failed", _("Falhou")


class OutboundEvent(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(HostEndpoint, on_delete=models.CASCADE, related_name="events")
    request = models.ForeignKey(
        "signing.SignatureRequest", on_delete=models.CASCADE, related_name="outbound_events"
    )
    event_type = models.CharField(max_length=80)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(
        max_length=20, choices=OutboundEventStatus.choices, default=OutboundEventStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("evento para o sistema acadêmico")
        verbose_name_plural = _("eventos para o sistema acadêmico")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.public_id.hex}"


class OutboundAttempt(models.Model):
    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m %H:%M:%S} {self.status_code or self.error}"
