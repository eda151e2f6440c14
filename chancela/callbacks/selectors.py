"""What staff may see of the callback inbox: only their units' callbacks."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from chancela.callbacks.models import CallbackState, InboundCallback, RejectedCallback
from chancela.institutions.selectors import units_visible_to

# Monitor tabs: key -> label
MONITOR_STATES = {
    "verified": "Verificados",
    "duplicate": "Duplicados",
    "parked": "Em espera",
    "failed": "Com falha",
    "rejected": "Recusados",
}


def callbacks_visible_to(*, user: Any) -> QuerySet[InboundCallback]:
    return InboundCallback.objects.filter(unit__in=units_visible_to(user=user)).select_related(
        "config", "request", "unit"
    )


def callbacks_in_state(*, user: Any, state: str) -> QuerySet[InboundCallback]:
    callbacks = callbacks_visible_to(user=user)
    if state == "duplicate":
        return callbacks.filter(duplicates__gt=0)
    if state == "parked":
        return callbacks.filter(state=CallbackState.PARKED)
    if state == "failed":
        return callbacks.filter(state=CallbackState.FAILED)
    return callbacks


def rejected_callbacks_visible_to(*, user: Any) -> QuerySet[RejectedCallback]:
    """Rejections of the user's units; those tied to no configuration only for superusers."""
    condition = Q(unit__in=units_visible_to(user=user))
    if getattr(user, "is_superuser", False):
        condition |= Q(unit__isnull=True)
    return RejectedCallback.objects.filter(condition).select_related("config", "unit")


def monitor_counts(*, user: Any) -> dict[str, int]:
    return {
        state: (
            rejected_callbacks_visible_to(user=user).count()
            if state == "rejected"
            else callbacks_in_state(user=user, state=state).count()
        )
        for state in MONITOR_STATES
    }
