from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chancela.esign.models import ConfigAuditEntry, SignerRegistration
from chancela.testing.factories import make_person, make_signer_registration

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("purge_signer_registrations", *args, stdout=out)
    return out.getvalue()


def listed_ids(output: str) -> set[int]:
    return {int(n) for n in re.findall(r"^  #(\d+) ", output, re.M)}


def test_the_dry_run_lists_without_deleting(registrations):
    output = run("--unit-group", "REDE", "--email", "teste@escola.br")
    assert "Would delete (dry run): 2" in output
    assert listed_ids(output) == {registrations["centro_test"].pk, registrations["norte_test"].pk}
    assert "teste@escola.br" not in output  # e-mails are masked
    assert SignerRegistration.objects.count() == 5
    assert not ConfigAuditEntry.objects.filter(
        action=ConfigAuditEntry.Action.SIGNER_REGISTRATIONS_PURGED
    ).exists()


def test_execute_deletes_exactly_what_the_dry_run_listed_and_audits_each_configuration(
    registrations,
):
    dry = listed_ids(run("--unit", "CENTRO", "--unit", "NORTE", "--email", "teste@escola.br"))
    before = set(SignerRegistration.objects.values_list("pk", flat=True))
    executed = run("--unit", "CENTRO", "--unit", "NORTE", "--email", "teste@escola.br", "--execute")
    after = set(SignerRegistration.objects.values_list("pk", flat=True))
    assert listed_ids(executed) == dry
    assert before - after == dry
    audit = ConfigAuditEntry.objects.get(
        config=registrations["sandbox"], action=ConfigAuditEntry.Action.SIGNER_REGISTRATIONS_PURGED
    )
    assert audit.note.startswith("2 pessoa(s) registrada(s) para assinatura removida(s).")
    assert "t***@escola.br" in str(audit.changes)


def test_production_rows_stay_unless_asked(registrations):
    run("--unit", "CENTRO", "--execute")
    assert SignerRegistration.objects.filter(pk=registrations["prod_test"].pk).exists()
    assert not SignerRegistration.objects.filter(
        config=registrations["sandbox"], unit__code="CENTRO"
    ).exists()
    output = run("--unit", "CENTRO", "--include-production", "--execute")
    assert listed_ids(output) == {registrations["prod_test"].pk}
    assert not SignerRegistration.objects.filter(pk=registrations["prod_test"].pk).exists()
    assert ConfigAuditEntry.objects.filter(
        config=registrations["production"],
        action=ConfigAuditEntry.Action.SIGNER_REGISTRATIONS_PURGED,
    ).exists()
    assert SignerRegistration.objects.filter(pk=registrations["outra_test"].pk).exists()


def test_it_refuses_to_run_without_a_filter_or_with_an_unknown_unit(registrations):
    with pytest.raises(CommandError, match="ao menos uma unidade"):
        run("--execute")
    with pytest.raises(CommandError, match="NAO_EXISTE"):
        run("--unit", "NAO_EXISTE", "--execute")
    assert SignerRegistration.objects.count() == 5


def fingerprint_of(output: str) -> str:
    return re.search(r"^Selection fingerprint: (\w+)$", output, re.M).group(1)


def test_execute_with_the_dry_runs_fingerprint_deletes_only_if_nothing_changed(registrations):
    dry = run("--unit", "CENTRO", "--email", "teste@escola.br")
    fingerprint = fingerprint_of(dry)
    late = make_signer_registration(
        registrations["sandbox"],
        make_person(registrations["sandbox"].unit, email="teste@escola.br"),
    )

    with pytest.raises(CommandError, match="selection changed since the dry run"):
        run("--unit", "CENTRO", "--email", "teste@escola.br", "--execute", "--expect", fingerprint)
    assert SignerRegistration.objects.count() == 6

    late.delete()
    executed = run(
        "--unit", "CENTRO", "--email", "teste@escola.br", "--execute", "--expect", fingerprint
    )
    assert listed_ids(executed) == listed_ids(dry) == {registrations["centro_test"].pk}
    assert not SignerRegistration.objects.filter(pk=registrations["centro_test"].pk).exists()
    assert SignerRegistration.objects.count() == 4
