"""Reads about units and people, always from the point of view of an actor."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chancela.institutions.models import Person, SharingPolicy, SharingType, Unit


def units_visible_to(*, user: Any) -> QuerySet[Unit]:
    """The user's unit filter: every unit for a superuser, else the units granted to him."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.filter(accesses__user=user).distinct()


def unit_ids_visible_to(*, user: Any) -> set[int]:
    return set(units_visible_to(user=user).values_list("id", flat=True))


def people_visible_to(*, user: Any) -> QuerySet[Person]:
    return Person.objects.filter(unit__in=units_visible_to(user=user))


def sharing_type_for(filter_name: str = SharingPolicy.SIGNATURE_CONFIG) -> str:
    policy = SharingPolicy.objects.filter(filter_name=filter_name).first()
    return policy.sharing_type if policy else SharingType.UNIT


def units_reached_from(*, unit: Unit, sharing_type: str) -> QuerySet[Unit]:
    """The units a record owned by `unit` serves under a sharing type."""
    if sharing_type == SharingType.ALL:
        return Unit.objects.all()
    if sharing_type == SharingType.UNIT_GROUP and unit.group_id is not None:
        return Unit.objects.filter(group_id=unit.group_id)
    return Unit.objects.filter(pk=unit.pk)
