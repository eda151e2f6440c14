"""The configuration screen's "Testar conexão" and "Registrar webhook na Clicksign".

Screen tests through Django's test client; Clicksign is the emulator over real HTTP.
"""

import json
import socket

import pytest
from django.urls import reverse

from chancela.clicksign.client import WEBHOOK_EVENTS
from chancela.clicksign.events import verify_signature
from chancela.esign.clients import client_for_config
from chancela.esign.models import ConfigAuditEntry, SignatureConfig
from chancela.institutions.models import SharingType
from chancela.testing.clicksign import emulator_account, make_envelope, point_clicksign_at
from chancela.testing.factories import (
    MANAGE_CONFIG,
    TEST_WEBHOOK_SECRET,
    make_config,
    make_unit,
    make_unit_group,
    make_user,
    set_sharing,
)
from clicksign_emulator import DEMO_API_USER_EMAIL, blank_pdf

pytestmark = pytest.mark.django_db


def _admin(client, config):
    user = make_user(units=[config.unit], perms=[MANAGE_CONFIG])
    client.force_login(user)
    return user


def _test_connection(client, config):
    return client.post(
        reverse("esign:config_test_connection", args=[config.public_id]), follow=True
    )


def _register_webhook(client, config):
    return client.post(
        reverse("esign:config_register_webhook", args=[config.public_id]), follow=True
    )


def _config_with_token(settings, emulator, token, **kwargs):
    point_clicksign_at(settings, emulator)
    return make_config(make_unit(), token=token, **kwargs)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------- Testar conexão


def test_it_shows_the_buttons_only_to_users_of_the_owner_unit(client, emulated_config):
    _admin(client, emulated_config)
    html = client.get(reverse("esign:config_detail", args=[emulated_config.public_id])).content
    assert "Testar conexão" in html.decode() and "Registrar webhook na Clicksign" in html.decode()


def test_it_says_the_connection_works_and_names_the_api_user(
    client, emulated_config, clicksign_emulator
):
    with client_for_config(emulated_config) as api:
        envelope = api.envelope_create(name="Primeiro envio")
        api.document_create(envelope.id, filename="a.pdf", content=blank_pdf())
    user = _admin(client, emulated_config)

    response = _test_connection(client, emulated_config)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Conexão com a Clicksign (sandbox) funcionando" in html
    assert f"Usuário da API: {DEMO_API_USER_EMAIL}" in html
    assert "Conexão OK" in html  # the detail page's "Último teste de conexão"
    config = SignatureConfig.objects.get(pk=emulated_config.pk)
    assert config.last_connection_status == "ok" and config.last_connection_check_at
    assert config.clicksign_account_key == clicksign_emulator.account_key
    assert config.last_successful_call_at is not None
    entry = config.audit_entries.filter(action=ConfigAuditEntry.Action.CONNECTION_TESTED).get()
    assert entry.actor == user and "funcionando" in entry.note
    assert clicksign_emulator.token not in json.dumps(entry.changes) + entry.note


def test_it_warns_when_clicksign_shows_another_api_user(client, settings, clicksign_emulator):
    config = _config_with_token(
        settings, clicksign_emulator, clicksign_emulator.token, api_user_email="outro@escola.br"
    )
    with client_for_config(config) as api:
        envelope = api.envelope_create(name="Primeiro envio")
        api.document_create(envelope.id, filename="a.pdf", content=blank_pdf())
    _admin(client, config)

    html = _test_connection(client, config).content.decode()

    assert f"a Clicksign mostra o usuário da API {DEMO_API_USER_EMAIL}" in html
    assert "outro@escola.br" in html


def test_it_says_the_api_user_shows_after_the_first_document(client, emulated_config):
    _admin(client, emulated_config)

    html = _test_connection(client, emulated_config).content.decode()

    assert "funcionando" in html and "depois do primeiro documento enviado" in html


@pytest.mark.parametrize(
    ("flags", "status", "message"),
    [
        (None, "invalid_token", "Token inválido: a Clicksign (sandbox) recusou"),
        ({"api_user_email": None}, "api_email_not_set", "e-mail do usuário da API não está"),
        ({"plan_has_api": False}, "plan_without_api", "não inclui acesso à API"),
    ],
    ids=["invalid-token", "api-email-not-set", "plan-without-api"],
)
def test_it_explains_each_credential_problem(
    client, settings, clicksign_emulator, flags, status, message
):
    token = "4b5c6d7e-0000-4000-8000-00000000dead"  # unknown to Clicksign
    if flags is not None:
        token = emulator_account(clicksign_emulator, **flags)["token"]
    config = _config_with_token(settings, clicksign_emulator, token)
    _admin(client, config)

    html = _test_connection(client, config).content.decode()

    assert message in html
    config.refresh_from_db()
    assert config.last_connection_status == status
    assert config.last_connection_status_label in html
    assert config.audit_entries.filter(action=ConfigAuditEntry.Action.CONNECTION_TESTED).exists()


def test_it_detects_an_old_account_speaks_api_1_9_and_says_what_it_means(
    client, settings, clicksign_emulator
):
    old = emulator_account(clicksign_emulator, envelopes_enabled=False)
    config = _config_with_token(settings, clicksign_emulator, old["token"])
    _admin(client, config)

    html = _test_connection(client, config).content.decode()

    assert "funcionando pela API 1.9 (legada)" in html
    assert "ajuda@clicksign.com" in html
    config.refresh_from_db()
    assert config.last_connection_status == "ok"
    assert config.clicksign_api == "1.9"
    assert config.clicksign_account_key == old["key"]
    detail = client.get(reverse("esign:config_detail", args=[config.public_id]))
    shown = detail.content.decode()
    assert "API 1.9 (legada)" in shown and "antes de julho de 2024" in shown
    entry = config.audit_entries.filter(action=ConfigAuditEntry.Action.CONNECTION_TESTED).last()
    assert entry.changes["API da Clicksign"] == ["Envelopes (API 3.0)", "API 1.9 (legada)"]
    # 503 on envelopes first, then the token check of 1.9.
    paths = [r["path"] for r in clicksign_emulator.control.requests()]
    assert paths == ["/api/v3/envelopes", "/api/v1/accounts"]


def test_it_changes_the_api_only_on_a_new_successful_test(client, settings, clicksign_emulator):
    old = emulator_account(clicksign_emulator, envelopes_enabled=False)
    config = _config_with_token(settings, clicksign_emulator, old["token"])
    _admin(client, config)
    _test_connection(client, config)
    # Clicksign is unreachable for a while: the detected API stays.
    clicksign_emulator.control.add_fault("status", status=502, path="^/api/", count=1)
    _test_connection(client, config)
    config.refresh_from_db()
    assert config.last_connection_status == "unreachable"
    assert config.clicksign_api == "1.9"
    # Clicksign support enables envelopes on the account: the next test moves to 3.0.
    clicksign_emulator.control.update_account(old["key"], envelopes_enabled=True)
    html = _test_connection(client, config).content.decode()
    config.refresh_from_db()
    assert config.clicksign_api == "3.0"
    assert "envelopes (API 3.0) habilitados" in html


def test_it_says_when_clicksign_cannot_be_reached(client, settings):
    settings.CLICKSIGN_URLS = {
        "sandbox": f"http://127.0.0.1:{_closed_port()}",
        "production": "http://127.0.0.1:9",
    }
    config = make_config(make_unit())
    _admin(client, config)

    html = _test_connection(client, config).content.decode()

    assert "Não foi possível falar com a Clicksign em http://127.0.0.1:" in html
    assert "conexão recusada" in html
    config.refresh_from_db()
    assert config.last_connection_status == "unreachable"


def test_it_says_when_clicksign_answers_a_server_error(client, emulated_config, clicksign_emulator):
    clicksign_emulator.control.add_fault("status", status=502, path="^/api/v3/envelopes$")
    _admin(client, emulated_config)

    html = _test_connection(client, emulated_config).content.decode()

    assert "a Clicksign está fora do ar ou sobrecarregada no momento" in html
    assert "502" not in html  # no HTTP codes in front of staff
    emulated_config.refresh_from_db()
    assert emulated_config.last_connection_status == "unreachable"


def test_it_only_accepts_post(client, emulated_config, clicksign_emulator):
    _admin(client, emulated_config)
    url = reverse("esign:config_test_connection", args=[emulated_config.public_id])
    assert client.get(url).status_code == 405
    assert clicksign_emulator.control.requests() == []


def test_it_hides_another_units_configuration_behind_a_404(client, emulated_config):
    client.force_login(make_user(units=[make_unit()], perms=[MANAGE_CONFIG]))
    for name in ("esign:config_test_connection", "esign:config_register_webhook"):
        assert client.post(reverse(name, args=[emulated_config.public_id])).status_code == 404


def test_it_lets_only_the_owner_unit_run_the_actions(client, settings, clicksign_emulator):
    set_sharing(SharingType.UNIT_GROUP)
    group = make_unit_group()
    owner, sibling = make_unit(group), make_unit(group)
    point_clicksign_at(settings, clicksign_emulator)
    config = make_config(owner, token=clicksign_emulator.token)
    client.force_login(make_user(units=[sibling], perms=[MANAGE_CONFIG]))
    for name in ("esign:config_test_connection", "esign:config_register_webhook"):
        assert client.post(reverse(name, args=[config.public_id])).status_code == 403
    assert clicksign_emulator.control.requests() == []


def test_it_requires_the_configuration_permission(client, emulated_config):
    client.force_login(make_user(units=[emulated_config.unit], perms=[]))
    url = reverse("esign:config_test_connection", args=[emulated_config.public_id])
    assert client.post(url).status_code == 403


# ---------------------------------------------------------------------- Registrar webhook


def _signed_flow(config, control):
    """Send one envelope and sign it, so that the emulator has webhooks to deliver."""
    with client_for_config(config) as api:
        (signer,) = make_envelope(api, activate=True).signers
    control.sign(signer.id)
    control.flush_deliveries()


def test_it_registers_the_webhook_and_stores_a_secret_that_verifies_its_calls(
    client, emulated_config, clicksign_emulator, webhook_receiver
):
    user = _admin(client, emulated_config)

    html = _register_webhook(client, emulated_config).content.decode()

    assert "Webhook registrado na Clicksign para" in html
    config = SignatureConfig.objects.get(pk=emulated_config.pk)
    with client_for_config(config) as api:
        (webhook,) = api.webhooks_list().items
    assert webhook.endpoint == config.webhook_url
    assert set(WEBHOOK_EVENTS) <= set(webhook.events)
    assert config.webhook_secret == webhook.secret and config.clicksign_webhook_id == webhook.id
    # The manual secret of make_config is still accepted for the grace period.
    assert config.previous_webhook_secret == TEST_WEBHOOK_SECRET
    actions = list(config.audit_entries.values_list("action", flat=True))
    assert ConfigAuditEntry.Action.WEBHOOK_REGISTERED in actions
    registered = config.audit_entries.get(action=ConfigAuditEntry.Action.WEBHOOK_REGISTERED)
    assert registered.actor == user and webhook.secret not in registered.note
    assert registered.changes == {"Webhook na Clicksign": [None, webhook.id]}
    updated = config.audit_entries.get(action=ConfigAuditEntry.Action.UPDATED)
    assert webhook.secret not in json.dumps(updated.changes)
    assert f"…{webhook.secret[-4:]}" in json.dumps(updated.changes, ensure_ascii=False)

    _signed_flow(config, clicksign_emulator.control)

    received = webhook_receiver.wait_for(1)
    assert received, "the emulator delivered no webhook"
    assert {r.path for r in received} == {f"/callbackclicksign/{config.public_id}"}
    for request in received:
        assert verify_signature(
            request.body, request.headers["content-hmac"], [config.webhook_secret]
        )
    body = received[0].body
    header = received[0].headers["content-hmac"]
    flipped = body[:10] + bytes([body[10] ^ 0x01]) + body[11:]
    assert not verify_signature(flipped, header, [config.webhook_secret])
    assert not verify_signature(body, header, [TEST_WEBHOOK_SECRET])


def test_it_reuses_a_webhook_already_registered_for_the_url(
    client, emulated_config, clicksign_emulator, webhook_receiver
):
    with client_for_config(emulated_config) as api:
        existing = api.webhook_create(endpoint=emulated_config.webhook_url, events=["sign"])
    _admin(client, emulated_config)

    html = _register_webhook(client, emulated_config).content.decode()

    assert "já existia e foi reaproveitado" in html
    config = SignatureConfig.objects.get(pk=emulated_config.pk)
    assert config.clicksign_webhook_id == existing.id
    assert config.webhook_secret == existing.secret
    with client_for_config(config) as api:
        (webhook,) = api.webhooks_list().items
    assert set(WEBHOOK_EVENTS) <= set(webhook.events) and webhook.status == "active"


def test_it_registers_again_without_changing_anything(client, emulated_config, webhook_receiver):
    _admin(client, emulated_config)
    _register_webhook(client, emulated_config)
    first = SignatureConfig.objects.get(pk=emulated_config.pk)

    html = _register_webhook(client, emulated_config).content.decode()

    second = SignatureConfig.objects.get(pk=emulated_config.pk)
    assert "já existia" in html
    assert second.webhook_secret == first.webhook_secret
    assert second.clicksign_webhook_id == first.clicksign_webhook_id
    assert (
        second.audit_entries.filter(action=ConfigAuditEntry.Action.WEBHOOK_REGISTERED).count() == 2
    )


def test_it_explains_why_the_webhook_was_not_registered(client, settings, clicksign_emulator):
    token = emulator_account(clicksign_emulator, api_user_email=None)["token"]
    config = _config_with_token(settings, clicksign_emulator, token)
    _admin(client, config)

    html = _register_webhook(client, config).content.decode()

    assert "O webhook não foi registrado." in html
    assert "e-mail do usuário da API não está configurado" in html
    config.refresh_from_db()
    assert config.webhook_secret == TEST_WEBHOOK_SECRET and not config.clicksign_webhook_id
