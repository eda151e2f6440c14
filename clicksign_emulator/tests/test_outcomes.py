"""Refusal, cancellation, deadline, manual close and signing order: statuses and events."""

import io
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from clicksign_emulator import ControlError

from .conftest import activate, build_envelope, notify

TWO_SIGNERS: list[dict[str, Any]] = [
    {"name": "Ana Lima", "email": "ana@example.com", "refusable": True},
    {"name": "Bruno Costa", "email": "bruno@example.com"},
]


def statuses(api, scenario):
    envelope = api.get(f"/envelopes/{scenario.envelope_id}").json()["data"]["attributes"]["status"]
    documents = [
        d["attributes"]["status"]
        for d in api.get(f"/envelopes/{scenario.envelope_id}/documents").json()["data"]
    ]
    return envelope, documents


def event_names(api, scenario, document_index=0):
    document_id = scenario.documents[document_index]["id"]
    events = api.get(f"/envelopes/{scenario.envelope_id}/documents/{document_id}/events").json()
    return [e["attributes"]["name"] for e in events["data"]]


def cancel(api, scenario, document_id):
    return api.patch(
        f"/envelopes/{scenario.envelope_id}/documents/{document_id}",
        json={
            "data": {"id": document_id, "type": "documents", "attributes": {"status": "canceled"}}
        },
    )


# ---------------------------------------------------------------------- refusal


def test_it_records_a_refusal_and_keeps_the_document_running(emu, api, receiver):
    from .conftest import register_webhook

    register_webhook(api, receiver.url, events=["refusal"])
    scenario = build_envelope(api, signers=TWO_SIGNERS)
    emu.control.refuse(scenario.signer_id(0), ["Conteúdo do documento"], "Valor errado")
    assert statuses(api, scenario) == ("running", ["running"])
    events = api.get(
        f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}/events",
        params={"filter[name]": "refusal"},
    ).json()["data"]
    assert events[0]["attributes"]["data"] == {
        "signer": {
            "key": scenario.signer_id(0),
            "email": "ana@example.com",
            "name": "Ana Lima",
            "documentation": None,
            "sign_as": ["sign"],
        },
        "refusal": {"reasons": ["Conteúdo do documento"], "comment": "Valor errado"},
        "account": {"key": emu.account_key},
    }
    # without block_after_refusal the others may still sign, but the document never auto-closes
    emu.control.sign(scenario.signer_id(1))
    assert statuses(api, scenario) == ("running", ["running"])
    attempts = emu.control.flush_deliveries()
    assert [a["event"] for a in attempts] == ["refusal"]
    assert receiver.received[0].json()["event"]["data"]["refusal"]["comment"] == "Valor errado"
    assert cancel(api, scenario, scenario.document_id).status_code == 200
    assert statuses(api, scenario) == ("canceled", ["canceled"])


def test_it_blocks_the_document_after_a_refusal_when_asked(emu, api):
    scenario = build_envelope(
        api, signers=TWO_SIGNERS, envelope_attrs={"block_after_refusal": True}
    )
    emu.control.refuse(scenario.signer_id(0), ["Outro"], "Não concordo")
    with pytest.raises(ControlError) as error:
        emu.control.sign(scenario.signer_id(1))
    assert (error.value.status, error.value.code) == (409, "document_blocked")
    page = httpx.get(f"{emu.base_url}/sign/{scenario.signer_id(1)}")
    assert "bloqueado após uma recusa" in page.text
    assert statuses(api, scenario) == ("running", ["running"])


def test_it_refuses_through_the_html_page(emu, api):
    scenario = build_envelope(api, signers=TWO_SIGNERS)
    url = f"{emu.base_url}/sign/{scenario.signer_id(0)}"
    assert "Recusar" in httpx.get(url).text
    posted = httpx.post(
        url,
        data={
            "action": "refuse",
            "reasons": ["Dados pessoais incorretos"],
            "comment": "CPF errado",
        },
    )
    assert posted.status_code == 303
    dump = emu.control.envelope(scenario.envelope_id)
    refusal = dump["signers"][0]["refused"][scenario.document_id]
    assert refusal["reasons"] == ["Dados pessoais incorretos"]
    assert refusal["comment"] == "CPF errado"


def test_it_does_not_let_a_non_refusable_signer_refuse(emu, api):
    scenario = build_envelope(api, signers=TWO_SIGNERS)
    with pytest.raises(ControlError) as error:
        emu.control.refuse(scenario.signer_id(1), ["Outro"], "x")
    assert (error.value.status, error.value.code) == (409, "not_refusable")
    assert "Recusar" not in httpx.get(f"{emu.base_url}/sign/{scenario.signer_id(1)}").text


# ---------------------------------------------------------------------- cancellation


def test_it_cancels_the_envelope_when_every_document_is_canceled(emu, api, receiver):
    from .conftest import register_webhook

    register_webhook(api, receiver.url, events=["cancel"])
    scenario = build_envelope(api, documents=2)
    first, second = (d["id"] for d in scenario.documents)
    response = cancel(api, scenario, first)
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["status"] == "canceled"
    assert statuses(api, scenario) == ("running", ["canceled", "running"])
    cancel(api, scenario, second)
    assert statuses(api, scenario) == ("canceled", ["canceled", "canceled"])
    emu.control.flush_deliveries()
    assert receiver.events() == ["cancel", "cancel"]
    assert receiver.received[0].json()["document"]["status"] == "canceled"
    assert (
        receiver.received[0].json()["event"]["data"]["user"]["email"] == "api@demo.chancela.local"
    )


def test_it_closes_the_envelope_when_documents_end_closed_or_canceled(emu, api):
    scenario = build_envelope(api, documents=2)
    first, second = (d["id"] for d in scenario.documents)
    emu.control.sign(scenario.signer_id(), document_ids=[first])
    assert statuses(api, scenario) == ("running", ["closed", "running"])
    cancel(api, scenario, second)
    assert statuses(api, scenario) == ("closed", ["closed", "canceled"])


def test_it_cannot_cancel_a_closed_document(emu, api):
    scenario = build_envelope(api)
    emu.control.sign(scenario.signer_id())
    response = cancel(api, scenario, scenario.document_id)
    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"] == "status - documento não pode ser cancelado"


# ---------------------------------------------------------------------- manual close


def test_it_waits_for_a_manual_close_when_auto_close_is_off(emu, api):
    scenario = build_envelope(api, envelope_attrs={"auto_close": False})
    emu.control.sign(scenario.signer_id())
    assert statuses(api, scenario) == ("running", ["running"])
    response = api.patch(
        f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}",
        json={"data": {"type": "documents", "attributes": {"status": "closed"}}},
    )
    assert response.status_code == 200
    assert statuses(api, scenario) == ("closed", ["closed"])
    assert event_names(api, scenario)[-3:] == ["sign", "close", "document_closed"]


def test_it_delays_the_signed_file_when_configured(emu, api):
    emu.control.settings(signed_file_delay_seconds=5)
    scenario = build_envelope(api)
    emu.control.sign(scenario.signer_id())
    doc = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}").json()
    assert doc["data"]["attributes"]["status"] == "closed"
    assert set(doc["data"]["links"]["files"]) == {"original"}
    assert event_names(api, scenario)[-1] == "auto_close"
    emu.control.advance(5)
    doc = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}").json()
    assert set(doc["data"]["links"]["files"]) == {"original", "signed", "ziped"}
    assert event_names(api, scenario)[-1] == "document_closed"


# ---------------------------------------------------------------------- deadline


def advance_past_deadline(emu, api, scenario):
    envelope = api.get(f"/envelopes/{scenario.envelope_id}").json()["data"]["attributes"]
    now = datetime.fromisoformat(emu.control.clock()["now"])
    deadline = datetime.fromisoformat(envelope["deadline_at"])
    emu.control.advance((deadline - now).total_seconds() + 1)


def test_it_cancels_at_the_deadline_without_signatures(emu, api, receiver):
    from .conftest import register_webhook

    register_webhook(api, receiver.url, events=["deadline", "cancel", "document_closed"])
    scenario = build_envelope(api)
    advance_past_deadline(emu, api, scenario)
    assert statuses(api, scenario) == ("canceled", ["canceled"])
    assert event_names(api, scenario)[-1] == "deadline"
    emu.control.flush_deliveries()
    assert receiver.events() == ["deadline"]
    payload = receiver.received[0].json()
    assert payload["document"]["status"] == "canceled"
    assert (
        payload["event"]["data"]["reached_at"]
        == api.get(f"/envelopes/{scenario.envelope_id}").json()["data"]["attributes"]["deadline_at"]
    )


def test_it_closes_at_the_deadline_with_partial_signatures(emu, api):
    scenario = build_envelope(api, signers=TWO_SIGNERS)
    emu.control.sign(scenario.signer_id(0))
    advance_past_deadline(emu, api, scenario)
    assert statuses(api, scenario) == ("closed", ["closed"])
    assert event_names(api, scenario)[-2:] == ["deadline", "document_closed"]
    doc = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}").json()
    signed = httpx.get(doc["data"]["links"]["files"]["signed"]).content
    text = PdfReader(io.BytesIO(signed)).pages[-1].extract_text()
    assert "Não assinou." in text and "Ana Lima" in text


def test_it_cancels_at_the_deadline_when_partial_action_is_canceled(emu, api):
    scenario = build_envelope(
        api,
        signers=TWO_SIGNERS,
        envelope_attrs={"deadline_partial_signature_action": "canceled"},
    )
    emu.control.sign(scenario.signer_id(0))
    advance_past_deadline(emu, api, scenario)
    assert statuses(api, scenario) == ("canceled", ["canceled"])


def test_it_leaves_drafts_alone_at_the_deadline_but_refuses_to_activate_them(emu, api):
    scenario = build_envelope(api, activate_it=False)
    advance_past_deadline(emu, api, scenario)
    assert statuses(api, scenario) == ("draft", ["draft"])
    response = activate(api, scenario.envelope_id)
    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"].startswith(
        "deadline_at - deve ser maior ou igual"
    )


def test_it_reports_the_deadline_default_of_30_days(emu, api):
    scenario = build_envelope(api, activate_it=False)
    attributes = scenario.envelope["attributes"]
    created = datetime.fromisoformat(attributes["created"])
    assert datetime.fromisoformat(attributes["deadline_at"]) - created == timedelta(days=30)
    assert attributes["deadline_partial_signature_action"] == "closed"


# ---------------------------------------------------------------------- signing order


GROUPS: list[dict[str, Any]] = [
    {"name": "Ana Lima", "email": "ana@example.com", "group": 1},
    {"name": "Bruno Costa", "email": "bruno@example.com", "group": 2},
]


def test_it_enforces_the_signing_order_by_group(emu, api):
    scenario = build_envelope(api, signers=GROUPS)
    with pytest.raises(ControlError) as error:
        emu.control.sign(scenario.signer_id(1))
    assert (error.value.status, error.value.code) == (409, "waiting_previous_group")
    page = httpx.get(f"{emu.base_url}/sign/{scenario.signer_id(1)}")
    assert "Aguardando a assinatura do grupo anterior" in page.text
    assert (
        httpx.post(
            f"{emu.base_url}/sign/{scenario.signer_id(1)}", data={"action": "sign"}
        ).status_code
        == 409
    )


def test_it_notifies_only_the_current_group_and_then_the_next_automatically(emu, api):
    scenario = build_envelope(api, signers=GROUPS)
    response = notify(api, scenario.envelope_id)
    assert response.json()["data"]["attributes"]["summary"] == [
        {"signer_id": scenario.signer_id(0), "notified": True},
        {"signer_id": scenario.signer_id(1), "notified": False},
    ]
    emu.control.sign(scenario.signer_id(0))
    mailbox = emu.control.notifications(envelope_id=scenario.envelope_id, kind="signature_request")
    assert [(n["signer_id"], n["trigger"]) for n in mailbox] == [
        (scenario.signer_id(0), "api"),
        (scenario.signer_id(1), "group_advance"),
    ]
    emu.control.sign(scenario.signer_id(1))
    assert statuses(api, scenario) == ("closed", ["closed"])


def test_it_cannot_sign_a_draft(emu, api):
    scenario = build_envelope(api, activate_it=False)
    with pytest.raises(ControlError) as error:
        emu.control.sign(scenario.signer_id())
    assert (error.value.status, error.value.code) == (409, "envelope_not_running")
    assert "ainda é um rascunho" in httpx.get(f"{emu.base_url}/sign/{scenario.signer_id()}").text
