from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chancela.api.models import ApiKey
from chancela.institutions.selectors import units_visible_to


def api_keys_visible_to(*, user: Any) -> QuerySet[ApiKey]:
    """Keys whose every unit is in the user's unit filter (a superuser sees all).

    A key that also reaches a unit the user cannot see is not his to see or revoke.
    """
    qs = ApiKey.objects.prefetch_related("units").select_related("created_by", "revoked_by")
    if getattr(user, "is_superuser", False):
        return qs
    visible = units_visible_to(user=user)
    return qs.filter(units__in=visible).exclude(units__in=_units_not_in(visible)).distinct()


def _units_not_in(visible: QuerySet[Any]) -> QuerySet[Any]:
    from chancela.institutions.models import Unit

    return Unit.objects.exclude(pk__in=visible.values("pk"))
