"""SignerRegistration (the seed's TB_PESSOA_ASSIN_ELETRONICA) is written by every real send, on
both APIs; the purge finds exactly what the sends created; a 1.9 signer key is reused while the
person's identity holds and replaced when it changes; a sandbox row never serves production."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from chancela.clicksign.types import API_LEGACY
from chancela.esign.models import SignatureConfig, SignerRegistration
from chancela.signing.dispatch import signature_request_dispatch
from chancela.signing.models import RequestStatus
from chancela.testing.clicksign import API_VERSIONS, emulator_account, point_clicksign_at
from chancela.testing.factories import (
    make_config,
    make_cpf,
    make_document_type,
    make_person,
    make_signature_request,
    make_signer_input,
    make_unit,
    make_unit_group,
)
from clicksign_emulator import DEMO_API_USER_EMAIL

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True),
]


def config_for(emulator, unit, api, **kwargs):
    fields = {"api_user_email": DEMO_API_USER_EMAIL}
    if api == API_LEGACY:
        fields["envelopes_enabled"] = False
    if kwargs.get("environment") == "production":
        fields["environment"] = "production"
    token = emulator_account(emulator, **fields)["token"]
    config = make_config(unit, token=token, api_user_email=DEMO_API_USER_EMAIL, **kwargs)
    SignatureConfig.objects.filter(pk=config.pk).update(clicksign_api=api)
    config.refresh_from_db()
    return config


def send(config, *people, **signer_fields):
    request = make_signature_request(
        config.unit,
        make_document_type(config),
        signers=[
            make_signer_input(
                **{"name": p.name, "email": p.email, "cpf": p.cpf, "person": p}
                | signer_fields.get(p.email, {})
            )
            for p in people
        ],
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES, request.last_error
    return request


def purge_dry_run(*args: str) -> set[int]:
    out = StringIO()
    call_command("purge_signer_registrations", *args, stdout=out)
    assert "Would delete (dry run)" in out.getvalue()
    return {int(n) for n in re.findall(r"^  #(\d+) ", out.getvalue(), re.M)}


def test_the_purge_dry_run_lists_what_real_sends_registered(
    clicksign_emulator, settings, clicksign_api
):
    point_clicksign_at(settings, clicksign_emulator)
    group = make_unit_group(code="REDE14")
    centro, norte, fora = (
        make_unit(group, code="CENTRO14"),
        make_unit(group, code="NORTE14"),
        make_unit(code="FORA14"),
    )
    people = {}
    for unit in (centro, norte, fora):
        config = config_for(clicksign_emulator, unit, clicksign_api)
        maria = make_person(unit, name="Maria Souza Lima", email=f"maria@{unit.code.lower()}.br")
        jose = make_person(unit, name="José Souza Lima", email="jose@familia.com.br")
        send(config, maria, jose)
        people[unit.code] = (maria, jose)

    rows = SignerRegistration.objects.all()
    assert rows.count() == 6  # one per (configuration, person)
    assert {r.clicksign_api for r in rows} == {clicksign_api}
    assert all(r.last_clicksign_signer_id and r.send_count == 1 for r in rows)

    def ids(**filters):
        return set(SignerRegistration.objects.filter(**filters).values_list("pk", flat=True))

    assert purge_dry_run("--unit", "CENTRO14") == ids(unit=centro)
    assert purge_dry_run("--unit-group", "REDE14") == ids(unit__in=[centro, norte])
    assert purge_dry_run("--email", "jose@familia.com.br") == ids(email="jose@familia.com.br")
    assert purge_dry_run("--unit-group", "REDE14", "--email", "jose@familia.com.br") == ids(
        unit__in=[centro, norte], email="jose@familia.com.br"
    )
    assert SignerRegistration.objects.count() == 6  # a dry run deletes nothing


def test_a_second_send_reuses_the_registered_signer_until_the_identity_changes(
    clicksign_emulator, settings, clicksign_api
):
    point_clicksign_at(settings, clicksign_emulator)
    unit = make_unit()
    config = config_for(clicksign_emulator, unit, clicksign_api)
    maria = make_person(unit, name="Maria Souza Lima", email="maria@familia.com.br")
    first = send(config, maria)
    key = first.signers.get().clicksign_signer_id
    clicksign_emulator.control.clear_requests()

    second = send(config, maria)

    row = SignerRegistration.objects.get(config=config, person=maria)
    assert row.send_count == 2
    created = clicksign_emulator.control.requests(method="POST", path="signers$")
    looked_up = clicksign_emulator.control.requests(method="GET", path="signers$")
    if clicksign_api == API_LEGACY:
        # The same account signer, with no look-up and no creation.
        assert second.signers.get().clicksign_signer_id == key == row.last_clicksign_signer_id
        assert created == [] and looked_up == []
    else:
        # An envelope signer lives in one envelope: a new one, both ids kept.
        assert row.envelope_signer_ids == [key, second.signers.get().clicksign_signer_id]
        assert len(created) == 1

    # A corrected CPF (part of the identity Clicksign keeps): a new signer replaces the key.
    corrected = make_cpf(777)
    third = send(config, maria, **{maria.email: {"cpf": corrected}})
    row.refresh_from_db()
    assert row.cpf == corrected
    assert row.last_clicksign_signer_id == third.signers.get().clicksign_signer_id != key


def test_a_sandbox_registration_never_serves_production(
    clicksign_emulator, settings, clicksign_api
):
    point_clicksign_at(settings, clicksign_emulator)
    unit = make_unit()
    sandbox = config_for(clicksign_emulator, unit, clicksign_api)
    maria = make_person(unit, name="Maria Souza Lima", email="maria@familia.com.br")
    send(sandbox, maria)
    SignatureConfig.objects.filter(pk=sandbox.pk).update(active=False)
    production = config_for(clicksign_emulator, unit, clicksign_api, environment="production")

    sent = send(production, maria)

    rows = SignerRegistration.objects.filter(person=maria)
    assert {r.config_id for r in rows} == {sandbox.pk, production.pk}
    sandbox_key = rows.get(config=sandbox).last_clicksign_signer_id
    assert sent.signers.get().clicksign_signer_id != sandbox_key
