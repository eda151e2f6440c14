"""SignerRegistration (the seed's TB_PESSOA_ASSIN_ELETRONICA) written by every dispatch.

One row per (configuration, person): what Clicksign knows of that person for that configuration.
On API 1.9 the signer is an account-level record, so its key is kept and reused on the next send
— as long as the identity sent (name, e-mail, phone, CPF, birth date, authentications) is the same
and the row was written under the same API; otherwise a new signer is looked up or created and
the row replaced. On 3.0 signers live inside one envelope: the row keeps the identity last sent
and the recent envelope signer ids. Keyed by configuration, a sandbox row can never serve a
production configuration (a promotion creates a new configuration).

A signer typed without a person (an ERP payload, a one-off signer) is matched to a person of the
request's unit by CPF, then by e-mail and name, or recorded as a new person of that unit (the seed
kept its table by unit and e-mail); the signer row is linked to that person.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from chancela.clicksign.port import API_LEGACY
from chancela.esign.models import SignatureConfig, SignerRegistration
from chancela.institutions.models import Person
from chancela.signing.models import RequirementAction, Signer, SignerRequirement

logger = logging.getLogger(__name__)

ENVELOPE_IDS_KEPT = 20


def signer_auths(signer: Signer) -> list[str]:
    """The signer's authentications as the request's requirements say (sorted, unique)."""
    values = SignerRequirement.objects.filter(
        signer=signer, action=RequirementAction.AUTHENTICATION
    ).values_list("value", flat=True)
    return sorted(set(values))


def _identity(signer: Signer, auths: list[str]) -> tuple:
    return (
        " ".join(signer.name.split()).casefold(),
        signer.email.strip().casefold(),
        signer.phone or "",
        signer.cpf or "",
        signer.birth_date,
        tuple(auths),
    )


def _registration_identity(row: SignerRegistration) -> tuple:
    return (
        " ".join(row.name.split()).casefold(),
        row.email.strip().casefold(),
        row.phone or "",
        row.cpf or "",
        row.birth_date,
        tuple(sorted(row.auths or [])),
    )


def registrations_reusable(*, config: SignatureConfig, signers: list[Signer]) -> dict[int, str]:
    """signer pk -> the registered 1.9 signer key to reuse (identity unchanged, same API).
    Empty on 3.0: an envelope signer cannot be reused."""
    if config.clicksign_api != API_LEGACY:
        return {}
    people = [s.person_id for s in signers if s.person_id]
    rows = {
        row.person_id: row
        for row in SignerRegistration.objects.filter(config=config, person_id__in=people)
    }
    reusable: dict[int, str] = {}
    for signer in signers:
        row = rows.get(signer.person_id) if signer.person_id else None
        if (
            row is not None
            and row.clicksign_api == API_LEGACY
            and row.last_clicksign_signer_id
            and _registration_identity(row) == _identity(signer, signer_auths(signer))
        ):
            reusable[signer.pk] = row.last_clicksign_signer_id
    return reusable


def _person_for(signer: Signer) -> Person:
    unit = signer.request.unit
    people = Person.objects.filter(unit=unit)
    if signer.cpf:
        found = people.filter(cpf=signer.cpf).order_by("id").first()
        if found is not None:
            return found
    found = (
        people.filter(email__iexact=signer.email, name__iexact=signer.name).order_by("id").first()
    )
    if found is not None:
        return found
    return Person.objects.create(
        unit=unit,
        name=signer.name,
        email=signer.email,
        cpf=signer.cpf,
        phone=signer.phone,
        birth_date=signer.birth_date,
    )


def registration_record(*, config: SignatureConfig, signer: Signer, remote_id: str) -> None:
    """Write (or replace) the (configuration, person) row after Clicksign answered for the
    signer. One short transaction; never called with a network call pending."""
    auths = signer_auths(signer)
    now = timezone.now()
    with transaction.atomic():
        if signer.person_id is None:
            person = _person_for(signer)
            Signer.objects.filter(pk=signer.pk).update(person=person)
            signer.person = person
        person_id = signer.person_id
        assert person_id is not None
        row = (
            SignerRegistration.objects.select_for_update()
            .filter(config=config, person_id=person_id)
            .first()
        )
        if row is None:
            row = SignerRegistration(config=config, person_id=person_id, unit=signer.request.unit)
            row.registered_at = now
        replaced = bool(row.pk) and row.last_clicksign_signer_id not in ("", remote_id)
        row.name = signer.name
        row.email = signer.email
        row.cpf = signer.cpf
        row.phone = signer.phone
        row.birth_date = signer.birth_date
        row.auths = auths
        row.clicksign_api = config.clicksign_api
        row.last_clicksign_signer_id = remote_id
        if config.clicksign_api != API_LEGACY:
            ids = [i for i in (row.envelope_signer_ids or []) if i != remote_id]
            row.envelope_signer_ids = [*ids, remote_id][-ENVELOPE_IDS_KEPT:]
        row.send_count = (row.send_count or 0) + 1
        row.last_used_at = now
        row.save()
    logger.info(
        "signer registration recorded",
        extra={
            "config": str(config.public_id),
            "api": config.clicksign_api,
            "replaced": replaced,
        },
    )
