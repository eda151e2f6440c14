import pytest
from django.urls import reverse

from chancela.esign.errors import ConfigurationError
from chancela.esign.models import ConfigAuditEntry, DocumentType
from chancela.esign.services import document_types_repoint
from chancela.institutions.models import SharingType
from chancela.testing.factories import (
    MANAGE_CONFIG,
    make_config,
    make_document_type,
    make_unit,
    make_unit_group,
    make_user,
    set_sharing,
)

pytestmark = pytest.mark.django_db


def test_it_creates_a_document_type_pointing_at_an_active_configuration(client):
    unit = make_unit()
    config = make_config(unit)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    response = client.post(
        reverse("esign:document_type_create"),
        {
            "code": "contrato_matricula",
            "name": "Contrato de matrícula",
            "units": [unit.pk],
            "config": config.pk,
            "default_deadline_days": 15,
            "remind_interval": 7,
            "message": "Assine o contrato.",
            "active": "on",
        },
    )
    assert response.status_code == 302
    document_type = DocumentType.objects.get()
    assert document_type.code == "CONTRATO_MATRICULA"
    assert document_type.config == config and document_type.remind_interval == 7


def test_it_offers_only_active_configurations_visible_to_the_user(client):
    unit, other = make_unit(), make_unit()
    make_config(unit, name="Ativa daqui")
    make_config(unit, name="Inativa daqui", active=False, environment="production")
    make_config(other, name="Da outra unidade")
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    html = client.get(reverse("esign:document_type_create")).content.decode()
    assert "Ativa daqui" in html
    assert "Inativa daqui" not in html
    assert "Da outra unidade" not in html


def test_it_refuses_a_deadline_beyond_90_days(client):
    unit = make_unit()
    config = make_config(unit)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    response = client.post(
        reverse("esign:document_type_create"),
        {
            "code": "X",
            "name": "X",
            "units": [unit.pk],
            "config": config.pk,
            "default_deadline_days": 120,
        },
    )
    assert "no máximo 90 dias" in response.content.decode()
    assert not DocumentType.objects.exists()


def test_it_repoints_many_document_types_in_one_action_and_audits_both_configurations(client):
    unit = make_unit()
    sandbox = make_config(unit)
    production = make_config(unit, environment="production")
    types = [make_document_type(sandbox) for _ in range(3)]
    untouched = make_document_type(sandbox)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    response = client.post(
        reverse("esign:document_type_list"),
        {"document_types": [t.pk for t in types], "config": production.pk},
    )
    assert response.status_code == 302
    assert set(DocumentType.objects.filter(config=production)) == set(types)
    untouched.refresh_from_db()
    assert untouched.config == sandbox
    for config in (sandbox, production):
        assert config.audit_entries.filter(
            action=ConfigAuditEntry.Action.DOCUMENT_TYPES_REPOINTED
        ).exists()


def test_it_repoints_nothing_when_one_type_cannot_use_the_configuration():
    group = make_unit_group()
    a, b = make_unit(group), make_unit(group)
    set_sharing(SharingType.UNIT_GROUP)
    shared = make_config(a)
    both = make_document_type(shared, units=[a, b])
    set_sharing(SharingType.UNIT)
    only_a = make_config(a, environment="production")
    ok = make_document_type(make_config(b), units=[b])
    with pytest.raises(ConfigurationError):
        document_types_repoint(actor=None, document_types=[both, ok], config=only_a)
    both.refresh_from_db()
    ok.refresh_from_db()
    assert both.config == shared and ok.config != only_a


def test_it_hides_document_types_of_other_units(client):
    a, b = make_unit(), make_unit()
    foreign = make_document_type(make_config(b), name="Termo da unidade B")
    client.force_login(make_user(units=[a], perms=[MANAGE_CONFIG]))
    assert (
        "Termo da unidade B" not in client.get(reverse("esign:document_type_list")).content.decode()
    )
    assert (
        client.get(reverse("esign:document_type_edit", args=[foreign.public_id])).status_code == 404
    )


def test_it_keeps_the_units_the_editor_cannot_see_when_saving_a_shared_type(client):
    group = make_unit_group()
    a, b = make_unit(group), make_unit(group, name="Colégio Norte")
    set_sharing(SharingType.UNIT_GROUP)
    config = make_config(a)
    shared = make_document_type(config, units=[a, b], name="Contrato da rede")
    editor = make_user(units=[a], perms=[MANAGE_CONFIG])
    client.force_login(editor)
    url = reverse("esign:document_type_edit", args=[shared.public_id])
    data = {
        "code": shared.code,
        "name": "Contrato da rede (novo nome)",
        "units": [a.pk],
        "config": config.pk,
        "default_deadline_days": 30,
        "remind_interval": 3,
        "active": "on",
    }
    # The edit page names the units of other administrators and asks to confirm each.
    page = client.get(url).content.decode()
    assert "Unidades de outros administradores" in page and "Colégio Norte" in page
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "também atende unidades que você não administra: Colégio Norte" in (
        refused.content.decode()
    )
    shared.refresh_from_db()
    assert shared.name == "Contrato da rede"
    assert not ConfigAuditEntry.objects.filter(
        action=ConfigAuditEntry.Action.OTHER_UNITS_CONFIRMED
    ).exists()

    response = client.post(url, {**data, "confirm_other_units": [b.pk]})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.name == "Contrato da rede (novo nome)"
    assert set(shared.units.all()) == {a, b}
    entry = ConfigAuditEntry.objects.get(action=ConfigAuditEntry.Action.OTHER_UNITS_CONFIRMED)
    assert entry.config == config and entry.actor == editor
    assert "Colégio Norte" in entry.note and "Contrato da rede (novo nome)" in entry.note


def test_it_asks_no_confirmation_of_someone_who_administers_every_unit_of_the_type(client):
    group = make_unit_group()
    a, b = make_unit(group), make_unit(group)
    set_sharing(SharingType.UNIT_GROUP)
    config = make_config(a)
    shared = make_document_type(config, units=[a, b])
    client.force_login(make_user(units=[a, b], perms=[MANAGE_CONFIG]))
    url = reverse("esign:document_type_edit", args=[shared.public_id])
    assert "Unidades de outros administradores" not in client.get(url).content.decode()
    data = {"code": shared.code, "name": "Novo", "units": [a.pk, b.pk], "config": config.pk,
            "default_deadline_days": 30, "remind_interval": 3, "active": "on"}  # fmt: skip
    assert client.post(url, data).status_code == 302


def test_it_asks_to_confirm_inactivating_a_configuration_other_units_use(client):
    group = make_unit_group()
    a, b = make_unit(group), make_unit(group, name="Colégio Norte")
    set_sharing(SharingType.UNIT_GROUP)
    config = make_config(a)
    editor = make_user(units=[a], perms=[MANAGE_CONFIG])
    client.force_login(editor)
    detail = client.get(reverse("esign:config_detail", args=[config.public_id])).content.decode()
    assert 'name="confirm_other_units"' in detail and "Colégio Norte" in detail
    url = reverse("esign:config_set_active", args=[config.public_id])
    page = client.post(url, {"active": "0"}, follow=True).content.decode()
    assert "também atende unidades que você não administra: Colégio Norte" in page
    config.refresh_from_db()
    assert config.active
    client.post(url, {"active": "0", "confirm_other_units": [b.pk]})
    config.refresh_from_db()
    assert not config.active
    entry = ConfigAuditEntry.objects.get(action=ConfigAuditEntry.Action.OTHER_UNITS_CONFIRMED)
    assert entry.actor == editor and "Colégio Norte" in entry.note


def test_it_asks_to_confirm_repointing_types_that_other_units_use(client):
    group = make_unit_group()
    a, b = make_unit(group), make_unit(group, name="Colégio Norte")
    set_sharing(SharingType.UNIT_GROUP)
    old, new = make_config(a), make_config(a, environment="production")
    shared = make_document_type(old, units=[a, b])
    client.force_login(make_user(units=[a], perms=[MANAGE_CONFIG]))
    url = reverse("esign:document_type_list")
    data = {"document_types": [shared.pk], "config": new.pk}
    page = client.post(url, data).content.decode()
    assert "também atende unidades que você não administra: Colégio Norte" in page
    assert 'name="confirm_other_units"' in page
    shared.refresh_from_db()
    assert shared.config == old
    assert client.post(url, {**data, "confirm_other_units": [b.pk]}).status_code == 302
    shared.refresh_from_db()
    assert shared.config == new
    entry = ConfigAuditEntry.objects.get(action=ConfigAuditEntry.Action.OTHER_UNITS_CONFIRMED)
    assert entry.config == new and "Colégio Norte" in entry.note


def test_it_names_each_configuration_once_and_asks_instead_of_dashes(db):
    from chancela.esign.forms import ConfigChoiceField
    from chancela.esign.models import SignatureConfig
    from chancela.testing.factories import make_config, make_unit

    unit = make_unit()
    field = ConfigChoiceField(queryset=SignatureConfig.objects.all())
    said = make_config(unit, name="Clicksign Sandbox (homologação)")
    plain = make_config(unit, name="Conta da escola", active=False)
    assert field.label_from_instance(said) == "Clicksign Sandbox (homologação)"
    assert (
        field.label_from_instance(plain) == f"Conta da escola ({plain.get_environment_display()})"
    )
    assert field.empty_label == "Escolha a configuração"
