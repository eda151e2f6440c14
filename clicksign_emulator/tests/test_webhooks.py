"""Webhook registry and deliveries: HMAC, subscriptions, retries, chaos settings."""

import hashlib
import hmac
import re
import time

from .conftest import build_envelope, register_webhook


def verify(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def sign_everything(emu, api, **kwargs):
    scenario = build_envelope(api, **kwargs)
    emu.control.sign(scenario.signer_id())
    return scenario


# ---------------------------------------------------------------------- registry


def test_it_creates_webhooks_with_a_32_hex_secret(api):
    created = register_webhook(api, "http://127.0.0.1:9/a")
    attributes = created["attributes"]
    assert re.fullmatch(r"[0-9a-f]{32}", attributes["secret"])
    assert attributes["status"] == "active"
    listed = api.get("/webhooks").json()
    assert listed["meta"] == {"record_count": 1}
    assert listed["data"][0]["attributes"]["secret"] == attributes["secret"]
    fetched = api.get(f"/webhooks/{created['id']}").json()["data"]
    assert fetched == listed["data"][0]


def test_it_keeps_the_secret_when_a_webhook_is_patched(api):
    created = register_webhook(api, "http://127.0.0.1:9/a")
    response = api.patch(
        f"/webhooks/{created['id']}",
        json={
            "data": {"type": "webhooks", "attributes": {"events": ["sign"], "status": "inactive"}}
        },
    )
    assert response.status_code == 200
    attributes = response.json()["data"]["attributes"]
    assert attributes["events"] == ["sign"]
    assert attributes["status"] == "inactive"
    assert attributes["endpoint"] == "http://127.0.0.1:9/a"
    assert attributes["secret"] == created["attributes"]["secret"]


def test_it_deletes_webhooks(api):
    created = register_webhook(api, "http://127.0.0.1:9/a")
    assert api.delete(f"/webhooks/{created['id']}").status_code == 204
    assert api.get(f"/webhooks/{created['id']}").status_code == 404


# ---------------------------------------------------------------------- deliveries


def test_it_signs_deliveries_with_hmac_sha256_of_the_raw_body(emu, api, receiver):
    secret = register_webhook(api, receiver.url)["attributes"]["secret"]
    sign_everything(emu, api)
    emu.control.flush_deliveries()
    assert receiver.received
    for delivery in receiver.received:
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.headers["event"] == delivery.json()["event"]["name"]
        header = delivery.headers["content-hmac"]
        assert (
            header
            == "sha256=" + hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
        )
        flipped = bytearray(delivery.body)
        flipped[10] ^= 0x01
        assert not verify(secret, bytes(flipped), header)


def test_it_only_sends_subscribed_events_to_active_webhooks(emu, api, receiver):
    register_webhook(api, receiver.url + "?only-sign", events=["sign"])
    register_webhook(api, receiver.url + "?closing", events=["auto_close", "document_closed"])
    inactive = register_webhook(api, receiver.url + "?inactive", events=["sign"])
    api.patch(
        f"/webhooks/{inactive['id']}",
        json={"data": {"type": "webhooks", "attributes": {"status": "inactive"}}},
    )
    sign_everything(emu, api)
    emu.control.flush_deliveries()
    by_path: dict[str, list[str]] = {}
    for delivery in receiver.received:
        by_path.setdefault(delivery.path, []).append(delivery.headers["event"])
    assert by_path == {
        "/hook?only-sign": ["sign"],
        "/hook?closing": ["auto_close", "document_closed"],
    }


def test_it_emits_nothing_for_drafts(emu, api, receiver):
    register_webhook(api, receiver.url)
    scenario = build_envelope(api, activate_it=False)
    assert emu.control.flush_deliveries() == []
    assert emu.control.delivery_state()["pending"] == 0
    events = api.get(f"/envelopes/{scenario.envelope_id}/events").json()["data"]
    assert [e["attributes"]["name"] for e in events] == [
        "upload",
        "update_block_after_refusal",
        "add_signer",
    ]
    assert receiver.received == []


def test_it_sends_the_legacy_document_shape(emu, api, receiver):
    register_webhook(api, receiver.url, events=["add_signer", "sign"])
    scenario = build_envelope(api, metadata={"envelope_ref": "E-1"})
    emu.control.sign(scenario.signer_id())
    emu.control.flush_deliveries()
    add_signer, sign = (r.json() for r in receiver.received)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-03:00", add_signer["event"]["occurred_at"]
    )
    assert isinstance(add_signer["event"]["data"]["signers"], list)
    assert add_signer["event"]["data"]["signers"][0]["key"] == scenario.signer_id()
    assert add_signer["event"]["data"]["signers"][0]["auths"] == ["email"]  # as activated
    assert add_signer["event"]["data"]["user"] == {
        "email": "api@demo.chancela.local",
        "name": "Demo Chancela (sandbox)",
    }
    document = sign["document"]
    assert document["key"] == scenario.document_id
    assert document["account_key"] == emu.account_key
    assert document["metadata"] == {"envelope_ref": "E-1"}
    assert document["status"] == "running"
    assert [e["name"] for e in document["events"]] == [
        "sign",
        "signature_started",
        "add_signer",
        "update_block_after_refusal",
        "upload",
    ]
    assert document["events"][0]["occurred_at"].endswith("Z")
    assert document["signers"][0]["key"] == scenario.signer_id()
    assert document["signers"][0]["sign_as"] == "sign"
    assert set(document["downloads"]) == {"original_file_url"}
    assert sign["event"]["data"]["signer"]["key"] == scenario.signer_id()
    assert "envelope" not in sign and scenario.envelope_id not in receiver.received[1].body.decode()


def test_it_keeps_the_creation_metadata_in_webhooks(emu, api, receiver):
    register_webhook(api, receiver.url, events=["sign"])
    scenario = build_envelope(api, metadata={"ref": "original"})
    api.patch(
        f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}",
        json={"data": {"type": "documents", "attributes": {"metadata": {"ref": "changed"}}}},
    )
    doc = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}").json()
    assert doc["data"]["attributes"]["metadata"] == {"ref": "changed"}
    emu.control.sign(scenario.signer_id())
    emu.control.flush_deliveries()
    assert receiver.received[0].json()["document"]["metadata"] == {"ref": "original"}


def test_it_retries_after_a_500(emu, api, receiver):
    register_webhook(api, receiver.url, events=["sign"])
    receiver.statuses = [500]
    sign_everything(emu, api)
    first = emu.control.flush_deliveries()
    assert [(a["attempt"], a["status_code"], a["success"]) for a in first] == [(1, 500, False)]
    assert first[0]["next_attempt_at"] is not None
    assert emu.control.flush_deliveries(due_only=True) == []  # backoff not elapsed
    emu.control.advance(10)
    second = emu.control.flush_deliveries(due_only=True)
    assert [(a["attempt"], a["status_code"], a["success"]) for a in second] == [(2, 200, True)]
    assert first[0]["body_sha256"] == second[0]["body_sha256"]
    assert receiver.received[0].body == receiver.received[1].body


def test_it_treats_a_redirect_as_a_failure_and_never_follows_it(emu, api, receiver):
    register_webhook(api, receiver.url, events=["sign"])
    receiver.statuses = [301]
    receiver.redirect_to = receiver.url.replace("/hook", "/moved")
    sign_everything(emu, api)
    attempts = emu.control.flush_deliveries()
    assert [(a["status_code"], a["success"]) for a in attempts] == [(301, False)]
    attempts = emu.control.flush_deliveries()
    assert [(a["status_code"], a["success"]) for a in attempts] == [(200, True)]
    assert [r.path for r in receiver.received] == ["/hook", "/hook"]


def test_it_gives_up_after_max_attempts(emu, api, receiver):
    emu.control.webhook_settings(max_attempts=3, retry_backoff_seconds=0)
    register_webhook(api, receiver.url, events=["sign"])
    receiver.statuses = [500, 500, 500, 500]
    sign_everything(emu, api)
    for _ in range(4):
        emu.control.flush_deliveries()
    state = emu.control.delivery_state()
    assert [a["attempt"] for a in state["attempts"]] == [1, 2, 3]
    assert state["deliveries"][0]["status"] == "failed"
    assert state["pending"] == 0


def test_it_duplicates_deliveries_when_asked(emu, api, receiver):
    emu.control.webhook_settings(duplicate_probability=1.0)
    register_webhook(api, receiver.url, events=["sign"])
    sign_everything(emu, api)
    attempts = emu.control.flush_deliveries()
    assert [a["duplicate"] for a in attempts] == [False, True]
    assert receiver.received[0].body == receiver.received[1].body


def test_it_reorders_a_pending_batch_deterministically(emu, api, receiver):
    natural_order = ["signature_started", "sign", "auto_close", "document_closed"]
    register_webhook(api, receiver.url, events=natural_order)

    def run(reorder):
        emu.control.reset()
        emu.control.webhook_settings(mode="manual", reorder=reorder, seed=7)
        register_webhook(api, receiver.url, events=natural_order)
        sign_everything(emu, api)
        return [a["event"] for a in emu.control.flush_deliveries()]

    assert run(False) == natural_order
    shuffled = run(True)
    assert sorted(shuffled) == sorted(natural_order)
    assert shuffled != natural_order
    assert run(True) == shuffled


def test_it_sends_wrong_signatures_when_asked(emu, api, receiver):
    emu.control.webhook_settings(wrong_signature_probability=1.0)
    secret = register_webhook(api, receiver.url, events=["sign"])["attributes"]["secret"]
    sign_everything(emu, api)
    attempts = emu.control.flush_deliveries()
    assert attempts[0]["wrong_signature"] is True
    delivery = receiver.received[0]
    assert not verify(secret, delivery.body, delivery.headers["content-hmac"])


def test_it_fails_first_attempts_when_asked(emu, api, receiver):
    emu.control.webhook_settings(first_attempt_failure_probability=1.0)
    register_webhook(api, receiver.url, events=["sign"])
    sign_everything(emu, api)
    first = emu.control.flush_deliveries()
    assert [(a["simulated_failure"], a["success"]) for a in first] == [(True, False)]
    second = emu.control.flush_deliveries()
    assert [(a["attempt"], a["success"]) for a in second] == [(2, True)]
    assert len(receiver.received) == 2  # the receiver saw both: a duplicate from its side


def test_it_drops_everything_when_disabled(emu, api, receiver):
    emu.control.webhook_settings(enabled=False)
    register_webhook(api, receiver.url)
    sign_everything(emu, api)
    assert emu.control.flush_deliveries() == []


def test_it_delivers_in_the_background_in_automatic_mode(emu, api, receiver):
    emu.control.webhook_settings(mode="automatic")
    register_webhook(api, receiver.url, events=["sign", "document_closed"])
    sign_everything(emu, api)
    received = receiver.wait_for(2)
    assert [r.headers["event"] for r in received] == ["sign", "document_closed"]


def test_it_delays_background_deliveries_on_the_emulator_clock(emu, api, receiver):
    emu.control.webhook_settings(mode="automatic", delay_seconds=60)
    register_webhook(api, receiver.url, events=["sign"])
    sign_everything(emu, api)
    assert receiver.wait_for(1, timeout=0.5) == []
    emu.control.advance(60)
    assert [r.headers["event"] for r in receiver.wait_for(1)] == ["sign"]


def test_it_retries_in_the_background_after_the_backoff(emu, api, receiver):
    emu.control.webhook_settings(mode="automatic", retry_backoff_seconds=30)
    register_webhook(api, receiver.url, events=["sign"])
    receiver.statuses = [503]
    sign_everything(emu, api)
    assert len(receiver.wait_for(1)) == 1
    assert len(receiver.wait_for(2, timeout=0.5)) == 1
    emu.control.advance(30)
    assert len(receiver.wait_for(2)) == 2
    deadline = time.monotonic() + 5
    while len(attempts := emu.control.deliveries()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the attempt is recorded right after the receiver answers
    assert [(a["attempt"], a["status_code"]) for a in attempts] == [(1, 503), (2, 200)]


def test_it_announces_a_signer_added_in_bulk_with_its_final_auths(emu, api, receiver):
    from .conftest import add_signer, relationships

    register_webhook(api, receiver.url, events=["add_signer"])
    scenario = build_envelope(api)
    emu.control.flush_deliveries()
    receiver.received.clear()
    late = add_signer(api, scenario.envelope_id, name="Carlos Dias", email="carlos@example.com")
    operations = [
        {
            "op": "add",
            "data": {
                "type": "requirements",
                "attributes": attrs,
                "relationships": relationships(scenario.document_id, late["id"]),
            },
        }
        for attrs in (
            {"action": "agree", "role": "witness"},
            {"action": "provide_evidence", "auth": "selfie"},
        )
    ]
    response = api.post(
        f"/envelopes/{scenario.envelope_id}/bulk_requirements",
        json={"atomic:operations": operations},
    )
    assert response.status_code == 200
    emu.control.flush_deliveries()
    [delivery] = receiver.received
    [entry] = delivery.json()["event"]["data"]["signers"]
    assert (entry["key"], entry["sign_as"], entry["auths"]) == (late["id"], "witness", ["selfie"])
