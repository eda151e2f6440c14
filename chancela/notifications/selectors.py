from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chancela.institutions.selectors import units_visible_to
from chancela.notifications.models import HostEndpoint, OutboundEvent


def host_endpoints_visible_to(*, user: Any) -> QuerySet[HostEndpoint]:
    return HostEndpoint.objects.filter(unit__in=units_visible_to(user=user)).select_related("unit")


def outbound_events_of(*, endpoint: HostEndpoint) -> QuerySet[OutboundEvent]:
    return endpoint.events.select_related("request").prefetch_related("attempt_log")
