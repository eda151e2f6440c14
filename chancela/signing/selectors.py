"""Reads of signature requests and of what a sender may pick, always scoped to the actor's units.

Two kinds of actor: a staff user (his unit filter) and a host API key (its units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from chancela.core.polling import changed_since
from chancela.esign.models import DocumentType, SignatureConfig
from chancela.esign.selectors import configs_visible_to, document_types_visible_to
from chancela.institutions.models import Person, Unit
from chancela.institutions.selectors import units_visible_to
from chancela.signing.models import (
    TERMINAL_STATUSES,
    RequestStatus,
    SignatureRequest,
    Signer,
    SignerStatus,
)


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
    *, requests: QuerySet[SignatureRequest], **filters: Any
) -> QuerySet[SignatureRequest]:
    """``changed_since`` over requests (see ``chancela.core.polling``)."""
    return changed_since(requests, **filters)


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


# --- "Documentos em assinatura" (the secretaria's list) and the home dashboard ---------------

IN_FLIGHT_STATUSES = (
    RequestStatus.QUEUED,
    RequestStatus.SENDING,
    RequestStatus.AWAITING_SIGNATURES,
)


@dataclass(frozen=True, kw_only=True)
class RequestFilters:
    """What the list screen (and its CSV export) may filter by. Empty values filter nothing."""

    unit_id: int | None = None
    document_type_id: int | None = None
    status: str = ""
    environment: str = ""
    created_from: date | None = None
    created_to: date | None = None
    person: str = ""
    external_id: str = ""


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _person_condition(query: str) -> Q:
    """A signer (name, e-mail, CPF) or the student (name) of the request matches ``query``."""
    query = query.strip()
    digits = "".join(ch for ch in query if ch.isdigit())
    signer = Q(name__icontains=query) | Q(email__icontains=query)
    if len(digits) == 11 and not any(ch.isalpha() for ch in query):
        signer = Q(cpf=digits)
    signers = Signer.objects.filter(signer, request=OuterRef("pk"))
    condition = Q(Exists(signers))
    if len(digits) != 11:
        condition |= Q(student_name__icontains=query)
    return condition


def signature_requests_filter(
    *,
    requests: QuerySet[SignatureRequest],
    filters: RequestFilters,
    with_status: bool = True,
) -> QuerySet[SignatureRequest]:
    """Narrow (already unit-scoped) requests by the list filters; newest first.

    ``with_status=False`` ignores the status filter (the counts per status are of the other
    filters, so that each status chip shows what choosing it would list).
    """
    qs = requests
    if filters.unit_id is not None:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.document_type_id is not None:
        qs = qs.filter(document_type_id=filters.document_type_id)
    if with_status and filters.status:
        qs = qs.filter(status=filters.status)
    if filters.environment:
        qs = qs.filter(environment=filters.environment)
    if filters.created_from is not None:
        qs = qs.filter(created_at__gte=_local_midnight(filters.created_from))
    if filters.created_to is not None:
        qs = qs.filter(created_at__lt=_local_midnight(filters.created_to + timedelta(days=1)))
    if filters.person.strip():
        qs = qs.filter(_person_condition(filters.person))
    if filters.external_id.strip():
        qs = qs.filter(external_id__icontains=filters.external_id.strip())
    return qs.order_by("-created_at", "-id")


def signature_requests_listed_for(
    *, user: Any, filters: RequestFilters
) -> QuerySet[SignatureRequest]:
    """The rows of the list screen and of its CSV: the user's units, then the filters.

    Only what a row shows is loaded (not the configuration: its token would be decrypted).
    """
    rows = (
        SignatureRequest.objects.filter(unit__in=units_visible_to(user=user))
        .select_related("unit", "document_type")
        .prefetch_related("signers")
    )
    return signature_requests_filter(requests=rows, filters=filters)


def signature_request_status_counts(*, user: Any, filters: RequestFilters) -> dict[str, int]:
    """How many of the user's requests match the filters (status aside), per status."""
    qs = signature_requests_filter(
        requests=SignatureRequest.objects.filter(unit__in=units_visible_to(user=user)),
        filters=filters,
        with_status=False,
    )
    counts = dict.fromkeys((str(status) for status in RequestStatus), 0)
    for row in qs.order_by().values("status").annotate(total=Count("id")):
        counts[row["status"]] = row["total"]
    return counts


def document_types_listable_by(*, user: Any) -> QuerySet[DocumentType]:
    """Every document type of the user's units (inactive ones too: old requests use them)."""
    return document_types_visible_to(user=user).order_by("name")


def request_actions_available(request: SignatureRequest) -> dict[str, bool]:
    """Which actions the request page offers for the request's status (the services re-check)."""
    status = request.status
    return {
        "remind": status == RequestStatus.AWAITING_SIGNATURES
        and bool(request.clicksign_envelope_id),
        "cancel": status not in TERMINAL_STATUSES,
        "retry": status == RequestStatus.FAILED,
        "correct": status != RequestStatus.SIGNED and status != RequestStatus.SENDING,
        "copy": True,
    }


def signers_remindable(request: SignatureRequest) -> set[int]:
    """Signers a reminder can reach now: pending, known at Clicksign, and in the group whose
    turn it is (a later group is not invited before the earlier ones have signed)."""
    if not request_actions_available(request)["remind"]:
        return set()
    pending = [
        signer
        for signer in request.signers.all()
        if signer.status == SignerStatus.PENDING and signer.clicksign_signer_id
    ]
    if not pending:
        return set()
    turn = min(signer.group for signer in pending)
    return {signer.pk for signer in pending if signer.group == turn}


# --- home dashboard ----------------------------------------------------------------------------

AGE_BUCKETS = (
    ("pending_today", "Menos de 1 dia", 0, 1),
    ("pending_3d", "1 a 3 dias", 1, 3),
    ("pending_7d", "3 a 7 dias", 3, 7),
    ("pending_older", "Mais de 7 dias", 7, None),
)
ATTENTION_STATUSES = (RequestStatus.REFUSED, RequestStatus.EXPIRED)


@dataclass(frozen=True)
class UnitDashboard:
    unit: Unit
    pending: list[tuple[str, int]]  # (bucket label, count), youngest first
    pending_total: int
    signed_this_week: int
    failed: int
    refused_or_expired_week: int


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the current week, in the institution's time zone."""
    today = timezone.localdate(now or timezone.now())
    return _local_midnight(today - timedelta(days=today.weekday()))


def dashboard_units_for(*, user: Any, now: datetime | None = None) -> list[UnitDashboard]:
    """Per unit of the user's filter: requests in flight by age (since creation), signed this
    week, failed (waiting for someone to retry), refused or expired in the last 7 days."""
    now = now or timezone.now()
    in_flight = Q(status__in=IN_FLIGHT_STATUSES)
    aggregates: dict[str, Any] = {}
    for key, _label, newer, older in AGE_BUCKETS:
        if newer == 0:
            condition = in_flight & Q(created_at__gt=now - timedelta(days=1))
        else:
            condition = in_flight & Q(created_at__lte=now - timedelta(days=newer))
        if older is not None:
            condition &= Q(created_at__gt=now - timedelta(days=older))
        aggregates[key] = Count("id", filter=condition)
    aggregates["signed_week"] = Count(
        "id", filter=Q(status=RequestStatus.SIGNED, status_changed_at__gte=week_start(now))
    )
    aggregates["failed"] = Count("id", filter=Q(status=RequestStatus.FAILED))
    aggregates["attention"] = Count(
        "id",
        filter=Q(status__in=ATTENTION_STATUSES, status_changed_at__gte=now - timedelta(days=7)),
    )
    units = list(units_visible_to(user=user).order_by("name"))
    rows = {
        row["unit_id"]: row
        for row in SignatureRequest.objects.filter(unit__in=units)
        .order_by()
        .values("unit_id")
        .annotate(**aggregates)
    }
    result = []
    for unit in units:
        row = rows.get(unit.pk, {})
        pending = [(label, row.get(key, 0)) for key, label, _n, _o in AGE_BUCKETS]
        result.append(
            UnitDashboard(
                unit=unit,
                pending=pending,
                pending_total=sum(count for _, count in pending),
                signed_this_week=row.get("signed_week", 0),
                failed=row.get("failed", 0),
                refused_or_expired_week=row.get("attention", 0),
            )
        )
    return result


def requests_needing_action_for(
    *, user: Any, now: datetime | None = None, limit: int = 10
) -> QuerySet[SignatureRequest]:
    """Failed requests (to retry or correct), and those refused or expired in the last 7 days
    (to send again), most recent first."""
    now = now or timezone.now()
    return (
        SignatureRequest.objects.filter(unit__in=units_visible_to(user=user))
        .filter(
            Q(status=RequestStatus.FAILED)
            | Q(status__in=ATTENTION_STATUSES, status_changed_at__gte=now - timedelta(days=7))
        )
        .select_related("unit", "document_type")
        .order_by("-status_changed_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class ConfigHealth:
    config: SignatureConfig
    in_flight: int  # this configuration's requests of the user's units still under way
    stale_calls: bool  # requests in flight, yet no successful Clicksign call for a day
    no_callback: bool  # requests awaiting signatures, yet no callback ever received


def config_health_for(*, user: Any, now: datetime | None = None) -> list[ConfigHealth]:
    """Each active configuration reaching the user's units (and any inactive one that still has
    requests of his units in flight): last successful Clicksign call, last callback received."""
    return _config_health(
        configs=configs_visible_to(user=user),
        requests=SignatureRequest.objects.filter(unit__in=units_visible_to(user=user)),
        now=now,
    )


def config_health_all(*, now: datetime | None = None) -> list[ConfigHealth]:
    """The same for every configuration of the deployment (`/readyz`; no user involved)."""
    return _config_health(
        configs=SignatureConfig.objects.all(), requests=SignatureRequest.objects.all(), now=now
    )


def _config_health(
    *,
    configs: QuerySet[SignatureConfig],
    requests: QuerySet[SignatureRequest],
    now: datetime | None,
) -> list[ConfigHealth]:
    now = now or timezone.now()
    flying = (
        requests.filter(status__in=IN_FLIGHT_STATUSES)
        .order_by()
        .values("config_id")
        .annotate(
            total=Count("id"),
            awaiting=Count("id", filter=Q(status=RequestStatus.AWAITING_SIGNATURES)),
        )
    )
    counts = {row["config_id"]: row for row in flying}
    configs = configs.filter(Q(active=True) | Q(pk__in=list(counts)))
    result = []
    for config in configs.select_related("unit").order_by("environment", "name"):
        row = counts.get(config.pk, {})
        total = row.get("total", 0)
        last_call = config.last_successful_call_at
        result.append(
            ConfigHealth(
                config=config,
                in_flight=total,
                stale_calls=bool(total)
                and (last_call is None or now - last_call > timedelta(days=1)),
                no_callback=bool(row.get("awaiting")) and config.last_callback_at is None,
            )
        )
    return result


def request_page_version(request: SignatureRequest) -> str:
    """What the request page shows changes iff this changes: status, files archived, timeline."""
    from chancela.signing.models import Document, RequestEvent

    last_event = (
        RequestEvent.objects.filter(request=request)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    archived = Document.objects.filter(request=request).exclude(signed_file="").count()
    return f"{request.status}.{last_event or 0}.{archived}"
