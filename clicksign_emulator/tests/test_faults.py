"""Fault injection: status, rate_limit, timeout, drop, commit_then_drop; count, probability."""

import time

import httpx
import pytest

from .conftest import build_envelope, create_envelope

ENVELOPES = "^/api/v3/envelopes$"
BODY = {"data": {"type": "envelopes", "attributes": {"name": "Contrato"}}}


def envelope_count(api):
    return api.get("/envelopes").json()["meta"]["record_count"]


def test_it_answers_an_injected_status_without_processing(emu, api):
    emu.control.add_fault("status", method="POST", path=ENVELOPES, status=500)
    response = api.post("/envelopes", json=BODY)
    assert response.status_code == 500
    assert response.json()["errors"][0]["status"] == 500
    assert "x-rate-limit-remaining" in response.headers
    assert envelope_count(api) == 0
    assert api.post("/envelopes", json=BODY).status_code == 201


def test_it_answers_an_injected_status_with_a_custom_body_and_headers(emu, api):
    emu.control.add_fault(
        "status", path=ENVELOPES, status=502, body="Bad Gateway", headers={"Retry-After": "2"}
    )
    response = api.get("/envelopes")
    assert (response.status_code, response.text, response.headers["retry-after"]) == (
        502,
        "Bad Gateway",
        "2",
    )


def test_it_injects_a_503_like_clicksign(emu, api):
    emu.control.add_fault("status", path=ENVELOPES, status=503)
    assert api.get("/envelopes").json()["errors"][0]["detail"] == "Serviço indisponível"


def test_it_injects_a_rate_limit(emu, api):
    emu.control.add_fault("rate_limit", path=ENVELOPES)
    response = api.get("/envelopes")
    assert response.status_code == 429
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert int(response.headers["x-rate-limit-reset"]) > emu.control.clock()["epoch"]


def test_it_delays_a_request_past_the_client_timeout_and_still_processes_it(emu, api):
    emu.control.add_fault("timeout", method="POST", path=ENVELOPES, delay_seconds=0.4)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/envelopes", json=BODY, timeout=0.1)
    time.sleep(0.5)
    assert envelope_count(api) == 1


def test_it_drops_the_connection_without_processing(emu, api):
    emu.control.add_fault("drop", method="POST", path=ENVELOPES)
    with pytest.raises(httpx.TransportError):
        api.post("/envelopes", json=BODY)
    assert envelope_count(api) == 0


def test_it_commits_then_drops_the_connection(emu, api):
    emu.control.add_fault("commit_then_drop", method="POST", path=ENVELOPES)
    with pytest.raises(httpx.TransportError):
        api.post("/envelopes", json=BODY)
    envelopes = api.get("/envelopes", params={"filter[name]": "Contrato"}).json()
    assert envelopes["meta"]["record_count"] == 1
    log = emu.control.requests(method="POST", path=ENVELOPES)
    assert [(e["status"], e["fault"]) for e in log] == [(201, "commit_then_drop")]


def test_it_applies_a_fault_count_times(emu, api):
    emu.control.add_fault("status", path=ENVELOPES, status=500, count=2)
    assert [api.get("/envelopes").status_code for _ in range(3)] == [500, 500, 200]
    assert emu.control.faults()[0]["remaining"] == 0


def test_it_applies_a_fault_forever_with_a_null_count(emu, api):
    emu.control.add_fault("status", path=ENVELOPES, status=500, count=None)
    assert {api.get("/envelopes").status_code for _ in range(5)} == {500}


def test_it_is_deterministic_with_probability_and_seed(emu, api):
    def pattern():
        emu.control.reset()
        emu.control.add_fault(
            "status", path=ENVELOPES, status=503, count=None, probability=0.5, seed=42
        )
        return [api.get("/envelopes").status_code for _ in range(20)]

    first = pattern()
    assert set(first) == {200, 503}
    assert pattern() == first


def test_it_matches_faults_by_method_and_path(emu, api):
    emu.control.add_fault("status", method="POST", path=ENVELOPES, status=500, count=None)
    assert api.get("/envelopes").status_code == 200
    envelope = api.post("/envelopes", json=BODY)
    assert envelope.status_code == 500
    scenario_fault = emu.control.add_fault("status", path="/documents$", status=504)
    assert scenario_fault["path"] == "/documents$"
    emu.control.clear_faults()
    assert emu.control.faults() == []
    assert api.post("/envelopes", json=BODY).status_code == 201


def test_it_injects_faults_on_downloads(emu, api):
    scenario = build_envelope(api)
    doc = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}").json()
    url = doc["data"]["links"]["files"]["original"]
    emu.control.add_fault("status", path="^/__files/", status=403, body="AccessDenied")
    assert httpx.get(url).status_code == 403
    assert httpx.get(url).status_code == 200


def test_it_logs_requests_without_the_access_token(emu, api):
    create_envelope(api)
    httpx.get(
        f"{emu.api_url}/envelopes",
        params={"access_token": emu.token, "filter[status]": "draft"},
    )
    log = emu.control.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/api/v3/envelopes", 201),
        ("GET", "/api/v3/envelopes", 200),
    ]
    assert log[1]["query"] == "filter%5Bstatus%5D=draft"
    assert log[0]["account_key"] == emu.account_key
    assert log[0]["fault"] is None
    emu.control.clear_requests()
    assert emu.control.requests() == []


def test_it_rejects_malformed_fault_specs(emu):
    from clicksign_emulator import ControlError

    for spec in ({"kind": "explode"}, {"kind": "status"}, {"kind": "drop", "path": "("}):
        with pytest.raises(ControlError) as error:
            emu.control.add_fault(**spec)
        assert error.value.status == 400


def test_it_serves_concurrent_clients_consistently(emu, api):
    from concurrent.futures import ThreadPoolExecutor

    def create(index):
        with emu.api() as client:
            return client.post(
                "/envelopes",
                json={"data": {"type": "envelopes", "attributes": {"name": f"Lote {index}"}}},
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(create, range(24)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["id"] for r in responses}) == 24
    assert envelope_count(api) == 24
