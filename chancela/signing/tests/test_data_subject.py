"""The data-subject report (LGPD art. 18) across two units, its audit, and anonymisation."""

from __future__ import annotations

import html as html_lib
from typing import Any

import pytest

from chancela.batches.models import BatchRow
from chancela.batches.tests.helpers import good_row, make_batch
from chancela.esign.models import SignerRegistration
from chancela.signing.models import PrivacyAuditEntry, SignatureRequest, Signer
from chancela.testing.factories import (
    make_config,
    make_cpf,
    make_document_type,
    make_person,
    make_signature_request,
    make_signer_input,
    make_signer_registration,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/privacidade/titular/"
PERMISSION = "signing.data_subject_report"
CPF = make_cpf(4242)
FORMATTED = f"{CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}"


def _request(unit, document_type, status: str, title: str) -> SignatureRequest:
    signer = make_signer_input(name="Helena Prado Costa", email="helena@example.com", cpf=CPF)
    return make_signature_request(unit, document_type, title=title, signers=[signer], status=status)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    north, south = make_unit(name="Colégio Norte"), make_unit(name="Colégio Sul")
    north_type = make_document_type(make_config(north), name="Contrato Norte")
    south_config = make_config(south)
    south_type = make_document_type(south_config, name="Contrato Sul")
    make_person(north, name="Helena Prado Costa", cpf=CPF, code="N-1")
    w = {
        "north": north,
        "south": south,
        "north_signed": _request(north, north_type, "signed", "Contrato Norte assinado"),
        "north_canceled": _request(north, north_type, "canceled", "Contrato Norte cancelado"),
        "south_failed": _request(south, south_type, "failed", "Contrato Sul com falha"),
        "registration": make_signer_registration(
            south_config, make_person(south, name="Helena Prado Costa", cpf=CPF, code="S-1")
        ),
    }
    rows = [good_row(1, financial_name="Helena Prado Costa", financial_cpf=FORMATTED)]
    rows[0].update(financial_email="helena@example.com")
    w["batch"] = make_batch(south, south_type, rows, title="Rematrícula Sul")
    # Someone else, in both units: never in Helena's report.
    other = make_signer_input(name="Outro Nome Silva", cpf=make_cpf(77))
    make_signature_request(north, north_type, title="Outro", signers=[other])
    return w


def _report(client, user, **extra: str) -> Any:
    client.force_login(user)
    return client.post(URL, {"cpf": FORMATTED, **extra})


def _text(response) -> str:
    return html_lib.unescape(response.content.decode())


def test_it_reports_a_cpf_present_in_two_units_only_within_each_users_units(client, world):
    north_user = make_user(units=[world["north"]], perms=[PERMISSION])
    south_user = make_user(units=[world["south"]], perms=[PERMISSION])
    both_user = make_user(units=[world["north"], world["south"]], perms=[PERMISSION])

    north = _text(_report(client, north_user))
    assert "Contrato Norte assinado" in north and "Contrato Norte cancelado" in north
    assert "Contrato Sul" not in north and "Rematrícula Sul" not in north
    assert "Colégio Sul" not in north and "Outro Nome Silva" not in north
    assert "N-1" in north and "S-1" not in north
    assert "documento assinado (execução de contrato" in north
    assert "Sem base legal para manter" in north

    south = _text(_report(client, south_user))
    assert "Contrato Sul com falha" in south and "Rematrícula Sul" in south
    assert "Responsável financeiro" in south  # his role in the batch row
    assert "Registros de signatário na Clicksign" in south and "S-1" in south
    assert "Contrato Norte" not in south and "N-1" not in south

    both = _text(_report(client, both_user))
    assert "Contrato Norte assinado" in both and "Contrato Sul com falha" in both

    # Every consultation is audited: who, which units, the CPF's hash — never the CPF.
    entries = list(PrivacyAuditEntry.objects.order_by("id"))
    assert [e.actor for e in entries] == [north_user, south_user, both_user]
    assert entries[0].unit_codes == [world["north"].code]
    assert entries[0].cpf_masked.startswith("***") and CPF not in str(entries[0].__dict__)
    assert entries[0].counts["assinaturas"] == 2 and entries[1].counts["linhas_de_lote"] == 1


def test_it_exports_the_report_as_csv_within_the_users_units(client, world):
    user = make_user(units=[world["south"]], perms=[PERMISSION])
    response = _report(client, user, action="csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Signatário de solicitação" in text and "Contrato Sul" in text
    assert "Linha de lote" in text and "Registro de signatário (Clicksign)" in text
    assert "Contrato Norte" not in text
    assert PrivacyAuditEntry.objects.get().action == "report_export"


def test_it_anonymises_only_what_has_no_legal_basis_and_only_in_the_users_units(client, world):
    north_user = make_user(units=[world["north"]], perms=[PERMISSION])
    unconfirmed = _report(client, north_user, action="anonymise")
    assert "Marque a confirmação" in _text(unconfirmed)
    assert Signer.objects.filter(cpf=CPF).count() == 3

    _report(client, north_user, action="anonymise", confirm="1")
    # The signed contract stays; the canceled request's signer is anonymised.
    assert world["north_signed"].signers.get().cpf == CPF
    canceled = world["north_canceled"].signers.get()
    assert (canceled.cpf, canceled.email, canceled.name) == ("", "", "Pessoa anonimizada")
    assert world["north_canceled"].events.filter(kind="data_subject_anonymised").exists()
    # Nothing of the other unit changed.
    assert world["south_failed"].signers.get().cpf == CPF
    assert SignerRegistration.objects.filter(pk=world["registration"].pk).exists()
    assert BatchRow.objects.get(batch=world["batch"]).anonymised_at is None

    south_user = make_user(units=[world["south"]], perms=[PERMISSION])
    _report(client, south_user, action="anonymise", confirm="1")
    assert world["south_failed"].signers.get().cpf == ""
    assert not SignerRegistration.objects.filter(pk=world["registration"].pk).exists()
    assert BatchRow.objects.get(batch=world["batch"]).data == {}
    audit = PrivacyAuditEntry.objects.filter(action="anonymise").order_by("id").last()
    assert audit.actor == south_user
    assert audit.counts == {"assinaturas": 1, "registros_signatario": 1, "linhas_de_lote": 1}
    # What is left in the south unit: nothing erasable.
    after = _text(_report(client, south_user))
    assert "Contrato Sul com falha" not in after


def test_it_requires_the_permission_and_a_valid_cpf(client, world):
    client.force_login(make_user(units=[world["north"]], perms=["signing.send_documents"]))
    assert client.get(URL).status_code == 403
    user = make_user(units=[world["north"]], perms=[PERMISSION])
    client.force_login(user)
    assert client.get(URL).status_code == 200
    invalid = client.post(URL, {"cpf": "123.456.789-00"})
    assert invalid.status_code == 400 and "CPF inválido" in _text(invalid)
    assert not PrivacyAuditEntry.objects.exists()


def test_it_shows_the_privacy_log_read_only_in_the_admin(client, world):
    user = make_user(units=[world["north"]], perms=[PERMISSION])
    _report(client, user)
    admin_user = make_user(superuser=True)
    client.force_login(admin_user)
    page = _text(client.get("/admin/signing/privacyauditentry/"))
    assert "Relatório do titular consultado" in page and CPF not in page
    entry = PrivacyAuditEntry.objects.get()
    assert client.get(f"/admin/signing/privacyauditentry/{entry.pk}/delete/").status_code == 403
