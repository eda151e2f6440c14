"""End-to-end scenarios through the client only, over real HTTP.

Each test runs against the emulator (always, in CI) and against the real Clicksign sandbox when
``CLICKSIGN_SANDBOX_TOKEN`` is set (``CLICKSIGN_SANDBOX_URL`` overrides the host). Steps that need
a person at the real sandbox — signing, refusing — and the deadline (which needs the emulator's
clock) run only against the emulator; on the sandbox those tests stop there, clean up, and are
reported as skipped with the reason.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.errors import ClicksignNotFoundError, ClicksignPermanentError
from chancela.esign.clients import client_for_config
from chancela.testing.clicksign import make_envelope
from clicksign_emulator import ControlClient

pytestmark = pytest.mark.django_db

SANDBOX_TOKEN = os.environ.get("CLICKSIGN_SANDBOX_TOKEN", "")
SANDBOX_URL = os.environ.get("CLICKSIGN_SANDBOX_URL", "https://sandbox.clicksign.com")
HUMAN_NEEDED = (
    "this step needs a person at the real Clicksign sandbox (signing/refusing/waiting for a "
    "deadline); it runs only against the emulator"
)


@dataclass
class Target:
    name: str
    client: ClicksignClient
    control: ControlClient | None  # None on the real sandbox

    def emulator_only(self, cleanup: list[tuple[str, str]] | None = None) -> ControlClient:
        """The emulator's control API; on the real sandbox, clean up and skip the rest."""
        if self.control is None:
            for envelope_id, document_id in cleanup or []:
                self.client.document_cancel(envelope_id, document_id)
            pytest.skip(HUMAN_NEEDED)
        return self.control


@pytest.fixture(params=["emulator", pytest.param("sandbox", marks=pytest.mark.sandbox)])
def target(request, settings) -> Iterator[Target]:
    if request.param == "emulator":
        config = request.getfixturevalue("emulated_config")
        emulator = request.getfixturevalue("clicksign_emulator")
        with client_for_config(config) as client:
            yield Target("emulator", client, emulator.control)
        return
    if not SANDBOX_TOKEN:
        pytest.skip(
            "CLICKSIGN_SANDBOX_TOKEN is not set: this scenario ran against the emulator only"
        )
    with ClicksignClient(base_url=SANDBOX_URL, token=SANDBOX_TOKEN, environment="sandbox") as c:
        yield Target("sandbox", c, None)
    # The limiter's rows roll back with the test; give the real account a fresh window.
    time.sleep(10)


def _envelope_name() -> str:
    return f"Chancela teste {uuid.uuid4()}"


def _build(target: Target, *, signers: int = 1, refusable: bool = False, deadline_days: int = 7):
    built = make_envelope(
        target.client,
        signers=signers,
        refusable=refusable,
        deadline_at=timezone.now() + timedelta(days=deadline_days),
    )
    assert len(target.client.requirements_list(built.envelope.id)) == 2 * signers
    return built.envelope, built.document, built.signers


def test_it_runs_an_envelope_from_creation_to_the_signed_pdf(target):
    client = target.client
    envelope, document, (signer,) = _build(target)
    assert envelope.status == "draft"
    assert document.status == "draft" and document.files.original
    assert [s.id for s in client.signers_list(envelope.id)] == [signer.id]
    requirements = client.requirements_list(envelope.id).items
    assert {(r.action, r.role or r.auth) for r in requirements} == {
        ("agree", "sign"),
        ("provide_evidence", "email"),
    }
    assert {r.signer_id for r in requirements} == {signer.id}

    running = client.envelope_activate(envelope.id)
    assert running.status == "running"
    notification = client.notify_envelope(envelope.id, message="Por favor, assine.")
    assert [(r.signer_id, r.notified) for r in notification.summary] == [(signer.id, True)]

    control = target.emulator_only(cleanup=[(envelope.id, document.id)])
    control.sign(signer.id)

    assert client.envelope_get(envelope.id).status == "closed"
    closed = client.document_get(envelope.id, document.id)
    assert closed.status == "closed" and closed.files.signed
    signed = client.document_download(envelope.id, document.id)
    assert signed is not None and signed.is_pdf
    original = client.download(closed.files.original or "")
    assert original.is_pdf and original.sha256 != signed.sha256
    names = [e.name for e in client.document_events_list(envelope.id, document.id, page_size=50)]
    for expected in ("upload", "add_signer", "sign", "auto_close", "document_closed"):
        assert expected in names
    (sign_event,) = client.document_events_list(envelope.id, document.id, name="sign").items
    assert sign_event.data["signer"]["key"] == signer.id


def test_it_records_a_refusal(target):
    client = target.client
    envelope, document, (signer,) = _build(target, refusable=True)
    client.envelope_activate(envelope.id)
    client.notify_signer(envelope.id, signer.id)

    control = target.emulator_only(cleanup=[(envelope.id, document.id)])
    control.refuse(signer.id, reasons=["Dados pessoais incorretos"], comment="CPF errado")

    (refusal,) = client.document_events_list(envelope.id, document.id, name="refusal").items
    assert refusal.data["signer"]["key"] == signer.id
    assert refusal.data["refusal"]["reasons"] == ["Dados pessoais incorretos"]
    assert client.document_get(envelope.id, document.id).files.signed is None


def test_it_cancels_a_running_envelope_by_cancelling_its_documents(target):
    client = target.client
    envelope, document, _ = _build(target)
    client.envelope_activate(envelope.id)

    canceled = client.document_cancel(envelope.id, document.id)

    assert canceled.status == "canceled"
    assert client.envelope_get(envelope.id).status == "canceled"
    with pytest.raises(ClicksignPermanentError) as refused:
        client.document_cancel(envelope.id, document.id)
    assert refused.value.status == 422 and refused.value.field == "status"


def test_it_deletes_a_draft_and_then_cannot_find_it(target):
    client = target.client
    envelope = client.envelope_create(name=_envelope_name())

    client.envelope_delete(envelope.id)

    with pytest.raises(ClicksignNotFoundError) as missing:
        client.envelope_get(envelope.id)
    assert missing.value.status == 404 and envelope.id in missing.value.detail


def test_it_removes_a_signer_from_a_draft(target):
    client = target.client
    envelope, _, (first, second) = _build(target, signers=2)
    # Requirements go first; then the signer can leave the draft.
    ids = [r.id for r in client.requirements_list(envelope.id) if r.signer_id == second.id]
    client.requirement_delete(envelope.id, ids[0])
    client.requirements_bulk(envelope.id, remove=ids[1:])
    assert second.id not in {r.signer_id for r in client.requirements_list(envelope.id)}

    client.signer_delete(envelope.id, second.id)

    assert [s.id for s in client.signers_list(envelope.id)] == [first.id]
    client.envelope_delete(envelope.id)


def test_it_finishes_a_running_document_early_with_the_signatures_it_has(target):
    client = target.client
    envelope, document, (signer, other) = _build(target, signers=2)
    client.envelope_activate(envelope.id)
    control = target.emulator_only(cleanup=[(envelope.id, document.id)])
    control.sign(signer.id)

    closed = client.document_close(envelope.id, document.id)

    assert closed.status == "closed"
    assert client.envelope_get(envelope.id).status == "closed"
    names = [e.name for e in client.document_events_list(envelope.id, document.id, page_size=50)]
    assert "close" in names and "auto_close" not in names
    assert client.signer_get(envelope.id, other.id).name == "João Pereira Lima"


def test_it_finds_envelopes_by_name_and_pages_through_them(target):
    client = target.client
    name = _envelope_name()
    made = [client.envelope_create(name=name) for _ in range(3)]

    first = client.envelopes_list(name=name, status="draft", page_size=2)
    second = client.envelopes_list(name=name, status="draft", page=2, page_size=2)

    assert first.record_count == 3 and first.has_next and len(first) == 2
    assert not second.has_next and len(second) == 1
    assert {e.id for e in [*first, *second]} == {e.id for e in made}
    assert client.envelopes_list(name=name, status="running").record_count == 0
    for envelope in made:
        client.envelope_delete(envelope.id)


def test_it_expires_an_unsigned_envelope_at_its_deadline(target):
    client = target.client
    envelope, document, (signer, other) = _build(target, signers=2, deadline_days=1)
    client.envelope_activate(envelope.id)
    control = target.emulator_only(cleanup=[(envelope.id, document.id)])

    control.advance(2 * 86400)

    assert client.envelope_get(envelope.id).status == "canceled"
    names = [e.name for e in client.document_events_list(envelope.id, document.id, page_size=50)]
    assert "deadline" in names and "sign" not in names


def test_it_closes_a_partly_signed_envelope_at_its_deadline(target):
    client = target.client
    envelope, document, (signer, other) = _build(target, signers=2, deadline_days=1)
    client.envelope_activate(envelope.id)
    control = target.emulator_only(cleanup=[(envelope.id, document.id)])
    control.sign(signer.id)

    control.advance(2 * 86400)

    # "closed" does not mean everybody signed (deadline_partial_signature_action = closed).
    assert client.envelope_get(envelope.id).status == "closed"
    signers = {
        e.data["signer"]["key"]
        for e in client.document_events_list(envelope.id, document.id, name="sign")
    }
    assert signers == {signer.id}
    assert client.document_download(envelope.id, document.id) is not None
