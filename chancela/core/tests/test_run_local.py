"""`make run`: the demo configuration talks to the emulator and gets its webhook on every start."""

import pytest

from chancela.core.management.commands.run_local import link_demo_to_emulator
from chancela.demo import demo_config, seed_demo
from chancela.esign.clients import client_for_config
from chancela.esign.models import ConfigAuditEntry
from chancela.testing.clicksign import point_clicksign_at
from clicksign_emulator import DEMO_SANDBOX_TOKEN

pytestmark = pytest.mark.django_db


def test_it_seeds_the_demo_with_the_emulators_token():
    seed_demo()
    config = demo_config()
    assert config is not None and config.token == DEMO_SANDBOX_TOKEN


def test_it_registers_the_demo_webhook_again_at_every_start(settings, clicksign_emulator):
    point_clicksign_at(settings, clicksign_emulator)
    seed_demo()

    line = link_demo_to_emulator(clicksign_emulator.base_url)

    config = demo_config()
    assert config is not None and "Webhook registrado na Clicksign" in line
    with client_for_config(config) as api:
        (webhook,) = api.webhooks_list().items
    assert webhook.endpoint == config.webhook_url
    assert config.webhook_secret == webhook.secret
    first_secret = config.webhook_secret

    clicksign_emulator.control.reset()  # the emulator restarted: its memory is gone
    link_demo_to_emulator(clicksign_emulator.base_url)

    config.refresh_from_db()
    assert config.webhook_secret != first_secret
    assert config.previous_webhook_secret == first_secret  # still accepted for a while
    registered = config.audit_entries.filter(action=ConfigAuditEntry.Action.WEBHOOK_REGISTERED)
    assert registered.count() == 2 and all(entry.actor is None for entry in registered)


def test_it_repairs_a_demo_seeded_with_an_old_token(settings, clicksign_emulator):
    point_clicksign_at(settings, clicksign_emulator)
    seed_demo()
    config = demo_config()
    assert config is not None
    config.token = "0c1a7a5e-5a4d-4b0c-9d3e-c1a7e5a4d000"
    config.save()

    link_demo_to_emulator(clicksign_emulator.base_url)

    config.refresh_from_db()
    assert config.token == DEMO_SANDBOX_TOKEN and config.clicksign_webhook_id


def test_it_leaves_a_sandbox_that_is_not_the_emulator_alone(settings, clicksign_emulator):
    settings.CLICKSIGN_URLS = {
        "sandbox": "https://sandbox.clicksign.com",
        "production": "https://app.clicksign.com",
    }
    seed_demo()

    line = link_demo_to_emulator(clicksign_emulator.base_url)

    assert "não para o emulador" in line
    assert clicksign_emulator.control.requests() == []
    config = demo_config()
    assert config is not None and not config.clicksign_webhook_id
