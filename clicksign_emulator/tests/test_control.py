"""Control API, pages, the in-process server and the command line."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from clicksign_emulator import (
    DEMO_ACCOUNT_KEY,
    DEMO_PRODUCTION_TOKEN,
    DEMO_SANDBOX_TOKEN,
    ControlClient,
    ControlError,
    EmulatorServer,
)
from clicksign_emulator.__main__ import main

from .conftest import build_envelope, create_envelope, notify

ROOT = Path(__file__).resolve().parents[2]


def test_it_resets_everything_back_to_the_startup_accounts(emu, api):
    create_envelope(api)
    emu.control.create_account(token="extra")
    emu.control.update_account(emu.account_key, token="changed")
    emu.control.add_fault("drop", path="^/nothing$")
    emu.control.advance(1000)
    emu.control.reset()
    assert api.get("/envelopes").json()["meta"] == {"record_count": 0}
    accounts = emu.control.accounts()
    assert [(a["key"], a["token"]) for a in accounts] == [(DEMO_ACCOUNT_KEY, DEMO_SANDBOX_TOKEN)]
    assert accounts[0]["api_user_email"] == "api@demo.chancela.local"
    assert emu.control.faults() == []
    assert emu.control.clock()["offset_seconds"] == 0


def test_it_creates_accounts_with_generated_keys_and_tokens(emu):
    account = emu.control.create_account(environment="production", name="Faculdade")
    assert len(account["key"]) == 36 and len(account["token"]) == 36
    assert account["environment"] == "production"
    assert account["rate_limit"] == emu.control.settings()["production_rate_limit"]
    with pytest.raises(ControlError) as error:
        emu.control.create_account(token=account["token"])
    assert error.value.status == 409


def test_it_regenerates_a_token(emu):
    account = emu.control.update_account(emu.account_key, regenerate_token=True)
    assert account["token"] != DEMO_SANDBOX_TOKEN
    response = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": account["token"]})
    assert response.status_code == 200


def test_it_moves_the_clock_forward_only(emu):
    before = emu.control.clock()
    after = emu.control.advance(3600)
    assert after["epoch"] - before["epoch"] >= 3600
    assert after["offset_seconds"] == 3600
    with pytest.raises(ControlError):
        emu.control.advance(-1)
    frozen = emu.control.freeze()
    time.sleep(0.05)
    assert emu.control.clock()["epoch"] == frozen["epoch"]
    emu.control.freeze(False)


def test_it_dumps_envelopes_with_notifications_and_activation_count(emu, api):
    scenario = build_envelope(api)
    notify(api, scenario.envelope_id, message="Olá")
    dump = emu.control.envelopes()
    assert len(dump) == 1
    envelope = dump[0]
    assert envelope["id"] == scenario.envelope_id
    assert envelope["status"] == "running"
    assert envelope["activation_count"] == 1
    assert envelope["account_key"] == emu.account_key
    assert [d["id"] for d in envelope["documents"]] == [scenario.document_id]
    assert len(envelope["documents"][0]["sha256"]) == 64
    assert [s["id"] for s in envelope["signers"]] == [scenario.signer_id()]
    assert len(envelope["requirements"]) == 2
    assert [n["message"] for n in envelope["notifications"]] == ["Olá"]
    assert envelope["notifications"][0]["signing_url"].endswith(f"/sign/{scenario.signer_id()}")


def test_it_answers_unknown_control_routes_with_json(emu):
    response = httpx.get(f"{emu.base_url}/__emulator/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_it_shows_the_mailbox_home_page_in_portuguese(emu, api):
    empty = httpx.get(emu.base_url + "/")
    assert "Nenhum envelope criado ainda." in empty.text
    scenario = build_envelope(api, envelope_attrs={"name": "Contrato <Matrícula>"})
    notify(api, scenario.envelope_id, message="Assine, por favor")
    page = httpx.get(emu.base_url + "/").text
    assert "Caixa de entrada dos signatários" in page
    assert "Contrato &lt;Matrícula&gt;" in page  # escaped
    assert "Em andamento" in page and "Mensagens enviadas" in page
    assert "maria@example.com" in page and "Assine, por favor" in page
    assert f'href="/sign/{scenario.signer_id()}"' in page
    assert f"/documents/{scenario.document_id}/original" in page


def test_it_redirects_the_widget_url_to_the_signing_page(emu, api):
    scenario = build_envelope(api)
    response = httpx.get(
        f"{emu.base_url}/notarial/widget/signatures/{scenario.signer_id()}/redirect"
    )
    assert response.status_code == 302
    assert response.headers["location"] == f"/sign/{scenario.signer_id()}"


def test_it_emits_signature_started_when_the_signer_opens_the_page(emu, api):
    scenario = build_envelope(api)
    httpx.get(f"{emu.base_url}/sign/{scenario.signer_id()}")
    httpx.get(f"{emu.base_url}/sign/{scenario.signer_id()}")
    events = api.get(
        f"/envelopes/{scenario.envelope_id}/events", params={"filter[name]": "signature_started"}
    ).json()
    assert events["meta"] == {"record_count": 1}


def test_it_refuses_non_loopback_hosts():
    with pytest.raises(ValueError):
        EmulatorServer(host="0.0.0.0")  # noqa: S104 - the point of the test
    assert main(["--host", "0.0.0.0"]) == 2  # noqa: S104


def test_it_works_as_a_context_manager_with_extra_accounts():
    with EmulatorServer(
        accounts=[{"token": "t1", "api_user_email": "a@b.c"}], demo_account=False
    ) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        control = ControlClient(server.base_url)
        assert [a["token"] for a in control.accounts()] == ["t1"]
        control.close()


def test_it_runs_from_the_command_line():
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "clicksign_emulator", "--port", "0", "--account", "tok-cli:cli@x.y"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(15, process.kill)  # never hang the suite on a broken CLI
    watchdog.start()
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("Clicksign emulator listening on http://127.0.0.1:")
        base_url = first.rsplit(" ", 1)[1]
        with ControlClient(base_url) as control:
            accounts = control.accounts()
        assert [(a["token"], a["api_user_email"]) for a in accounts] == [
            (DEMO_SANDBOX_TOKEN, "api@demo.chancela.local"),
            ("tok-cli", "cli@x.y"),
            (DEMO_PRODUCTION_TOKEN, "api@demo.chancela.local"),  # for the demo's promotion
        ]
        response = httpx.get(f"{base_url}/api/v3/envelopes", headers={"Authorization": "tok-cli"})
        assert response.status_code == 200
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=10)


def test_it_generates_the_same_ids_after_a_reset_with_the_same_seed(emu, api):
    def run():
        emu.control.reset(seed=1234)
        envelope = create_envelope(api)
        webhook = api.post(
            "/webhooks",
            json={
                "data": {
                    "type": "webhooks",
                    "attributes": {"endpoint": "http://127.0.0.1:9/x", "events": ["sign"]},
                }
            },
        ).json()["data"]
        return envelope["id"], webhook["id"], webhook["attributes"]["secret"]

    assert run() == run()


def test_it_restores_generated_startup_accounts_identically():
    with EmulatorServer(accounts=[{"token": None}], demo_account=False) as server:
        control = ControlClient(server.base_url)
        before = control.accounts()
        control.reset()
        assert control.accounts() == before
        control.close()
