"""Reads of batches, always scoped to the actor's units (a foreign id is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from chancela.batches.models import Batch, BatchRow, RowState
from chancela.institutions.selectors import units_visible_to
from chancela.signing.selectors import units_of_api_key


def batches_visible_to(*, user: Any) -> QuerySet[Batch]:
    return Batch.objects.filter(unit__in=units_visible_to(user=user)).select_related(
        "unit", "document_type", "created_by"
    )


def batches_for_api_key(*, api_key: Any) -> QuerySet[Batch]:
    return Batch.objects.filter(unit__in=units_of_api_key(api_key=api_key)).select_related(
        "unit", "document_type"
    )


@dataclass(frozen=True)
class BatchCounts:
    rows: int
    included: int
    excluded: int
    with_problems: int
    created: int
    failed: int
    pending: int

    @property
    def done(self) -> int:
        return self.created + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.included else round(100 * self.done / self.included)


def batch_counts(*, batch: Batch) -> BatchCounts:
    included = Q(excluded=False)
    problem = Q(duplicate_of__isnull=False) | ~Q(problems=[])
    totals = BatchRow.objects.filter(batch=batch).aggregate(
        n_rows=Count("id"),
        n_included=Count("id", filter=included),
        n_excluded=Count("id", filter=Q(excluded=True)),
        n_with_problems=Count("id", filter=included & problem),
        n_created=Count("id", filter=included & Q(state=RowState.CREATED)),
        n_failed=Count("id", filter=included & Q(state=RowState.FAILED)),
        n_pending=Count("id", filter=included & Q(state=RowState.PENDING)),
    )
    return BatchCounts(**{key[2:]: value for key, value in totals.items()})


def batch_occurrences(*, batch: Batch, limit: int | None = None) -> QuerySet[BatchRow]:
    """Rows already processed by the run, the latest first: the occurrence log."""
    qs = (
        BatchRow.objects.filter(batch=batch, processed_at__isnull=False)
        .select_related("request")
        .order_by("-processed_at", "-line")
    )
    return qs[:limit] if limit else qs


def batch_rows_page(*, batch: Batch, after_line: int = 0, limit: int = 100) -> list[BatchRow]:
    """Up to ``limit`` rows of the batch after ``after_line``, in line order, with requests."""
    return list(
        BatchRow.objects.filter(batch=batch, line__gt=after_line)
        .select_related("request")
        .order_by("line")[:limit]
    )
