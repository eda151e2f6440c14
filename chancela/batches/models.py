"""A batch ("Envio em lote"): many rows (a student, guardians, one PDF), one request per row.

A batch is uploaded (CSV + ZIP on the screen, JSON from the host), checked row by row
(pre-flight: every problem of every row is listed), fixed or trimmed by the staff, then run in
the background: each included row becomes one ``SignatureRequest`` through
``signature_request_create`` with a deterministic ``external_id`` — so a run that is restarted
after a crash replays the rows already created instead of sending them twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chancela.esign.models import DocumentType
from chancela.institutions.models import Unit


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("Em conferência")
    RUNNING = "running", _("Enviando")
    DONE = "done", _("Concluído")


class RowState(models.TextChoices):
    PENDING = "pending", _("Aguardando")
    CREATED = "created", _("Solicitação criada")
    FAILED = "failed", _("Falhou")


class Batch(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unidade"), on_delete=models.PROTECT, related_name="batches"
    )
    document_type = models.ForeignKey(
        DocumentType,
        verbose_name=_("tipo de documento"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("título"), max_length=150)
    message = models.TextField(_("mensagem"), blank=True, max_length=3000)
    # Why biometrics may be asked of a minor in this batch (chancela.signing.policy); empty:
    # the document type's justification applies.
    biometrics_justification = models.TextField(blank=True, max_length=1000)
    # Given by the host ERP: a second POST with the same external_id returns the same batch.
    external_id = models.CharField(max_length=100, blank=True)
    # SHA-256 of the content the host sent (``batch_create``): a replay must match it exactly.
    input_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("situação"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.DRAFT
    )
    csv_filename = models.CharField(max_length=200, blank=True)
    zip_filename = models.CharField(max_length=200, blank=True)
    # Problems of the upload as a whole (PDFs in the ZIP that no row uses, refused entries).
    file_notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_api_key = models.ForeignKey(
        "api.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Refreshed after every row a run processes: a running batch whose heartbeat is old has lost
    # its worker and is resumed by the periodic job.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever what the host sees changes (status, a row's state, a row fixed or
    # excluded): ``GET /api/v1/batches?updated_after=`` polls by it.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("envio em lote")
        verbose_name_plural = _("envios em lote")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "external_id"],
                condition=~models.Q(external_id=""),
                name="batch_unique_external_id_per_unit",
            )
        ]

    def __str__(self) -> str:
        return self.title


class BatchRow(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField(_("linha"))
    # The row's fields, English keys (see ``chancela.batches.columns.FIELDS``), as typed.
    data = models.JSONField(default=dict)
    pdf_path = models.CharField(max_length=300, blank=True)
    pdf_filename = models.CharField(max_length=200, blank=True)
    # Problems of the row itself: [{"field", "code", "message"}]
    problems = models.JSONField(default=list, blank=True)
    # The earlier included row with the same student code / CPF (a duplicate), if any.
    duplicate_of = models.PositiveIntegerField(null=True, blank=True)
    excluded = models.BooleanField(_("excluída"), default=False)
    state = models.CharField(max_length=20, choices=RowState.choices, default=RowState.PENDING)
    error = models.TextField(blank=True)
    request = models.ForeignKey(
        "signing.SignatureRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    # Retention (chancela.signing.retention): the row's personal data was removed.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="batch_row_unique_line")
        ]
        indexes = [models.Index(fields=["batch", "state"], name="batch_row_state")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"

    @property
    def has_problems(self) -> bool:
        return bool(self.problems) or self.duplicate_of is not None
