"""`make run`: the demo configuration talks to the emulator and gets its webhook on every start."""

import pytest

from chancela.core.management.commands.run_local import link_demo_to_emulator, local_processes
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


def test_it_runs_the_demo_on_api_1_9_when_asked(settings, clicksign_emulator):
    """CHANCELA_DEMO_CLICKSIGN_API=1.9 starts the emulator with ``--demo-api 1.9`` (old demo
    accounts); the start detects it and registers the webhook through /api/v2."""
    settings.CHANCELA_DEMO_CLICKSIGN_API = "1.9"
    emulator = [argv for name, argv in local_processes("python", 8000) if name == "emulator"][0]
    assert emulator[-2:] == ["--demo-api", "1.9"]
    point_clicksign_at(settings, clicksign_emulator)
    clicksign_emulator.control.update_account(
        clicksign_emulator.account_key, envelopes_enabled=False
    )
    seed_demo()

    line = link_demo_to_emulator(clicksign_emulator.base_url)

    config = demo_config()
    assert config is not None and config.clicksign_api == "1.9"
    assert "Webhook registrado na Clicksign" in line
    assert clicksign_emulator.control.requests(method="POST", path="^/api/v2/webhooks$")


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


def test_it_writes_a_local_env_that_points_production_at_the_emulator(tmp_path):
    from chancela.core.localenv import write_local_env

    fresh = tmp_path / "fresh.env"
    assert write_local_env(fresh)
    assert "CHANCELA_CLICKSIGN_PRODUCTION_URL=http://127.0.0.1:8765" in fresh.read_text()
    # An older .env gets the line once, and keeps its keys.
    older = tmp_path / "older.env"
    older.write_text("CHANCELA_SECRET_KEY=x\n")
    write_local_env(older)
    write_local_env(older)
    text = older.read_text()
    assert text.startswith("CHANCELA_SECRET_KEY=x\n")
    assert text.count("CHANCELA_CLICKSIGN_PRODUCTION_URL=") == 1


def test_it_keeps_the_emulator_state_and_quiets_the_children(settings, tmp_path):
    from chancela.core.management.commands.run_local import (
        child_env,
        demo_logins_save,
        local_processes,
    )

    settings.DATA_DIR = tmp_path
    emulator = dict(local_processes("python", 8000))["emulator"]
    assert emulator[emulator.index("--state-file") + 1] == str(tmp_path / "emulator-state.pickle")
    env = child_env({"CHANCELA_LOG_LEVEL": "DEBUG"})
    assert env["CHANCELA_LOG_LEVEL"] == "DEBUG"  # what the person asked for wins
    assert env["CHANCELA_ACCESS_LOG_LEVEL"] == "WARNING"
    saved = demo_logins_save("admin chancela-demo")
    assert saved.read_text() == "admin chancela-demo\n"
    assert saved.stat().st_mode & 0o077 == 0  # the API key is readable by the owner only


def test_it_restarts_a_child_that_exits_and_leaves_the_others_running():
    import subprocess
    import sys
    import time

    from chancela.core.management.commands.run_local import Children

    lines: list[str] = []
    children = Children(
        [
            ("crashing", [sys.executable, "-c", "raise SystemExit(3)"]),
            ("steady", [sys.executable, "-c", "import time; time.sleep(60)"]),
        ],
        lines.append,
    )
    children.FIRST_PAUSE_SECONDS = 0.01
    try:
        children.start("crashing")
        steady = children.start("steady")
        deadline = time.monotonic() + 60
        while children.restarts["crashing"] < 2 and time.monotonic() < deadline:
            children.check()
            time.sleep(0.05)

        assert children.restarts == {"crashing": 2, "steady": 0}
        assert children.popen["steady"] is steady and steady.poll() is None
        assert lines[0] == "crashing saiu (código 3); reiniciando em 0 s."
    finally:
        children.stop()
    assert all(
        isinstance(p, subprocess.Popen) and p.poll() is not None for p in children.popen.values()
    )
