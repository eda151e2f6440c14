"""Reads of signature requests and of what a sender may pick, always scoped to the actor's units.

Two kinds of actor: a staff user (his unit filter) and a host API key (its units).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from chancela.esign.models import DocumentType
from chancela.esign.selectors import document_types_visible_to
from chancela.institutions.models import Person, Unit
from chancela.institutions.selectors import units_visible_to
from chancela.signing.models import SignatureRequest


def _with_details(qs: QuerySet[SignatureRequest]) -> QuerySet[SignatureRequest]:
    return qs.select_related("unit", "document_type", "config").prefetch_related(
        "documents", "signers"
    )


def signature_requests_visible_to(*, user: Any) -> QuerySet[SignatureRequest]:
    return _with_details(SignatureRequest.objects.filter(unit__in=units_visible_to(user=user)))


def units_of_api_key(*, api_key: Any) -> QuerySet[Unit]:
    if api_key is None or not api_key.is_active:
        return Unit.objects.none()
    return Unit.objects.filter(api_keys=api_key)


def signature_requests_for_api_key(*, api_key: Any) -> QuerySet[SignatureRequest]:
    return _with_details(
        SignatureRequest.objects.filter(unit__in=units_of_api_key(api_key=api_key))
    )


def signature_requests_changed(
    *,
    requests: QuerySet[SignatureRequest],
    unit: Unit | None = None,
    status: str | None = None,
    external_id: str | None = None,
    updated_after: datetime | None = None,
    after: tuple[datetime, str] | None = None,
) -> QuerySet[SignatureRequest]:
    """Filter (already scoped) requests, ordered by (updated_at, id) for polling by a host.

    ``after`` is a keyset cursor: the (updated_at, public_id) of the last row of the previous
    page (the public id breaks ties between rows changed in the same microsecond).
    """
    if unit is not None:
        requests = requests.filter(unit=unit)
    if status:
        requests = requests.filter(status=status)
    if external_id:
        requests = requests.filter(external_id=external_id)
    if updated_after is not None:
        requests = requests.filter(updated_at__gt=updated_after)
    if after is not None:
        stamp, public_id = after
        requests = requests.filter(
            Q(updated_at__gt=stamp) | Q(updated_at=stamp, public_id__gt=public_id)
        )
    return requests.order_by("updated_at", "public_id")


def document_types_sendable_by(*, user: Any, unit: Unit | None = None) -> QuerySet[DocumentType]:
    """Active document types of the user's units (of one unit, when given)."""
    qs = document_types_visible_to(user=user).filter(active=True, config__active=True)
    if unit is not None:
        qs = qs.filter(units=unit)
    return qs.order_by("name")


def people_search(*, user: Any, unit: Unit, query: str, limit: int = 15) -> QuerySet[Person]:
    """People of one of the user's units whose name, code, e-mail or CPF matches the query."""
    if not units_visible_to(user=user).filter(pk=unit.pk).exists():
        return Person.objects.none()
    terms = query.split()
    if not terms:
        return Person.objects.none()
    qs = Person.objects.filter(unit=unit)
    digits = "".join(ch for ch in query if ch.isdigit())
    for term in terms:
        condition = Q(name__icontains=term) | Q(code__iexact=term) | Q(email__iexact=term)
        if digits and len(digits) == 11:
            condition |= Q(cpf=digits)
        qs = qs.filter(condition)
    return qs.prefetch_related("guardians").order_by("name")[:limit]


def document_type_for_unit(*, unit: Unit, code: str) -> DocumentType | None:
    """The document type with this code offered to the unit (active or not), or None."""
    return (
        DocumentType.objects.filter(code__iexact=(code or "").strip(), units=unit)
        .select_related("config")
        .first()
    )
