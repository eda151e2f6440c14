"""Reads of configurations and document types, always scoped to what the actor may see.

A configuration is owned by one unit; the sharing policy (``ConfiguracaoAssinaturaEletronica``)
decides which units it *reaches*: only its own, its unit group, or every unit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from chancela.esign.errors import ConfigurationError
from chancela.esign.models import (
    ConfigPromotion,
    DocumentType,
    DocumentTypeSigner,
    Environment,
    PromotionStatus,
    SignatureConfig,
    SignerRegistration,
)
from chancela.institutions.models import Person, SharingType, Unit, UnitGroup
from chancela.institutions.selectors import sharing_type_for, units_reached_from, units_visible_to
from chancela.signing.models import TERMINAL_STATUSES, SignatureRequest


def config_reach(config: SignatureConfig, sharing_type: str | None = None) -> QuerySet[Unit]:
    """The units a configuration serves under the current (or given) sharing policy."""
    return units_reached_from(unit=config.unit, sharing_type=sharing_type or sharing_type_for())


def configs_reaching_units(
    unit_ids: set[int] | list[int], sharing_type: str | None = None
) -> QuerySet[SignatureConfig]:
    """Configurations that serve at least one of the given units."""
    sharing = sharing_type or sharing_type_for()
    if sharing == SharingType.ALL:
        return SignatureConfig.objects.all() if unit_ids else SignatureConfig.objects.none()
    condition = Q(unit_id__in=unit_ids)
    if sharing == SharingType.UNIT_GROUP:
        group_ids = Unit.objects.filter(id__in=unit_ids, group__isnull=False).values("group_id")
        condition |= Q(unit__group_id__in=group_ids)
    return SignatureConfig.objects.filter(condition)


def configs_visible_to(*, user: Any) -> QuerySet[SignatureConfig]:
    unit_ids = list(units_visible_to(user=user).values_list("id", flat=True))
    return configs_reaching_units(unit_ids).select_related("unit", "unit__group")


def config_editable_by(*, user: Any, config: SignatureConfig) -> bool:
    """Only users of the owner unit change a configuration; the others it reaches just use it."""
    return units_visible_to(user=user).filter(pk=config.unit_id).exists()


def configs_usable_for_units(
    unit_ids: list[int], *, active_only: bool = True
) -> QuerySet[SignatureConfig]:
    """Active configurations that serve every one of the given units (for a document type).

    ``active_only=False`` also answers for inactive ones (a promotion's draft, checked before
    its activation).
    """
    sharing = sharing_type_for()
    qs = SignatureConfig.objects.select_related("unit")
    if active_only:
        qs = qs.filter(active=True)
    if not unit_ids:
        return qs.none()
    if sharing == SharingType.ALL:
        return qs
    units = list(Unit.objects.filter(id__in=unit_ids))
    if sharing == SharingType.UNIT_GROUP:
        group_ids = {u.group_id for u in units}
        if len(units) == 1:
            unit = units[0]
            return qs.filter(
                Q(unit=unit) | Q(unit__group_id=unit.group_id, unit__group__isnull=False)
            )
        if len(group_ids) == 1 and None not in group_ids:
            return qs.filter(unit__group_id=group_ids.pop())
        return qs.none()
    if len(units) == 1:
        return qs.filter(unit=units[0])
    return qs.none()


def config_for_unit(*, unit: Unit, environment: str | None = None) -> QuerySet[SignatureConfig]:
    qs = configs_reaching_units([unit.id]).filter(active=True)
    if environment:
        qs = qs.filter(environment=environment)
    return qs


def document_type_other_units(*, document_type: DocumentType, user: Any) -> QuerySet[Unit]:
    """Units the document type serves that the user does not administer (not in his units)."""
    return document_type.units.exclude(pk__in=units_visible_to(user=user)).order_by("name")


def document_types_other_units(*, document_types: list[DocumentType], user: Any) -> QuerySet[Unit]:
    """Units the document types serve that the user does not administer."""
    return (
        Unit.objects.filter(document_types__in=document_types)
        .exclude(pk__in=units_visible_to(user=user))
        .distinct()
        .order_by("name")
    )


def config_other_units(*, config: SignatureConfig, user: Any) -> QuerySet[Unit]:
    """Units the configuration serves (sharing policy) that the user does not administer."""
    return config_reach(config).exclude(pk__in=units_visible_to(user=user)).order_by("name")


def document_types_visible_to(*, user: Any) -> QuerySet[DocumentType]:
    units = units_visible_to(user=user)
    return (
        DocumentType.objects.filter(units__in=units)
        .distinct()
        .select_related("config", "config__unit")
        .prefetch_related("units")
    )


def signer_registrations_for_purge(
    *,
    units: list[Unit] | QuerySet[Unit],
    emails: list[str],
    include_production: bool = False,
) -> QuerySet[SignerRegistration]:
    """SignerRegistration rows matching the units AND the e-mails given (either may be empty,
    not both), under sandbox configurations unless ``include_production``.

    The seed's TB_PESSOA_ASSIN_ELETRONICA clean-up, filtered by units / groups of units and the
    e-mails used in the tests.
    """
    unit_ids = [unit.pk for unit in units]
    emails = [e.strip().lower() for e in emails if e and e.strip()]
    if not unit_ids and not emails:
        raise ConfigurationError(
            "purge_filter_required",
            "Informe ao menos uma unidade, um grupo de unidades ou um e-mail: a limpeza nunca "
            "apaga tudo.",
            None,
        )
    qs = SignerRegistration.objects.select_related("config", "unit", "config__unit")
    if unit_ids:
        qs = qs.filter(unit_id__in=unit_ids)
    if emails:
        condition = Q()
        for email in emails:
            condition |= Q(email__iexact=email)
        qs = qs.filter(condition)
    if not include_production:
        qs = qs.filter(config__environment=Environment.SANDBOX)
    return qs.order_by("config_id", "unit_id", "email", "id")


def signer_registrations_for_purge_by(
    *,
    user: Any,
    units: Iterable[Unit] = (),
    unit_groups: Iterable[UnitGroup] = (),
    emails: list[str] | None = None,
    include_production: bool = False,
) -> QuerySet[SignerRegistration]:
    """The clean-up selection of the purge screen: like :func:`signer_registrations_for_purge`,
    but only ever inside the user's unit filter (a group counts only with its visible units;
    e-mails alone search every visible unit)."""
    emails = [e for e in (emails or []) if e and e.strip()]
    units, unit_groups = list(units), list(unit_groups)
    if not units and not unit_groups and not emails:
        raise ConfigurationError(
            "purge_filter_required",
            "Informe ao menos uma unidade, um grupo de unidades ou um e-mail: a limpeza nunca "
            "apaga tudo.",
            None,
        )
    visible = units_visible_to(user=user)
    if units or unit_groups:
        condition = Q(pk__in=[unit.pk for unit in units])
        condition |= Q(group__in=[group.pk for group in unit_groups])
        chosen = list(visible.filter(condition))
        if not chosen:
            raise ConfigurationError(
                "purge_no_visible_unit",
                "Nenhuma das unidades escolhidas está no seu filtro de unidades.",
                "unit_groups",
            )
    else:
        chosen = list(visible)
        if not chosen:
            return SignerRegistration.objects.none()
    return signer_registrations_for_purge(
        units=chosen, emails=emails, include_production=include_production
    )


def signer_registrations_fingerprint(registrations: Iterable[SignerRegistration]) -> str:
    """A short digest of exactly which rows a dry run listed: the real run deletes only if the
    selection is still the same (no row added, none gone)."""
    rows = sorted(f"{row.pk}:{row.config_id}:{row.email.lower()}" for row in registrations)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def document_type_signers_visible_to(
    *, user: Any, document_type: DocumentType
) -> QuerySet[DocumentTypeSigner]:
    """The fixed signers of a document type in the user's units."""
    return (
        DocumentTypeSigner.objects.filter(
            document_type=document_type, person__unit__in=units_visible_to(user=user)
        )
        .select_related("person", "person__unit", "delegate")
        .order_by("person__unit__name", "group", "id")
    )


def person_find(*, units: QuerySet[Unit], reference: str) -> Person | None:
    """One person of the given units by code (matrícula), e-mail or CPF; None if 0 or 2+."""
    reference = (reference or "").strip()
    if not reference:
        return None
    condition = Q(code__iexact=reference) | Q(email__iexact=reference)
    digits = "".join(ch for ch in reference if ch.isdigit())
    if len(digits) == 11 and len(digits) >= len(reference.replace(".", "").replace("-", "")):
        condition |= Q(cpf=digits)
    found = list(Person.objects.filter(condition, unit__in=units)[:2])
    return found[0] if len(found) == 1 else None


# --- "Promover para produção" -------------------------------------------------------------


def promotion_in_progress(
    *, source: SignatureConfig | None = None, target: SignatureConfig | None = None
) -> ConfigPromotion | None:
    """The promotion in progress from a sandbox configuration, or of a production draft."""
    qs = ConfigPromotion.objects.filter(status=PromotionStatus.IN_PROGRESS).select_related(
        "source", "source__unit", "target", "target__unit"
    )
    if source is not None:
        qs = qs.filter(source=source)
    if target is not None:
        qs = qs.filter(target=target)
    return qs.first()


def promotion_last_completed(*, source: SignatureConfig) -> ConfigPromotion | None:
    return (
        ConfigPromotion.objects.filter(source=source, status=PromotionStatus.COMPLETED)
        .select_related("target")
        .order_by("-finished_at", "-id")
        .first()
    )


def promotion_document_types(*, user: Any, promotion: ConfigPromotion) -> QuerySet[DocumentType]:
    """The document types the user sees that use the sandbox configuration being promoted."""
    return document_types_visible_to(user=user).filter(config=promotion.source).order_by("name")


def promotion_document_types_out_of_reach(*, user: Any, promotion: ConfigPromotion) -> int:
    """How many document types of units outside the user's filter also use the sandbox."""
    visible = document_types_visible_to(user=user).values("pk")
    return DocumentType.objects.filter(config=promotion.source).exclude(pk__in=visible).count()


def config_requests_in_flight(*, config: SignatureConfig) -> QuerySet[SignatureRequest]:
    """Requests created with the configuration that have not reached a final status."""
    return SignatureRequest.objects.filter(config=config).exclude(status__in=TERMINAL_STATUSES)


def promotion_draft_config_ids(*, configs: QuerySet[SignatureConfig]) -> set[int]:
    """Which of the configurations are production drafts of a promotion in progress."""
    return set(
        ConfigPromotion.objects.filter(
            status=PromotionStatus.IN_PROGRESS, target__in=configs
        ).values_list("target_id", flat=True)
    )
