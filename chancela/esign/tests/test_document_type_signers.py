from __future__ import annotations

import pytest
from django.urls import reverse

from chancela.esign.models import DocumentTypeSigner
from chancela.testing.factories import (
    MANAGE_CONFIG,
    make_config,
    make_document_type,
    make_document_type_signer,
    make_person,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client):
    unit = make_unit(name="Colégio Centro")
    document_type = make_document_type(make_config(unit), name="Contrato de matrícula")
    director = make_person(unit, name="Helena Duarte", code="DIR-1", email="helena@escola.br")
    deputy = make_person(unit, name="Roberto Nunes", code="SEC-1", email="roberto@escola.br")
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    return unit, document_type, director, deputy


def test_it_adds_an_institution_signer_with_a_delegate_on_the_edit_page(client, setup):
    unit, document_type, director, deputy = setup
    url = reverse("esign:document_type_signer_add", args=[document_type.public_id])
    response = client.post(
        url,
        {
            "fixo-role": "institution",
            "fixo-unit": unit.pk,
            "fixo-person": "dir-1",
            "fixo-delegate": "roberto@escola.br",
            "fixo-group": 2,
        },
    )
    assert response.status_code == 302
    fixed = DocumentTypeSigner.objects.get()
    assert (fixed.person, fixed.delegate, fixed.group) == (director, deputy, 2)
    page = client.get(reverse("esign:document_type_edit", args=[document_type.public_id]))
    assert "Helena Duarte" in page.content.decode() and "Roberto Nunes" in page.content.decode()


def test_it_says_what_is_wrong_next_to_the_field(client, setup):
    unit, document_type, director, _ = setup
    make_person(unit, name="Sem Email", code="X-1", email="")
    url = reverse("esign:document_type_signer_add", args=[document_type.public_id])
    unknown = client.post(
        url,
        {
            "fixo-role": "institution",
            "fixo-unit": unit.pk,
            "fixo-person": "ninguem",
            "fixo-group": 2,
        },
    )
    assert "Nenhuma pessoa (ou mais de uma) da unidade com esse dado." in unknown.content.decode()
    no_email = client.post(
        url, {"fixo-role": "witness", "fixo-unit": unit.pk, "fixo-person": "X-1", "fixo-group": 3}
    )
    assert "não tem e-mail cadastrado" in no_email.content.decode()
    assert not DocumentTypeSigner.objects.exists()


def test_it_switches_to_the_delegate_and_removes(client, setup):
    _, document_type, director, deputy = setup
    fixed = make_document_type_signer(document_type, director, delegate=deputy)
    url = reverse(
        "esign:document_type_signer_change", args=[document_type.public_id, fixed.public_id]
    )
    client.post(url, {"action": "delegate_on"})
    fixed.refresh_from_db()
    assert fixed.delegate_active and fixed.signing_person == deputy
    client.post(url, {"action": "remove"})
    assert not DocumentTypeSigner.objects.exists()


def test_it_hides_signers_of_other_units(client, setup):
    _, document_type, _, _ = setup
    other = make_unit()
    foreign_type = make_document_type(make_config(other))
    fixed = make_document_type_signer(foreign_type, make_person(other, name="Outra Pessoa"))
    url = reverse(
        "esign:document_type_signer_change", args=[foreign_type.public_id, fixed.public_id]
    )
    assert client.post(url, {"action": "remove"}).status_code == 404
    assert DocumentTypeSigner.objects.filter(pk=fixed.pk).exists()
