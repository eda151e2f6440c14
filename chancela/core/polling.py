"""Polling by last change: what a host asks of requests and batches alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


def changed_since(
    rows: QuerySet[M],
    *,
    unit: Any = None,
    status: str | None = None,
    external_id: str | None = None,
    updated_after: datetime | None = None,
    after: tuple[datetime, str] | None = None,
) -> QuerySet[M]:
    """Filter (already scoped) rows, ordered by (updated_at, public_id) for polling by a host.

    ``after`` is a keyset cursor: the (updated_at, public_id) of the last row of the previous
    page (the public id breaks ties between rows changed in the same microsecond).
    """
    if unit is not None:
        rows = rows.filter(unit=unit)
    if status:
        rows = rows.filter(status=status)
    if external_id:
        rows = rows.filter(external_id=external_id)
    if updated_after is not None:
        rows = rows.filter(updated_at__gt=updated_after)
    if after is not None:
        stamp, public_id = after
        rows = rows.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, public_id__gt=public_id))
    return rows.order_by("updated_at", "public_id")
