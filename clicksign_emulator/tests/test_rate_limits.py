"""Rate limits: 20 (sandbox) / 50 (production) per 10 s, notifications 1/min/endpoint."""

import httpx

from clicksign_emulator import DEMO_SANDBOX_TOKEN, EmulatorServer

from .conftest import build_envelope, notify


def test_it_defaults_to_20_for_sandbox_and_50_for_production_accounts():
    with EmulatorServer(accounts=[{"token": "prod", "environment": "production"}]) as server:
        sandbox = httpx.get(
            f"{server.api_url}/envelopes", headers={"Authorization": DEMO_SANDBOX_TOKEN}
        )
        production = httpx.get(f"{server.api_url}/envelopes", headers={"Authorization": "prod"})
    assert (sandbox.headers["x-rate-limit"], sandbox.headers["x-rate-limit-remaining"]) == (
        "20",
        "19",
    )
    assert (production.headers["x-rate-limit"], production.headers["x-rate-limit-remaining"]) == (
        "50",
        "49",
    )


def test_it_answers_429_to_the_21st_request_in_10_seconds(emu, api):
    emu.control.settings(sandbox_rate_limit=20)
    epoch = emu.control.clock()["epoch"]
    for expected_remaining in range(19, -1, -1):
        response = api.get("/envelopes")
        assert response.status_code == 200
        assert response.headers["x-rate-limit-remaining"] == str(expected_remaining)
    response = api.get("/envelopes")
    assert response.status_code == 429
    assert response.headers["x-rate-limit"] == "20"
    assert response.headers["x-rate-limit-remaining"] == "0"
    reset = int(response.headers["x-rate-limit-reset"])
    assert epoch < reset <= epoch + 11
    assert response.json()["errors"][0]["status"] == 429
    emu.control.advance(10)
    assert api.get("/envelopes").status_code == 200


def test_it_sends_the_rate_limit_headers_on_errors_too(emu, api):
    emu.control.settings(sandbox_rate_limit=20)
    response = api.get("/envelopes/does-not-exist")
    assert response.status_code == 404
    assert response.headers["x-rate-limit-remaining"] == "19"
    unauthorized = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": "Bearer x"})
    assert {"x-rate-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
        unauthorized.headers
    )


def test_it_uses_the_production_limit_for_production_accounts(emu):
    emu.control.settings(production_rate_limit=3)
    emu.control.create_account(token="prod-token", environment="production")
    headers = {"Authorization": "prod-token"}
    codes = [httpx.get(f"{emu.api_url}/envelopes", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_it_counts_each_account_separately(emu, api):
    emu.control.settings(sandbox_rate_limit=2)
    emu.control.create_account(token="school-b")
    assert [api.get("/envelopes").status_code for _ in range(3)] == [200, 200, 429]
    other = httpx.get(f"{emu.api_url}/envelopes", headers={"Authorization": "school-b"})
    assert other.status_code == 200


def test_it_limits_notifications_to_one_per_minute_per_endpoint(emu, api):
    scenario = build_envelope(
        api,
        signers=[
            {"name": "Ana Lima", "email": "ana@example.com"},
            {"name": "Bruno Costa", "email": "bruno@example.com"},
        ],
    )
    assert notify(api, scenario.envelope_id).status_code == 201
    again = notify(api, scenario.envelope_id)
    assert again.status_code == 429
    assert again.headers["content-type"].startswith("text/plain")
    assert again.text == "Too many requests"
    assert int(again.headers["x-rate-limit-remaining"]) > 0
    signer_path = f"/envelopes/{scenario.envelope_id}/signers/{scenario.signer_id(0)}/notifications"
    body = {"data": {"type": "notifications", "attributes": {}}}
    assert api.post(signer_path, json=body).status_code == 201
    assert api.post(signer_path, json=body).text == "Too many requests"
    other = f"/envelopes/{scenario.envelope_id}/signers/{scenario.signer_id(1)}/notifications"
    assert api.post(other, json=body).status_code == 201
    emu.control.advance(60)
    assert notify(api, scenario.envelope_id).status_code == 201


def test_it_does_not_count_downloads(emu, api):
    scenario = build_envelope(api)
    emu.control.settings(sandbox_rate_limit=5)
    emu.control.advance(10)  # a fresh window
    document = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}")
    assert document.headers["x-rate-limit-remaining"] == "4"
    url = document.json()["data"]["links"]["files"]["original"]
    for _ in range(10):
        assert httpx.get(url).status_code == 200
    assert api.get("/envelopes").headers["x-rate-limit-remaining"] == "3"
