"""API keys of the host systems (the academic ERP) that call the REST API."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.institutions.models import Unit


class ApiKey(models.Model):
    """A key a host system sends as ``Authorization: Bearer <key>``.

    The key itself is never stored: only a short public ``prefix`` (to find the row) and the
    SHA-256 of the whole key. The key is 256 bits of randomness, so a plain SHA-256 is enough
    (no salt or slow hash is needed against guessing, unlike passwords).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(
        _("nome"),
        max_length=120,
        help_text=_("Para reconhecer quem usa a chave, por exemplo “ERP acadêmico — produção”."),
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    units = models.ManyToManyField(Unit, verbose_name=_("unidades"), related_name="api_keys")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("chave de API")
        verbose_name_plural = _("chaves de API")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def display_prefix(self) -> str:
        return f"chk_{self.prefix}"


class ApiRateWindow(models.Model):
    """How many calls a key made in the current rate-limit window (one row per key).

    Written by one atomic upsert per authenticated call (``api_key_rate_take``), so every web
    process on every machine shares the count through the database.
    """

    api_key = models.OneToOneField(
        ApiKey, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    window_start = models.BigIntegerField()  # Unix seconds, a multiple of the window length
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.api_key_id}@{self.window_start}: {self.hits}"
