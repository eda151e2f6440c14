"""“Promover para produção”: the wizard from a sandbox configuration to a new production one.

Screens through Django's test client; Clicksign is the emulator over real HTTP, with a
production account of its own (both environments' URLs point at the emulator).
"""

from __future__ import annotations

import re

import httpx
import pytest
from django.urls import reverse

from chancela.esign.connection import signature_config_register_webhook
from chancela.esign.errors import ConfigurationError
from chancela.esign.models import (
    ConfigAuditEntry,
    ConfigPromotion,
    DocumentType,
    PromotionStatus,
    SignatureConfig,
    SignerRegistration,
)
from chancela.esign.promotion import (
    config_promotion_complete,
    config_promotion_document_types_choose,
    config_promotion_register_webhook,
    config_promotion_start,
    config_promotion_test_connection,
    promotion_name_suggestion,
)
from chancela.esign.services import signature_config_set_active, signature_config_update
from chancela.institutions.models import SharingType
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.clicksign import emulator_account, point_clicksign_at
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_person,
    make_signature_request,
    make_signer_registration,
    make_unit,
    make_unit_group,
    make_user,
    set_sharing,
)
from clicksign_emulator import DEMO_API_USER_EMAIL

pytestmark = pytest.mark.django_db

UNKNOWN_TOKEN = "4b5c6d7e-0000-4000-8000-00000000dead"  # Clicksign answers 401
PROD_EMAIL = "api.producao@escola.edu.br"
Action = ConfigAuditEntry.Action


def url(name: str, config: SignatureConfig) -> str:
    return reverse(f"esign:{name}", args=[config.public_id])


def credentials(token: str, **overrides: str) -> dict[str, str]:
    data = {
        "name": "Clicksign Produção",
        "api_user_email": PROD_EMAIL,
        "token": token,
        "notification_email": "ti@escola.edu.br",
        "require_selfie": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def sandbox(settings, clicksign_emulator):
    """A working sandbox on the emulator's demo account, with its webhook registered."""
    point_clicksign_at(settings, clicksign_emulator)
    unit = make_unit(name="Campus Centro")
    config = make_config(
        unit,
        name="Clicksign Homologação",
        token=clicksign_emulator.token,
        api_user_email=DEMO_API_USER_EMAIL,
        notification_email="ti@escola.edu.br",
        require_selfie=True,
    )
    signature_config_register_webhook(actor=None, config=config)
    config.refresh_from_db()
    return config


@pytest.fixture
def production_account(clicksign_emulator):
    return emulator_account(clicksign_emulator, environment="production", api_user_email=PROD_EMAIL)


@pytest.fixture
def admin(client, sandbox):
    user = make_user(units=[sandbox.unit], perms=[MANAGE_CONFIG, SEND_DOCUMENTS])
    client.force_login(user)
    return user


def promotion_of(sandbox: SignatureConfig) -> ConfigPromotion:
    return ConfigPromotion.objects.select_related("target").get(source=sandbox)


def checked(html: str, name: str) -> bool:
    return bool(re.search(rf'<input type="checkbox" name="{name}"[^>]* checked', html))


def actions(config: SignatureConfig) -> list[str]:
    return list(config.audit_entries.order_by("at", "id").values_list("action", flat=True))


def test_it_promotes_a_sandbox_configuration_end_to_end(
    client, sandbox, admin, production_account, clicksign_emulator
):
    unit = sandbox.unit
    # as a "Testar conexão" after the first sandbox envelope records it
    SignatureConfig.objects.filter(pk=sandbox.pk).update(
        clicksign_account_key=clicksign_emulator.account_key
    )
    contract = make_document_type(sandbox, name="Contrato de matrícula")
    declaration = make_document_type(sandbox, name="Declaração de matrícula")
    kept = make_document_type(sandbox, name="Termo de teste")
    in_flight = make_signature_request(unit, contract, status=RequestStatus.AWAITING_SIGNATURES)
    registration = make_signer_registration(
        sandbox, make_person(unit), last_clicksign_signer_id="sandbox-signer-1"
    )

    # The sandbox's page offers the wizard; step 1 is prefilled from the sandbox.
    assert "Promover para produção" in client.get(url("config_detail", sandbox)).content.decode()
    page = client.get(url("promotion_start", sandbox), follow=True)
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == url("promotion_credentials", sandbox)
    assert 'value="Clicksign Produção"' in html  # name suggestion
    assert 'value="ti@escola.edu.br"' in html  # notification e-mail from the sandbox
    assert checked(html, "require_selfie") and not checked(html, "require_handwritten")
    assert clicksign_emulator.token not in html

    # The sandbox's token is refused: production is another account.
    html = client.post(
        url("promotion_credentials", sandbox), credentials(clicksign_emulator.token)
    ).content.decode()
    assert "Este é o token da Sandbox" in html
    assert not ConfigPromotion.objects.exists()

    # A token Clicksign does not know: the draft is created (inactive) ...
    response = client.post(url("promotion_credentials", sandbox), credentials(UNKNOWN_TOKEN))
    assert response.url == url("promotion_connection", sandbox)
    target = promotion_of(sandbox).target
    assert target.environment == "production" and not target.active
    assert target.require_selfie and not target.require_handwritten

    # ... but the later steps stay closed until "Testar conexão" passes.
    for later in ("promotion_webhook", "promotion_document_types", "promotion_confirm"):
        assert client.get(url(later, sandbox)).url == url("promotion_connection", sandbox)
    html = client.post(url("promotion_connection", sandbox), follow=True).content.decode()
    assert "Token inválido: a Clicksign (produção) recusou" in html
    assert "Continuar</a>" not in html
    response = client.post(url("promotion_confirm", sandbox))
    assert response.url == url("promotion_connection", sandbox)
    with pytest.raises(ConfigurationError, match="Testar conexão"):
        config_promotion_complete(actor=admin, promotion=promotion_of(sandbox))
    target.refresh_from_db()
    assert not target.active

    # Back to step 1 with the production token (the rest of the draft is kept).
    html = client.get(url("promotion_credentials", sandbox)).content.decode()
    assert f'value="{PROD_EMAIL}"' in html and target.token_fingerprint in html
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    html = client.post(url("promotion_connection", sandbox), follow=True).content.decode()
    assert "Conexão com a Clicksign (produção) funcionando" in html
    assert url("promotion_webhook", sandbox) in html  # "Continuar"

    # Webhook: registered on the production account, for the new configuration's own URL.
    html = client.post(
        url("promotion_webhook", sandbox), {"action": "register"}, follow=True
    ).content.decode()
    assert "Webhook registrado na Clicksign" in html
    target.refresh_from_db()
    webhooks = httpx.get(
        f"{clicksign_emulator.api_url}/webhooks",
        headers={"Authorization": production_account["token"]},
    ).json()["data"]
    assert [w["attributes"]["endpoint"] for w in webhooks] == [target.webhook_url]
    assert webhooks[0]["id"] == target.clicksign_webhook_id

    # Document types: those of the sandbox, all active ones checked; we move two of three.
    html = client.get(url("promotion_document_types", sandbox)).content.decode()
    for document_type in (contract, declaration, kept):
        assert document_type.name in html
    response = client.post(
        url("promotion_document_types", sandbox),
        {"document_types": [contract.pk, declaration.pk]},
    )
    assert response.url == url("promotion_confirm", sandbox)
    html = client.get(url("promotion_confirm", sandbox)).content.decode()
    assert "1 solicitação(ões) já enviada(s) pela Sandbox" in html
    assert "Termo de teste" in html  # warned: stays on the inactivated sandbox

    response = client.post(url("promotion_confirm", sandbox), follow=True)
    assert "Promoção concluída" in response.content.decode()
    assert response.redirect_chain[-1][0] == url("config_detail", target)

    sandbox.refresh_from_db()
    target.refresh_from_db()
    assert target.active and not sandbox.active
    assert promotion_of(sandbox).status == PromotionStatus.COMPLETED
    configs = dict(DocumentType.objects.values_list("name", "config_id"))
    assert configs == {
        "Contrato de matrícula": target.pk,
        "Declaração de matrícula": target.pk,
        "Termo de teste": sandbox.pk,
    }
    # Nothing of the sandbox is reused in production.
    assert target.token == production_account["token"] != sandbox.token
    assert target.webhook_secret and target.webhook_secret != sandbox.webhook_secret
    assert target.clicksign_webhook_id != sandbox.clicksign_webhook_id
    assert sandbox.clicksign_account_key == clicksign_emulator.account_key
    assert target.clicksign_account_key in ("", production_account["key"])
    assert not SignerRegistration.objects.filter(config=target).exists()
    assert SignerRegistration.objects.get(pk=registration.pk).config == sandbox

    # The request in flight keeps its sandbox configuration and its marking, even once signed.
    in_flight.refresh_from_db()
    assert in_flight.config == sandbox and in_flight.is_sandbox
    page = client.get(reverse("signing:request_detail", args=[in_flight.public_id]))
    assert "Sandbox — sem validade jurídica" in page.content.decode()
    SignatureRequest.objects.filter(pk=in_flight.pk).update(status=RequestStatus.SIGNED)
    in_flight.refresh_from_db()
    assert not in_flight.legally_valid
    # New requests of a moved type go to production.
    fresh = make_signature_request(unit, DocumentType.objects.get(pk=contract.pk))
    assert fresh.config == target and not fresh.is_sandbox

    # Every step is audited on both configurations.
    assert actions(sandbox) == [
        Action.CREATED,
        Action.UPDATED,  # the sandbox's own webhook secret
        Action.WEBHOOK_REGISTERED,
        Action.PROMOTION_STARTED,
        Action.PROMOTION_STEP,  # connection test (failed)
        Action.PROMOTION_STEP,  # new token
        Action.PROMOTION_STEP,  # connection test (ok)
        Action.PROMOTION_STEP,  # webhook
        Action.PROMOTION_STEP,  # document types
        Action.DOCUMENT_TYPES_REPOINTED,
        Action.INACTIVATED,
        Action.PROMOTED,
    ]
    assert actions(target) == [
        Action.CREATED,
        Action.PROMOTION_STARTED,
        Action.CONNECTION_TESTED,
        Action.UPDATED,  # token
        Action.CONNECTION_TESTED,
        Action.UPDATED,  # webhook secret
        Action.WEBHOOK_REGISTERED,
        Action.PROMOTION_STEP,
        Action.ACTIVATED,
        Action.DOCUMENT_TYPES_REPOINTED,
        Action.PROMOTED,
    ]
    # The production configuration is switched on for the first time: not "re"-activated.
    activated = target.audit_entries.get(action=Action.ACTIVATED)
    assert activated.get_action_display() == "Ativada"
    entries = ConfigAuditEntry.objects.filter(config__in=[sandbox, target])
    set_up = entries.filter(
        config=sandbox, action__in=[Action.CREATED, Action.UPDATED, Action.WEBHOOK_REGISTERED]
    )
    assert {entry.actor for entry in entries.exclude(pk__in=set_up)} == {admin}
    texts = " ".join(f"{e.note} {e.changes}" for e in entries)
    assert production_account["token"] not in texts and target.webhook_secret not in texts

    # The sandbox's page says where production is; the wizard is not offered again.
    html = client.get(url("config_detail", sandbox)).content.decode()
    assert "Promovida para produção em" in html and target.name in html
    assert "Promover para produção</a>" not in html


def test_it_refuses_to_finish_while_the_production_account_has_no_api_user_email(
    sandbox, admin, clicksign_emulator
):
    account = emulator_account(clicksign_emulator, environment="production", api_user_email=None)
    document_type = make_document_type(sandbox)
    promotion = config_promotion_start(
        actor=admin,
        source=sandbox,
        name="Produção",
        api_user_email=PROD_EMAIL,
        token=account["token"],
        notification_email="ti@escola.edu.br",
    )

    check = config_promotion_test_connection(actor=admin, promotion=promotion)

    assert not check.ok and "e-mail do usuário da API não está configurado" in check.message
    with pytest.raises(ConfigurationError) as refused:
        config_promotion_register_webhook(actor=admin, promotion=promotion)
    assert refused.value.code == "promotion_step_pending"
    with pytest.raises(ConfigurationError):
        config_promotion_complete(actor=admin, promotion=promotion)

    clicksign_emulator.control.update_account(account["key"], api_user_email=PROD_EMAIL)
    promotion.refresh_from_db()
    assert config_promotion_test_connection(actor=admin, promotion=promotion).ok
    config_promotion_register_webhook(actor=admin, promotion=promotion)
    config_promotion_document_types_choose(
        actor=admin, promotion=promotion, document_types=[document_type]
    )

    # The account breaks again before the end: a new failed test closes the way again.
    clicksign_emulator.control.update_account(account["key"], api_user_email=None)
    promotion.refresh_from_db()
    assert not config_promotion_test_connection(actor=admin, promotion=promotion).ok
    promotion.refresh_from_db()
    with pytest.raises(ConfigurationError):
        config_promotion_complete(actor=admin, promotion=promotion)
    target = SignatureConfig.objects.get(pk=promotion.target_id)
    assert not target.active
    sandbox.refresh_from_db()
    assert sandbox.active
    assert DocumentType.objects.get(pk=document_type.pk).config == sandbox


def test_it_asks_for_a_new_test_and_webhook_when_the_token_changes(
    client, sandbox, admin, production_account, clicksign_emulator
):
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    client.post(url("promotion_connection", sandbox))
    client.post(url("promotion_webhook", sandbox), {"action": "register"})
    promotion = promotion_of(sandbox)
    assert promotion.connection_ok_at and promotion.webhook_done_at

    # Same token, new notification e-mail: nothing to redo.
    client.post(
        url("promotion_credentials", sandbox),
        credentials("", notification_email="avisos@escola.edu.br"),
    )
    promotion.refresh_from_db()
    assert promotion.connection_ok_at and promotion.webhook_done_at
    assert promotion.target.notification_email == "avisos@escola.edu.br"

    other = emulator_account(clicksign_emulator, environment="production")
    client.post(url("promotion_credentials", sandbox), credentials(other["token"]))
    promotion.refresh_from_db()
    assert promotion.connection_ok_at is None and promotion.webhook_done_at is None
    assert client.get(url("promotion_confirm", sandbox)).url == url("promotion_connection", sandbox)


def test_it_takes_the_webhook_secret_by_hand_but_never_the_sandbox_one(
    client, sandbox, admin, production_account
):
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    client.post(url("promotion_connection", sandbox))

    html = client.post(
        url("promotion_webhook", sandbox),
        {"action": "manual", "webhook_secret": sandbox.webhook_secret},
    ).content.decode()
    assert "Esta é a chave de segurança do webhook da Sandbox" in html
    html = client.post(
        url("promotion_webhook", sandbox), {"action": "manual", "webhook_secret": "curta"}
    ).content.decode()
    assert "32 caracteres" in html
    assert promotion_of(sandbox).webhook_done_at is None

    secret = "0123456789abcdef0123456789abcdef"
    response = client.post(
        url("promotion_webhook", sandbox), {"action": "manual", "webhook_secret": secret}
    )
    assert response.url == url("promotion_webhook", sandbox)
    promotion = promotion_of(sandbox)
    assert promotion.target.webhook_secret == secret and promotion.webhook_done_at
    assert promotion.target.clicksign_webhook_id == ""
    assert secret not in client.get(url("promotion_webhook", sandbox)).content.decode()


def test_it_abandons_without_leaving_anything_half_done(
    client, sandbox, admin, production_account, clicksign_emulator
):
    document_type = make_document_type(sandbox)
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    client.post(url("promotion_connection", sandbox))
    client.post(url("promotion_webhook", sandbox), {"action": "register"})
    target = promotion_of(sandbox).target

    # While in progress the draft is not usable and cannot be switched on outside the wizard.
    listing = client.get(reverse("esign:config_list")).content.decode()
    assert "Rascunho — promoção em andamento" in listing
    form = client.get(reverse("esign:document_type_create")).content.decode()
    assert target.name not in form
    response = client.post(url("config_set_active", target), {"active": "1"})
    assert response.url == url("promotion_start", sandbox)
    assert client.get(url("config_edit", target)).url == url("promotion_start", sandbox)
    with pytest.raises(ConfigurationError) as refused:
        signature_config_set_active(actor=admin, config=target, active=True)
    assert refused.value.code == "promotion_draft"

    response = client.post(url("promotion_abandon", sandbox), follow=True)

    assert "Promoção abandonada" in response.content.decode()
    assert not SignatureConfig.objects.filter(pk=target.pk).exists()
    assert promotion_of(sandbox).status == PromotionStatus.ABANDONED
    sandbox.refresh_from_db()
    assert sandbox.active and DocumentType.objects.get(pk=document_type.pk).config == sandbox
    webhook = httpx.get(
        f"{clicksign_emulator.api_url}/webhooks/{target.clicksign_webhook_id}",
        headers={"Authorization": production_account["token"]},
    ).json()["data"]
    assert webhook["attributes"]["status"] == "inactive"
    assert actions(sandbox)[-1] == Action.PROMOTION_ABANDONED
    # A new promotion can start from scratch.
    html = client.get(url("promotion_credentials", sandbox)).content.decode()
    assert 'value="Clicksign Produção"' in html


def test_it_resumes_where_a_colleague_stopped(client, sandbox, admin, production_account):
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    colleague = make_user(units=[sandbox.unit], perms=[MANAGE_CONFIG])
    client.force_login(colleague)

    html = client.get(url("config_detail", sandbox)).content.decode()
    assert "Continuar a promoção para produção" in html
    assert client.get(url("promotion_start", sandbox)).url == url("promotion_connection", sandbox)
    with pytest.raises(ConfigurationError) as refused:
        config_promotion_start(
            actor=colleague,
            source=sandbox,
            name="Outra",
            api_user_email=PROD_EMAIL,
            token=production_account["token"],
            notification_email="ti@escola.edu.br",
        )
    assert refused.value.code == "promotion_in_progress"
    assert SignatureConfig.objects.filter(environment="production").count() == 1


def test_it_refuses_to_start_when_the_unit_already_has_an_active_production_configuration(
    client, sandbox, admin, production_account
):
    make_config(sandbox.unit, name="Produção existente", environment="production")

    html = client.post(
        url("promotion_credentials", sandbox), credentials(production_account["token"])
    ).content.decode()

    assert "Já existe uma configuração de Produção ativa que atende esta unidade" in html
    assert "Produção existente" in html
    assert not ConfigPromotion.objects.exists()


def test_it_changes_nothing_when_the_last_step_breaks_the_one_active_rule(
    client, sandbox, admin, production_account
):
    document_type = make_document_type(sandbox)
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    client.post(url("promotion_connection", sandbox))
    client.post(url("promotion_webhook", sandbox), {"action": "register"})
    client.post(url("promotion_document_types", sandbox), {"document_types": [document_type.pk]})
    # Meanwhile someone creates an active production configuration for the unit.
    make_config(sandbox.unit, name="Produção paralela", environment="production")

    html = client.post(url("promotion_confirm", sandbox), follow=True).content.decode()

    assert "Já existe uma configuração ativa de Produção" in html
    promotion = promotion_of(sandbox)
    assert promotion.status == PromotionStatus.IN_PROGRESS
    assert not promotion.target.active
    sandbox.refresh_from_db()
    assert sandbox.active
    assert DocumentType.objects.get(pk=document_type.pk).config == sandbox
    assert not sandbox.audit_entries.filter(action=Action.PROMOTED).exists()


def test_it_leaves_a_document_type_moved_elsewhere_meanwhile_where_it_is(
    client, sandbox, admin, production_account
):
    moved, stays_chosen = make_document_type(sandbox), make_document_type(sandbox)
    client.post(url("promotion_credentials", sandbox), credentials(production_account["token"]))
    client.post(url("promotion_connection", sandbox))
    client.post(url("promotion_webhook", sandbox), {"action": "register"})
    client.post(
        url("promotion_document_types", sandbox),
        {"document_types": [moved.pk, stays_chosen.pk]},
    )
    other_sandbox = make_config(make_unit(), name="Outra")
    DocumentType.objects.filter(pk=moved.pk).update(config=other_sandbox)

    client.post(url("promotion_confirm", sandbox))

    target = promotion_of(sandbox).target
    assert DocumentType.objects.get(pk=moved.pk).config == other_sandbox
    assert DocumentType.objects.get(pk=stays_chosen.pk).config == target
    note = sandbox.audit_entries.get(action=Action.PROMOTED).note
    assert "1 tipo(s) já apontados para outra configuração" in note


class TestWhoMayPromote:
    def test_it_hides_another_units_configuration_behind_a_404(self, client, sandbox):
        client.force_login(make_user(units=[make_unit()], perms=[MANAGE_CONFIG]))
        for name in (
            "promotion_start",
            "promotion_credentials",
            "promotion_connection",
            "promotion_webhook",
            "promotion_document_types",
            "promotion_confirm",
        ):
            assert client.get(url(name, sandbox)).status_code == 404, name
        assert client.post(url("promotion_abandon", sandbox)).status_code == 404

    def test_it_lets_only_users_of_the_owner_unit_promote(self, client):
        set_sharing(SharingType.UNIT_GROUP)
        group = make_unit_group()
        owner, sibling = make_unit(group), make_unit(group)
        config = make_config(owner)
        client.force_login(make_user(units=[sibling], perms=[MANAGE_CONFIG]))
        assert client.get(url("promotion_credentials", config)).status_code == 403
        assert (
            "Promover para produção"
            not in client.get(url("config_detail", config)).content.decode()
        )

    def test_it_requires_the_configuration_permission(self, client, sandbox):
        client.force_login(make_user(units=[sandbox.unit], perms=[SEND_DOCUMENTS]))
        assert client.get(url("promotion_credentials", sandbox)).status_code == 403

    def test_it_only_promotes_a_sandbox_configuration(self, client, sandbox):
        production = make_config(sandbox.unit, environment="production")
        client.force_login(make_user(units=[sandbox.unit], perms=[MANAGE_CONFIG]))
        response = client.get(url("promotion_credentials", production), follow=True)
        assert "Só uma configuração Sandbox é promovida" in response.content.decode()
        assert (
            "Promover para produção</a>"
            not in client.get(url("config_detail", production)).content.decode()
        )


@pytest.mark.parametrize(
    ("sandbox_name", "suggestion"),
    [
        ("Clicksign Homologação", "Clicksign Produção"),
        ("Clicksign Sandbox (homologação)", "Clicksign Produção"),
        ("Campus Centro - sandbox", "Campus Centro - Produção"),
        ("Clicksign Centro", "Clicksign Centro — Produção"),
    ],
)
def test_it_suggests_a_production_name(sandbox_name, suggestion):
    assert promotion_name_suggestion(sandbox_name) == suggestion


def test_it_keeps_the_environment_and_points_the_edit_screen_to_the_wizard(client):
    unit = make_unit()
    sandbox = make_config(unit)
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))

    html = client.get(url("config_edit", sandbox)).content.decode()
    assert "O ambiente não muda depois de criada" in html
    assert f'<a href="{url("promotion_start", sandbox)}">Promover para produção</a>' in html
    assert re.search(
        r'<input type="radio" name="environment" value="production"[^>]*disabled', html
    )

    data = {
        "name": sandbox.name,
        "environment": "production",
        "api_user_email": "api@example.com",
        "token": "",
        "notification_email": "ti@example.com",
        "active": "on",
    }
    client.post(url("config_edit", sandbox), data)
    sandbox.refresh_from_db()
    assert sandbox.environment == "sandbox"
    with pytest.raises(ConfigurationError) as refused:
        signature_config_update(actor=None, config=sandbox, environment="production")
    assert refused.value.code == "environment_immutable"
    assert "Promover para produção" in refused.value.message

    production = make_config(make_unit(), environment="production")
    client.force_login(make_user(units=[production.unit], perms=[MANAGE_CONFIG]))
    html = client.get(url("config_edit", production)).content.decode()
    assert "O ambiente não muda depois de criada" in html
    assert "/promover/" not in html


def test_it_asks_to_confirm_a_promotion_that_reaches_units_of_other_administrators(
    client, settings, clicksign_emulator, production_account
):
    point_clicksign_at(settings, clicksign_emulator)
    group = make_unit_group()
    mine, theirs = make_unit(group, name="Campus Centro"), make_unit(group, name="Colégio Norte")
    set_sharing(SharingType.UNIT_GROUP)
    sandbox = make_config(mine, token=clicksign_emulator.token, api_user_email=DEMO_API_USER_EMAIL)
    signature_config_register_webhook(actor=None, config=sandbox)
    shared = make_document_type(sandbox, units=[mine, theirs])
    editor = make_user(units=[mine], perms=[MANAGE_CONFIG])
    client.force_login(editor)
    promotion = config_promotion_start(
        actor=editor,
        source=sandbox,
        name="Produção",
        api_user_email=PROD_EMAIL,
        token=production_account["token"],
        notification_email="ti@escola.edu.br",
    )
    assert config_promotion_test_connection(actor=editor, promotion=promotion).ok
    config_promotion_register_webhook(actor=editor, promotion=promotion)
    config_promotion_document_types_choose(
        actor=editor, promotion=promotion, document_types=[shared]
    )

    page = client.get(url("promotion_confirm", sandbox)).content.decode()
    assert 'name="confirm_other_units"' in page and "Colégio Norte" in page
    refused = client.post(url("promotion_confirm", sandbox), follow=True).content.decode()
    assert "também atende unidades que você não administra: Colégio Norte" in refused
    sandbox.refresh_from_db()
    assert sandbox.active and DocumentType.objects.get(pk=shared.pk).config == sandbox

    client.post(url("promotion_confirm", sandbox), {"confirm_other_units": [theirs.pk]})
    sandbox.refresh_from_db()
    assert not sandbox.active
    assert DocumentType.objects.get(pk=shared.pk).config_id == promotion.target_id
    assert ConfigAuditEntry.Action.OTHER_UNITS_CONFIRMED in actions(sandbox)


def test_it_detects_the_production_accounts_own_api_when_promoting(
    sandbox, admin, clicksign_emulator
):
    """The production account may be older than the sandbox one: the promotion's connection
    test detects its API; nothing is carried over from the sandbox."""
    old = emulator_account(
        clicksign_emulator,
        environment="production",
        api_user_email=PROD_EMAIL,
        envelopes_enabled=False,
    )
    assert sandbox.clicksign_api == "3.0"
    promotion = config_promotion_start(
        actor=admin,
        source=sandbox,
        name="Produção",
        api_user_email=PROD_EMAIL,
        token=old["token"],
        notification_email="ti@escola.edu.br",
    )

    check = config_promotion_test_connection(actor=admin, promotion=promotion)

    assert check.ok and "API 1.9" in check.message
    target = SignatureConfig.objects.get(pk=promotion.target_id)
    assert target.clicksign_api == "1.9"
    promotion.refresh_from_db()
    config_promotion_register_webhook(actor=admin, promotion=promotion)
    assert clicksign_emulator.control.requests(method="POST", path="^/api/v2/webhooks$")
