"""request_status_set: forward-only moves, sticky terminal states, timeline and host events."""

from __future__ import annotations

import pytest

from chancela.notifications.models import HostEndpoint, OutboundEvent
from chancela.signing.models import RequestEvent, RequestStatus, SignatureRequest
from chancela.signing.transitions import request_status_set
from chancela.testing.factories import make_signature_request

pytestmark = pytest.mark.django_db


def _move(request: SignatureRequest, status: RequestStatus, **kwargs) -> bool:
    return request_status_set(
        request_id=request.pk,
        status=status,
        source=RequestEvent.Source.CHANCELA,
        kind="test",
        message="mudou",
        **kwargs,
    )


def test_it_moves_forward_and_records_the_move():
    request = make_signature_request()

    assert _move(request, RequestStatus.SENDING) is True

    request.refresh_from_db()
    assert request.status == RequestStatus.SENDING
    event = request.events.get(kind="test")
    assert event.data == {"from": "queued", "to": "sending"}


def test_it_never_moves_back():
    request = make_signature_request(status="awaiting_signatures")

    assert _move(request, RequestStatus.SENDING) is False

    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES
    assert not request.events.filter(kind="test").exists()


@pytest.mark.parametrize("terminal", ["signed", "refused", "canceled", "expired", "failed"])
def test_it_keeps_terminal_states(terminal):
    request = make_signature_request(status=terminal)

    assert _move(request, RequestStatus.CANCELED) is False
    assert _move(request, RequestStatus.SIGNED) is False

    request.refresh_from_db()
    assert request.status == terminal


def test_it_applies_a_duplicate_move_once():
    request = make_signature_request(status="awaiting_signatures")

    assert _move(request, RequestStatus.SIGNED) is True
    assert _move(request, RequestStatus.SIGNED) is False

    assert request.events.filter(kind="test").count() == 1


def test_it_reopens_only_a_failed_request():
    failed = make_signature_request(status="failed")
    signed = make_signature_request(status="signed")

    assert _move(failed, RequestStatus.QUEUED, reopen=True, error="") is True
    assert _move(signed, RequestStatus.QUEUED, reopen=True) is False

    failed.refresh_from_db()
    assert failed.status == RequestStatus.QUEUED
    assert failed.last_error == ""
    with pytest.raises(ValueError):
        _move(failed, RequestStatus.SIGNED, reopen=True)


def test_it_sets_the_error_only_when_given():
    request = make_signature_request()
    SignatureRequest.objects.filter(pk=request.pk).update(last_error="antes")

    _move(request, RequestStatus.SENDING)
    request.refresh_from_db()
    assert request.last_error == "antes"

    _move(request, RequestStatus.FAILED, error="Token inválido")
    request.refresh_from_db()
    assert request.last_error == "Token inválido"


def test_it_writes_an_event_for_each_endpoint_of_the_unit():
    request = make_signature_request()
    HostEndpoint.objects.create(
        unit=request.unit, name="ERP", url="https://erp.example/h", secret="s"
    )

    _move(request, RequestStatus.SENDING)

    event = OutboundEvent.objects.get(request=request)
    assert event.payload["data"]["status"] == "sending"
    assert event.payload["data"]["previous_status"] == "queued"
