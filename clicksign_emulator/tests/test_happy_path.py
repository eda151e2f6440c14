"""The whole saga as Chancela runs it, plus a person signing through the HTML page."""

import hashlib
import io
import re
import zipfile

import httpx
from pypdf import PdfReader

from clicksign_emulator import blank_pdf

from .conftest import (
    activate,
    add_document,
    add_signer,
    fixture_json,
    notify,
    post_requirement,
    register_webhook,
    relationships,
)


def test_it_runs_the_full_signing_saga(emu, api, receiver):
    webhook = register_webhook(api, receiver.url)
    original = blank_pdf(pages=2, text="Contrato de matrícula 2027")
    original_sha = hashlib.sha256(original).hexdigest()

    # draft: envelope, document, two signers
    envelope = api.post("/envelopes", json=fixture_json("requests/envelope.json"))
    assert envelope.status_code == 201
    envelope_id = envelope.json()["data"]["id"]
    document = add_document(
        api, envelope_id, content=original, metadata={"chancela_request": "req-123"}
    )
    document_id = document["id"]
    assert set(document["links"]["files"]) == {"original"}
    maria = add_signer(api, envelope_id, name="Maria da Silva", email="maria@example.com")
    joao = add_signer(api, envelope_id, name="João Souza", email="joao@example.com")

    # requirements: Maria one by one, João in bulk
    for attrs in (
        {"action": "agree", "role": "contractor"},
        {"action": "provide_evidence", "auth": "email"},
    ):
        assert (
            post_requirement(api, envelope_id, document_id, maria["id"], **attrs).status_code == 201
        )
    bulk = api.post(
        f"/envelopes/{envelope_id}/bulk_requirements",
        json={
            "atomic:operations": [
                {
                    "op": "add",
                    "data": {
                        "type": "requirements",
                        "attributes": attrs,
                        "relationships": relationships(document_id, joao["id"]),
                    },
                }
                for attrs in (
                    {"action": "agree", "role": "contractee"},
                    {"action": "provide_evidence", "auth": "email"},
                )
            ]
        },
    )
    assert bulk.status_code == 200
    assert len(bulk.json()["atomic:results"]) == 2

    # drafts emit no webhooks
    assert emu.control.flush_deliveries() == []

    # activation: running, nobody notified, retroactive events delivered
    activated = activate(api, envelope_id)
    assert activated.status_code == 200
    assert activated.json()["data"]["attributes"]["status"] == "running"
    assert emu.control.notifications(envelope_id=envelope_id) == []
    attempts = emu.control.flush_deliveries()
    # (update_block_after_refusal is recorded but the webhook does not subscribe to it)
    assert [a["event"] for a in attempts] == ["upload", "add_signer", "add_signer"]
    assert all(a["status_code"] == 200 and a["success"] for a in attempts)

    # notify: both signers get a signature request in the mailbox
    notified = notify(api, envelope_id, message="Por favor, assine.")
    assert notified.status_code == 201
    assert notified.json()["data"]["attributes"]["summary"] == [
        {"signer_id": maria["id"], "notified": True},
        {"signer_id": joao["id"], "notified": True},
    ]
    mailbox = emu.control.notifications(envelope_id=envelope_id)
    assert [(n["to"], n["channel"], n["message"]) for n in mailbox] == [
        ("maria@example.com", "email", "Por favor, assine."),
        ("joao@example.com", "email", "Por favor, assine."),
    ]
    home = httpx.get(emu.base_url + "/")
    assert home.status_code == 200
    assert 'lang="pt-BR"' in home.text
    assert f"/sign/{joao['id']}" in home.text and "Por favor, assine." in home.text

    # Maria signs through the control API
    emu.control.sign(maria["id"])
    doc = api.get(f"/envelopes/{envelope_id}/documents/{document_id}").json()["data"]
    assert doc["attributes"]["status"] == "running"

    # João signs through the HTML page with a form POST
    page = httpx.get(mailbox[1]["signing_url"])
    assert page.status_code == 200
    assert "contrato" in page.text.lower() and "João Souza" in page.text
    assert "Assinar" in page.text and "Visualizar original" in page.text
    view = re.search(r'href="(/sign/[^"]+/documents/[^"]+)"', page.text)
    assert view is not None
    assert httpx.get(emu.base_url + view.group(1)).content == original
    posted = httpx.post(mailbox[1]["signing_url"], data={"action": "sign"})
    assert posted.status_code == 303
    after = httpx.get(emu.base_url + posted.headers["location"])
    assert "Assinatura registrada" in after.text

    # the document and the envelope are closed
    doc = api.get(f"/envelopes/{envelope_id}/documents/{document_id}").json()["data"]
    assert doc["attributes"]["status"] == "closed"
    env = api.get(f"/envelopes/{envelope_id}").json()["data"]
    assert env["attributes"]["status"] == "closed"
    names = [
        e["attributes"]["name"]
        for e in api.get(f"/envelopes/{envelope_id}/documents/{document_id}/events").json()["data"]
    ]
    assert names == [
        "upload",
        "update_block_after_refusal",
        "add_signer",
        "add_signer",
        "signature_started",
        "sign",
        "signature_started",
        "sign",
        "auto_close",
        "document_closed",
    ]

    # the signed PDF: original pages + a log page with the original's SHA-256
    files = doc["links"]["files"]
    assert set(files) == {"original", "signed", "ziped"}
    signed = httpx.get(files["signed"])
    assert signed.status_code == 200
    assert signed.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(signed.content))
    assert len(reader.pages) == 2 + 1
    log_text = reader.pages[-1].extract_text()
    assert original_sha in log_text
    assert "Maria da Silva" in log_text and "João Souza" in log_text
    assert "Registro de assinaturas" in log_text
    zipped = zipfile.ZipFile(io.BytesIO(httpx.get(files["ziped"]).content))
    assert sorted(zipped.namelist()) == ["contrato - assinado.pdf", "contrato.pdf"]
    assert zipped.read("contrato.pdf") == original

    # S3-like URLs: no Authorization header, 5-minute life
    refused = httpx.get(files["signed"], headers={"Authorization": emu.token})
    assert refused.status_code == 400
    assert "<Code>InvalidArgument</Code>" in refused.text
    emu.control.advance(301)
    expired = httpx.get(files["signed"])
    assert expired.status_code == 403
    assert "Request has expired" in expired.text
    fresh = api.get(f"/envelopes/{envelope_id}/documents/{document_id}").json()["data"]
    assert httpx.get(fresh["links"]["files"]["signed"]).content == signed.content

    # webhooks for the signing part, with the legacy document shape
    attempts = emu.control.flush_deliveries()
    assert [a["event"] for a in attempts] == [
        "signature_started",
        "sign",
        "signature_started",
        "sign",
        "auto_close",
        "document_closed",
    ]
    closed = receiver.received[-1]
    assert closed.headers["event"] == "document_closed"
    payload = closed.json()
    assert payload["event"]["name"] == "document_closed"
    assert payload["document"]["key"] == document_id
    assert payload["document"]["metadata"] == {"chancela_request": "req-123"}
    assert payload["document"]["status"] == "closed"
    assert payload["document"]["events"][0]["name"] == "document_closed"
    assert len(payload["document"]["events"]) == 10
    assert set(payload["document"]["downloads"]) == {
        "original_file_url",
        "signed_file_url",
        "ziped_file_url",
    }
    assert envelope_id not in closed.body.decode()
    assert webhook["attributes"]["secret"]


def test_it_serves_the_zip_with_original_and_signed_files(emu, api):
    from .conftest import build_envelope

    scenario = build_envelope(api)
    emu.control.sign(scenario.signer_id())
    doc = api.get(f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}").json()
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(doc["data"]["links"]["files"]["ziped"]).content))
    assert sorted(archive.namelist()) == ["documento-1 - assinado.pdf", "documento-1.pdf"]


def test_it_describes_the_signer_in_the_sign_event(emu, api):
    from .conftest import build_envelope

    scenario = build_envelope(
        api,
        signers=[
            {
                "name": "Maria da Silva",
                "email": "maria@example.com",
                "documentation": "529.982.247-25",
                "birthday": "1983-03-31",
            }
        ],
    )
    emu.control.sign(scenario.signer_id())
    events = api.get(
        f"/envelopes/{scenario.envelope_id}/documents/{scenario.document_id}/events",
        params={"filter[name]": "sign"},
    ).json()["data"]
    assert len(events) == 1
    data = events[0]["attributes"]["data"]
    signer = data["signer"]
    assert signer["key"] == scenario.signer_id()
    assert signer["email"] == "maria@example.com"
    assert signer["name"] == "Maria da Silva"
    assert signer["sign_as"] == "sign"
    assert signer["auths"] == ["email"]
    assert signer["documentation"] == "529.982.247-25"
    assert signer["address"] == "127.0.0.1"
    assert signer["url"].endswith(f"/notarial/widget/signatures/{scenario.signer_id()}/redirect")
    assert {"selfie_enabled", "handwritten_enabled", "official_document_enabled"} <= set(signer)
    assert data["account"]["key"] == emu.account_key
    assert data["secret_hmac"] is None
