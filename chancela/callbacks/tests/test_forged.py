"""A forged corpus built from real emulator deliveries: none may be accepted."""

from __future__ import annotations

import hashlib
import hmac
import json

from chancela.callbacks.models import InboundCallback, RejectedCallback
from chancela.callbacks.tests.conftest import deliver
from chancela.testing.clicksign import ReceivedRequest
from chancela.testing.factories import make_config, make_unit
from clicksign_emulator import webhook_signature


def _flip(body: bytes, position: int) -> bytes:
    data = bytearray(body)
    data[position % len(data)] ^= 0x01
    return bytes(data)


def test_it_accepts_none_of_a_forged_corpus(cb, client):
    other = make_config(make_unit(), webhook_secret="b" * 32)
    request = cb.send(signers=2)
    for signer in request.signers.all():
        cb.emulator.control.sign(signer.clicksign_signer_id)
    genuine = cb.deliveries()
    secret = cb.config.webhook_secret
    corpus: list[tuple[str, bytes, str | None]] = []
    for index, received in enumerate(genuine):
        body, header = received.body, received.headers["content-hmac"]
        digest = header.removeprefix("sha256=")
        reserialised = json.dumps(json.loads(body)).encode()
        assert reserialised != body
        corpus += [
            ("wrong secret", body, webhook_signature("0" * 32, body)),
            ("another configuration's secret", body, webhook_signature(other.webhook_secret, body)),
            ("one flipped byte", _flip(body, index * 37 + 11), header),
            ("re-serialised JSON", reserialised, header),
            ("missing header", body, None),
            (
                "sha1= prefix",
                body,
                "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
            ),
            ("sha1= prefix, sha256 digest", body, "sha1=" + digest),
            ("uppercase hex", body, "sha256=" + digest.upper()),
        ]
    accepted = []
    for kind, body, header in corpus:
        for path in (genuine[0].path, "/callbackclicksign"):
            headers = {"content-hmac": header} if header is not None else {}
            status = deliver(client, ReceivedRequest(path, headers, body))
            if 200 <= status < 300:
                accepted.append(kind)
    assert accepted == []
    assert not InboundCallback.objects.exists()
    assert RejectedCallback.objects.count() >= len(corpus)
    # the genuine deliveries still pass
    assert {deliver(client, received) for received in genuine} == {200}
    assert InboundCallback.objects.count() == len(genuine)
