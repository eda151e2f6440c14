import pytest
from django.core.management import call_command

from chancela.core.people import cpf_is_valid
from chancela.demo import DEMO_SANDBOX_TOKEN, demo_config
from chancela.esign.models import DocumentType
from chancela.institutions.models import Person, Unit
from chancela.institutions.selectors import units_visible_to

pytestmark = pytest.mark.django_db


def test_it_seeds_a_demo_network_once_and_prints_the_logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "secretaria.centro" in out and "chancela-demo" in out
    call_command("seed_demo")
    assert "already present" in capsys.readouterr().out
    assert Unit.objects.count() == 3
    assert Unit.objects.filter(group__isnull=False).count() == 3


def test_it_points_the_demo_configuration_at_the_sandbox_with_the_emulators_token():
    call_command("seed_demo")
    config = demo_config()
    assert config is not None and config.environment == "sandbox"
    assert config.token == DEMO_SANDBOX_TOKEN
    codes = set(DocumentType.objects.values_list("code", flat=True))
    assert {"CONTRATO_MATRICULA", "DECLARACAO_MATRICULA", "TERMO_ESTAGIO"} <= codes


def test_it_gives_each_unit_user_only_his_unit():
    from django.contrib.auth.models import User

    call_command("seed_demo")
    user = User.objects.get(username="secretaria.norte")
    assert [u.code for u in units_visible_to(user=user)] == ["NORTE"]
    assert user.has_perm("signing.send_documents")
    assert not user.has_perm("esign.manage_signature_config")
    assert User.objects.get(username="ti.norte").has_perm("esign.manage_signature_config")


def test_it_creates_students_of_every_legal_capacity_with_guardians_and_valid_cpfs():
    call_command("seed_demo")
    people = list(Person.objects.all())
    assert all(cpf_is_valid(p.cpf) for p in people)
    students = [p for p in people if p.guardians.exists()]
    ages = sorted(p.birth_date for p in students)
    assert len(students) >= 6 and len(set(ages)) == len(ages)
    assert any(p.emancipated for p in students)
