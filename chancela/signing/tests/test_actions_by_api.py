# ruff: noqa: F811 - the cb fixture is imported from the callbacks tests
"""The request's actions on both Clicksign APIs, on requests sent by the real dispatch saga:
remind (one signer, everyone, too soon, a group not started yet), cancel, and the stop at
Clicksign after a refusal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chancela.callbacks.tests.conftest import (  # noqa: F401 - cb and its emulator: fixtures
    cb,
    cb_emulator,
    deliver,
    run_jobs,
)
from chancela.clicksign.types import API_LEGACY
from chancela.signing.actions import (
    ActionError,
    Actor,
    signature_request_cancel,
    signature_request_remind,
)
from chancela.signing.models import RequestStatus
from chancela.signing.tests.dispatch_helpers import a_minute_passes
from chancela.testing.clicksign import API_VERSIONS, emulator_refuse, signing_keys
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_api_key,
    make_signature_request,
    make_signer_input,
    make_user,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True),
]


def sent(cb, *, groups=(1, 1)):
    """A request sent by the saga, its signers in ``groups``."""
    request = make_signature_request(
        cb.config.unit,
        cb.document_type,
        signers=[make_signer_input(group=group) for group in groups],
    )
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES, request.last_error
    return request


def notifications_to(cb, signer) -> int:
    return sum(
        len(cb.emulator.control.notifications(signer_id=key))
        for key in signing_keys(cb.emulator, signer)
    )


def test_it_reminds_one_signer_then_says_plainly_it_is_too_soon(cb):
    request = sent(cb)
    signer = request.signers.first()
    before = notifications_to(cb, signer)
    # On 1.9 the send's own invitation used this signer's one-a-minute window.
    a_minute_passes(cb.emulator)

    done = signature_request_remind(request=request, signer=signer, actor=Actor())

    assert signer.name in done
    assert notifications_to(cb, signer) == before + 1
    with pytest.raises(ActionError) as caught:
        signature_request_remind(request=request, signer=signer, actor=Actor())
    assert caught.value.code == "remind_too_soon"
    assert 1 <= caught.value.retry_after <= 61


def test_it_refuses_to_remind_a_signer_whose_group_has_not_started(cb, client):
    request = sent(cb, groups=(1, 2))
    later = request.signers.get(group=2)
    cb.emulator.control.clear_requests()

    with pytest.raises(ActionError) as caught:
        signature_request_remind(request=request, signer=later, actor=Actor())

    assert caught.value.code == "signer_group_not_started"
    assert "grupo 2, que ainda não começou" in caught.value.message
    assert cb.emulator.control.requests() == []  # never reached Clicksign
    # The screen says the same, and so does the API (409 with the code).
    staff = make_user(units=[cb.config.unit], perms=[SEND_DOCUMENTS])
    client.force_login(staff)
    page = client.post(
        reverse("signing:request_remind", args=[request.public_id]),
        {"signer": str(later.public_id)},
        follow=True,
    )
    assert "que ainda não começou" in page.content.decode()
    _, key = make_api_key(units=[cb.config.unit])
    answer = client.post(
        f"/api/v1/signature-requests/{request.public_id}/remind",
        data={"signer_id": str(later.public_id)},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "signer_group_not_started"
    assert cb.emulator.control.requests() == []


def test_it_reminds_everyone_pending(cb):
    request = sent(cb)
    a_minute_passes(cb.emulator)
    signature_request_remind(request=request, actor=Actor())
    assert all(notifications_to(cb, s) >= 2 for s in request.signers.all())


def test_it_cancels_every_document_at_clicksign(cb, client):
    request = sent(cb)

    signature_request_cancel(request=request, reason="Contrato refeito", actor=Actor())

    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELED
    for document in request.documents.all():
        remote = cb.client.document_get(
            request.clicksign_envelope_id, document.clicksign_document_id
        )
        assert remote.status == "canceled"


def test_it_stops_the_document_at_clicksign_after_a_refusal(cb, client, clicksign_api):
    request = sent(cb)
    refuser, other = request.signers.all()
    emulator_refuse(cb.emulator, refuser, reasons=["Dados incorretos"], comment="CPF errado")

    for received in cb.deliveries():
        assert deliver(client, received) == 200
    run_jobs()  # the refusal, then the stop at Clicksign

    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    document = request.documents.get()
    remote = cb.client.document_get(request.clicksign_envelope_id, document.clicksign_document_id)
    assert remote.status == "canceled"  # no more reminders, nobody signs
    line = request.events.get(kind="refusal_stopped_at_clicksign")
    assert "deixam de receber lembretes" in line.message
    # The cancel Clicksign then reports changes nothing: the request stays refused.
    for received in cb.deliveries():
        assert deliver(client, received) == 200
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    with pytest.raises(Exception):  # noqa: B017, PT011 - the emulator refuses (409)
        cb.emulator.control.sign(signing_keys(cb.emulator, other)[0])
    if clicksign_api == API_LEGACY:
        paths = [r["path"] for r in cb.emulator.control.requests(method="PATCH")]
        assert paths[-1].endswith("/cancel")
