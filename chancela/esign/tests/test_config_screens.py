import logging

import pytest
from django.urls import reverse

from chancela.esign.models import ConfigAuditEntry, SignatureConfig
from chancela.institutions.models import SharingType
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    TEST_TOKEN,
    TEST_WEBHOOK_SECRET,
    make_config,
    make_unit,
    make_unit_group,
    make_user,
    set_sharing,
)

pytestmark = pytest.mark.django_db

SEED_LABELS = [
    "URL do serviço",
    "E-mail do usuário da API",
    "Chave de autenticação (Token)",
    "URL do Webhook",
    "Chave de segurança do Webhook",
    "Email para notificações",
    "Solicita Selfie",
    "Solicita assinatura manuscrita",
    "Solicita documento",
    "Ativa",
]

NEW_TOKEN = "aa11bb22-cc33-4d44-8e55-ff6677889900"


def _post_data(unit, **overrides):
    data = {
        "unit": unit.pk,
        "name": "Clicksign Homologação",
        "environment": "sandbox",
        "api_user_email": "api@escola.edu.br",
        "token": NEW_TOKEN,
        "webhook_secret": "",
        "notification_email": "ti@escola.edu.br",
        "require_selfie": "on",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_it_shows_every_field_of_the_seed_with_its_label(client):
    unit = make_unit()
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    html = client.get(reverse("esign:config_create")).content.decode()
    for label in SEED_LABELS:
        assert label in html, label
    assert "https://sandbox.clicksign.com" in html
    assert "https://app.clicksign.com" in html


def test_it_creates_a_configuration_and_audits_it_without_the_secret(client):
    unit = make_unit()
    user = make_user(units=[unit], perms=[MANAGE_CONFIG])
    client.force_login(user)
    response = client.post(reverse("esign:config_create"), _post_data(unit))
    config = SignatureConfig.objects.get()
    assert response.status_code == 302
    assert config.token == NEW_TOKEN and config.require_selfie and config.active
    entry = config.audit_entries.get()
    assert entry.action == ConfigAuditEntry.Action.CREATED and entry.actor == user
    assert NEW_TOKEN not in str(entry.changes)
    assert "…9900" in str(entry.changes)


def test_it_derives_the_webhook_url_from_the_public_url_and_the_public_id(client, settings):
    settings.PUBLIC_URL = "https://mentor.escola.edu.br"
    unit = make_unit()
    config = make_config(unit)
    assert (
        config.webhook_url == f"https://mentor.escola.edu.br/callbackclicksign/{config.public_id}"
    )
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    html = client.get(reverse("esign:config_detail", args=[config.public_id])).content.decode()
    assert config.webhook_url in html


def test_it_never_sends_the_token_or_secret_back_to_the_browser(client):
    unit = make_unit()
    config = make_config(unit)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    for name in ("esign:config_edit", "esign:config_detail"):
        html = client.get(reverse(name, args=[config.public_id])).content.decode()
        assert TEST_TOKEN not in html
        assert TEST_WEBHOOK_SECRET not in html
        assert "configurado — termina em …1a0b" in html
    list_html = client.get(reverse("esign:config_list")).content.decode()
    assert TEST_TOKEN not in list_html


def test_it_never_logs_the_token_when_saving(client, caplog):
    unit = make_unit()
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    with caplog.at_level(logging.DEBUG):
        client.post(reverse("esign:config_create"), _post_data(unit, token="bad token"))
        client.post(reverse("esign:config_create"), _post_data(unit))
    assert NEW_TOKEN not in caplog.text


def test_it_keeps_the_token_when_the_edit_leaves_it_blank_and_replaces_it_when_given(client):
    unit = make_unit()
    config = make_config(unit)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    url = reverse("esign:config_edit", args=[config.public_id])
    client.post(url, _post_data(unit, token="", name="Nova descrição"))
    config.refresh_from_db()
    assert config.token == TEST_TOKEN and config.name == "Nova descrição"
    client.post(url, _post_data(unit, token=NEW_TOKEN))
    config.refresh_from_db()
    assert config.token == NEW_TOKEN
    actions = list(config.audit_entries.values_list("changes", flat=True))
    assert any("Chave de autenticação (Token)" in changes for changes in actions)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("api_user_email", "nao-e-email", "Informe um e-mail válido"),
        ("notification_email", "", "Este campo é obrigatório."),
        ("token", "Bearer " + NEW_TOKEN, "sem a palavra “Bearer”"),
        ("token", "12345", "O token da Clicksign tem 36 caracteres"),
        ("webhook_secret", "curta", "32 caracteres"),
        ("name", "", "Este campo é obrigatório."),
    ],
)
def test_it_explains_in_portuguese_what_is_wrong_and_keeps_what_was_typed(
    client, field, value, message
):
    unit = make_unit()
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    data = _post_data(unit, **{field: value})
    response = client.post(reverse("esign:config_create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert SignatureConfig.objects.count() == 0
    assert "api@escola.edu.br" in html or field == "api_user_email"


def test_it_refuses_a_second_active_configuration_for_the_same_unit_and_environment(client):
    unit = make_unit()
    make_config(unit, name="Primeira")
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    response = client.post(reverse("esign:config_create"), _post_data(unit))
    assert "Já existe uma configuração ativa de Sandbox" in response.content.decode()
    assert "Primeira" in response.content.decode()
    assert SignatureConfig.objects.count() == 1
    # another environment, or an inactive one, is fine
    client.post(reverse("esign:config_create"), _post_data(unit, environment="production"))
    client.post(reverse("esign:config_create"), _post_data(unit, active=""))
    assert SignatureConfig.objects.count() == 3


def test_it_refuses_an_overlapping_active_configuration_under_group_sharing():
    from chancela.esign.errors import ConfigurationError

    group = make_unit_group()
    a, b = make_unit(group), make_unit(group)
    set_sharing(SharingType.UNIT_GROUP)
    make_config(a)
    with pytest.raises(ConfigurationError) as excinfo:
        make_config(b)
    assert excinfo.value.code == "duplicate_active_config"


def test_it_refuses_to_change_the_environment_of_an_existing_configuration(client):
    unit = make_unit()
    config = make_config(unit)
    from chancela.esign.errors import ConfigurationError
    from chancela.esign.services import signature_config_update

    with pytest.raises(ConfigurationError) as excinfo:
        signature_config_update(actor=None, config=config, environment="production")
    assert "nova configuração" in excinfo.value.message
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    client.post(
        reverse("esign:config_edit", args=[config.public_id]),
        _post_data(unit, environment="production", token=""),
    )
    config.refresh_from_db()
    assert config.environment == "sandbox"


def test_it_inactivates_and_reactivates_with_an_audit_entry(client):
    unit = make_unit()
    config = make_config(unit)
    user = make_user(units=[unit], perms=[MANAGE_CONFIG])
    client.force_login(user)
    client.post(reverse("esign:config_set_active", args=[config.public_id]), {"active": "0"})
    config.refresh_from_db()
    assert not config.active
    assert config.audit_entries.filter(action=ConfigAuditEntry.Action.INACTIVATED).exists()


def test_it_marks_a_sandbox_configuration_wherever_it_appears(client):
    unit = make_unit()
    config = make_config(unit)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    for url in (
        reverse("esign:config_list"),
        reverse("esign:config_detail", args=[config.public_id]),
        reverse("esign:config_edit", args=[config.public_id]),
        reverse("web:dashboard"),
    ):
        assert "Sandbox — sem validade jurídica" in client.get(url).content.decode(), url


class TestUnitFilter:
    def test_it_hides_and_404s_a_configuration_of_another_unit(self, client):
        a, b = make_unit(), make_unit()
        foreign = make_config(b, name="Config da unidade B")
        client.force_login(make_user(units=[a], perms=[MANAGE_CONFIG]))
        assert (
            "Config da unidade B" not in client.get(reverse("esign:config_list")).content.decode()
        )
        for name in ("esign:config_detail", "esign:config_edit"):
            assert client.get(reverse(name, args=[foreign.public_id])).status_code == 404
        response = client.post(
            reverse("esign:config_set_active", args=[foreign.public_id]), {"active": "0"}
        )
        assert response.status_code == 404
        response = client.post(
            reverse("esign:config_edit", args=[foreign.public_id]), _post_data(b, token="")
        )
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.active and foreign.name == "Config da unidade B"

    def test_it_shows_the_groups_configuration_under_group_sharing(self, client):
        group = make_unit_group()
        a, b = make_unit(group), make_unit(group)
        other = make_unit(make_unit_group())
        shared = make_config(b, name="Config do grupo")
        outsider = make_config(other, name="Config de fora")
        user = make_user(units=[a], perms=[MANAGE_CONFIG])
        client.force_login(user)
        assert (
            client.get(reverse("esign:config_detail", args=[shared.public_id])).status_code == 404
        )

        set_sharing(SharingType.UNIT_GROUP)
        html = client.get(reverse("esign:config_list")).content.decode()
        assert "Config do grupo" in html and "Config de fora" not in html
        assert (
            client.get(reverse("esign:config_detail", args=[shared.public_id])).status_code == 200
        )
        assert (
            client.get(reverse("esign:config_detail", args=[outsider.public_id])).status_code == 404
        )
        # seen, but only the owner unit's users change it
        assert client.get(reverse("esign:config_edit", args=[shared.public_id])).status_code == 403

    def test_it_shows_every_configuration_when_shared_with_all_units(self, client):
        a, b = make_unit(), make_unit()
        config = make_config(b)
        client.force_login(make_user(units=[a], perms=[MANAGE_CONFIG]))
        set_sharing(SharingType.ALL)
        assert (
            client.get(reverse("esign:config_detail", args=[config.public_id])).status_code == 200
        )

    def test_it_answers_403_without_the_permission(self, client):
        unit = make_unit()
        config = make_config(unit)
        client.force_login(make_user(units=[unit], perms=[SEND_DOCUMENTS]))
        for url in (
            reverse("esign:config_list"),
            reverse("esign:config_create"),
            reverse("esign:config_detail", args=[config.public_id]),
            reverse("esign:document_type_list"),
        ):
            assert client.get(url).status_code == 403, url

    def test_it_sends_anonymous_users_to_the_login_page(self, client):
        response = client.get(reverse("esign:config_list"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_it_only_offers_the_users_units_on_the_form(self, client):
        a, b = make_unit(name="Campus Alfa"), make_unit(name="Campus Beta")
        client.force_login(make_user(units=[a], perms=[MANAGE_CONFIG]))
        html = client.get(reverse("esign:config_create")).content.decode()
        assert "Campus Alfa" in html and "Campus Beta" not in html
        response = client.post(reverse("esign:config_create"), _post_data(b))
        assert response.status_code == 200
        assert SignatureConfig.objects.count() == 0

    def test_it_lets_a_superuser_see_every_unit(self, client):
        config = make_config(make_unit())
        client.force_login(make_user(superuser=True))
        assert (
            client.get(reverse("esign:config_detail", args=[config.public_id])).status_code == 200
        )
