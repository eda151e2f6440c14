import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.notifications import standard_webhooks
from chancela.notifications.errors import NotificationError
from chancela.notifications.models import HostEndpoint, OutboundEvent, OutboundEventStatus
from chancela.notifications.services import (
    STATUS_CHANGED,
    dispatch_failure_email_send,
    host_endpoint_create,
    outbound_event_deliver,
    outbound_events_record,
    outbound_events_retry_due,
    request_status_payload,
)
from chancela.signing.models import SignatureRequest
from chancela.testing.factories import (
    MANAGE_CONFIG,
    make_config,
    make_document_type,
    make_unit,
    make_user,
)
from chancela.testing.receiver import http_receiver

pytestmark = pytest.mark.django_db


def _request(unit=None, **kwargs):
    unit = unit or make_unit()
    config = make_config(unit)
    return SignatureRequest.objects.create(
        unit=unit,
        document_type=make_document_type(config),
        config=config,
        environment=config.environment,
        title=kwargs.pop("title", "Contrato de matrícula 2027"),
        deadline_at=timezone.now() + timedelta(days=10),
        **kwargs,
    )


def _record(request, endpoint_url, previous="sending"):
    host_endpoint_create(actor=None, unit=request.unit, name="ERP", url=endpoint_url)
    return outbound_events_record(
        request=request, event_type=STATUS_CHANGED, data=request_status_payload(request, previous)
    )


def test_it_signs_like_the_standard_webhooks_reference_vector():
    signature = standard_webhooks.sign(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body='{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_it_delivers_a_signed_event_the_receiver_can_verify():
    request = _request(external_id="MAT-1", status="awaiting_signatures")
    with http_receiver() as receiver:
        (event,) = _record(request, receiver.url)
        outbound_event_deliver(event_public_id=str(event.public_id))
    event.refresh_from_db()
    assert event.status == OutboundEventStatus.DELIVERED and event.attempts == 1
    (received,) = receiver.requests
    secret = HostEndpoint.objects.get().secret
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(
        hmac.new(base64.b64decode(secret.removeprefix("whsec_")), signed, hashlib.sha256).digest()
    ).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["webhook-id"] == event.webhook_id
    body = json.loads(received.body)
    assert body["type"] == "signature_request.status_changed"
    assert body["data"]["external_id"] == "MAT-1"
    assert body["data"]["status"] == "awaiting_signatures"
    assert body["data"]["previous_status"] == "sending"


def test_it_retries_with_backoff_and_records_every_attempt(settings):
    settings.CHANCELA_OUTBOUND_RETRY_SCHEDULE = [5, 60]
    request = _request()
    with http_receiver() as receiver:
        receiver.statuses = [500, 503, 500]
        (event,) = _record(request, receiver.url)
        before = timezone.now()
        outbound_event_deliver(event_public_id=str(event.public_id))
        event.refresh_from_db()
        assert event.status == OutboundEventStatus.PENDING
        assert (
            before + timedelta(seconds=4)
            < event.next_attempt_at
            < timezone.now() + timedelta(seconds=6)
        )
        retry = DBTaskResult.objects.filter(task_path__endswith="deliver_outbound_event").latest(
            "enqueued_at"
        )
        assert retry.run_after >= event.next_attempt_at - timedelta(seconds=1)
        # not yet due: a second call does nothing
        assert outbound_event_deliver(event_public_id=str(event.public_id)) is None
        for _ in range(2):
            OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
            outbound_event_deliver(event_public_id=str(event.public_id))
    event.refresh_from_db()
    assert event.status == OutboundEventStatus.FAILED
    assert [a.status_code for a in event.attempt_log.all()] == [500, 503, 500]
    assert len(receiver.requests) == 3


def test_it_counts_a_redirect_as_a_failure_and_never_follows_it():
    request = _request()
    with http_receiver() as receiver:
        receiver.statuses = [301]
        receiver.extra_headers = {"Location": "http://127.0.0.1:9/elsewhere"}
        (event,) = _record(request, receiver.url)
        outbound_event_deliver(event_public_id=str(event.public_id))
    event.refresh_from_db()
    assert event.status == OutboundEventStatus.PENDING and event.last_status_code == 301
    assert len(receiver.requests) == 1


def test_it_disables_an_endpoint_that_answers_410():
    request = _request()
    with http_receiver() as receiver:
        receiver.statuses = [410]
        (event,) = _record(request, receiver.url)
        outbound_event_deliver(event_public_id=str(event.public_id))
    event.refresh_from_db()
    assert event.status == OutboundEventStatus.FAILED
    assert not HostEndpoint.objects.get().active


def test_it_records_events_only_for_active_endpoints_of_the_requests_unit():
    request = _request()
    other_unit_request = _request()
    host_endpoint_create(
        actor=None, unit=other_unit_request.unit, name="Outro", url="http://127.0.0.1:1/x"
    )
    inactive, _ = host_endpoint_create(
        actor=None, unit=request.unit, name="Inativo", url="http://127.0.0.1:1/y"
    )
    inactive.active = False
    inactive.save()
    events = _record(request, "http://127.0.0.1:1/z")
    assert [e.endpoint.name for e in events] == ["ERP"]


def test_it_writes_nothing_when_the_status_change_rolls_back():
    request = _request()
    host_endpoint_create(actor=None, unit=request.unit, name="ERP", url="http://127.0.0.1:1/z")
    tasks_before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbound_events_record(
            request=request, event_type=STATUS_CHANGED, data=request_status_payload(request, None)
        )
        raise RuntimeError("status change failed")
    assert OutboundEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == tasks_before


def test_it_reenqueues_due_events_whose_task_was_lost():
    request = _request()
    (event,) = _record(request, "http://127.0.0.1:1/z")
    DBTaskResult.objects.all().delete()
    assert outbound_events_retry_due() == 1
    assert DBTaskResult.objects.filter(args_kwargs__args=[str(event.public_id)]).exists()


def test_it_refuses_private_targets_unless_allowed(settings):
    settings.CHANCELA_OUTBOUND_ALLOW_PRIVATE = False
    unit = make_unit()
    for url in (
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://user:pw@example.com/",
    ):
        with pytest.raises(NotificationError):
            host_endpoint_create(actor=None, unit=unit, name="X", url=url)


def test_it_emails_the_notification_address_when_a_send_fails():
    request = _request(title="Contrato de Ana")
    dispatch_failure_email_send(
        request=request,
        step="adicionar signatários",
        error_message="documentation - inválido",
        attempts=3,
    )
    (message,) = mail.outbox
    assert message.to == [request.config.notification_email]
    assert "Contrato de Ana" in message.subject
    assert "adicionar signatários" in message.body
    assert "documentation - inválido" in message.body
    assert "Tentativas: 3" in message.body


class TestScreens:
    def test_it_shows_the_secret_once_then_only_its_fingerprint(self, client):
        unit = make_unit()
        client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
        response = client.post(
            reverse("notifications:endpoint_list"),
            {"unit": unit.pk, "name": "ERP", "url": "http://127.0.0.1:9/hook"},
        )
        secret = HostEndpoint.objects.get().secret
        assert secret in response.content.decode()
        listing = client.get(reverse("notifications:endpoint_list")).content.decode()
        assert secret not in listing and secret[-4:] in listing
        detail = client.get(
            reverse("notifications:endpoint_detail", args=[HostEndpoint.objects.get().public_id])
        ).content.decode()
        assert secret not in detail

    def test_it_404s_an_endpoint_of_another_unit(self, client):
        foreign, _ = host_endpoint_create(
            actor=None, unit=make_unit(), name="ERP", url="http://127.0.0.1:9/x"
        )
        client.force_login(make_user(units=[make_unit()], perms=[MANAGE_CONFIG]))
        url = reverse("notifications:endpoint_detail", args=[foreign.public_id])
        assert client.get(url).status_code == 404
        toggle = reverse("notifications:endpoint_set_active", args=[foreign.public_id])
        assert client.post(toggle, {"active": "0"}).status_code == 404
