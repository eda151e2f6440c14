from __future__ import annotations

import hashlib

from django.test import Client

from chancela.callbacks.models import CallbackState, InboundCallback
from chancela.callbacks.tests.conftest import deliver, run_jobs
from chancela.signing.models import RequestStatus, SignerStatus


def test_it_signs_archives_and_finishes_a_request(cb, client: Client):
    request = cb.send(signers=2)
    for signer in request.signers.all():
        cb.emulator.control.sign(signer.clicksign_signer_id)
    for received in cb.deliveries():
        assert deliver(client, received) == 200
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED
    assert not request.legally_valid  # sandbox
    assert {s.status for s in request.signers.all()} == {SignerStatus.SIGNED}
    assert all(s.signed_auths == ["email"] for s in request.signers.all())
    document = request.documents.get()
    dump = cb.emulator.control.envelope(request.clicksign_envelope_id)
    remote_doc = dump["documents"][0]
    signed = cb.emulator.server.emulator  # in-process state, for the signed file bytes
    assert document.signed_sha256
    with document.signed_file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == document.signed_sha256
    assert remote_doc["status"] == "closed"
    assert signed is not None
    assert InboundCallback.objects.filter(state=CallbackState.PROCESSED).count() > 0
