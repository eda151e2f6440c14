"""The dispatch saga against the Clicksign emulator (real HTTP on loopback), in process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chancela.clicksign.types import API_LEGACY
from chancela.esign.clients import client_for_config
from chancela.esign.models import SignatureConfig
from chancela.signing.dispatch import (
    STEP_DONE,
    backoff_seconds,
    dispatches_sweep,
    envelope_name,
    signature_request_dispatch,
)
from chancela.signing.models import DocumentStatus, RequestStatus, SignatureRequest
from chancela.signing.tests.dispatch_helpers import (
    STEP_CALLS,
    a_minute_passes,
    assert_exactly_one_envelope,
    drain,
    envelopes_of,
    make_dispatchable_request,
    step_calls,
)
from chancela.testing.clicksign import API_VERSIONS
from chancela.testing.factories import make_pdf_bytes

pytestmark = pytest.mark.django_db


def api_calls(emulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.control.requests()]


def test_it_sends_a_request_with_one_call_per_resource_and_one_bulk_for_requirements(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=2)

    outcome = signature_request_dispatch(request_id=str(request.public_id))

    assert outcome == "done"
    assert_exactly_one_envelope(clicksign_emulator, request)
    assert [method for method, _ in api_calls(clicksign_emulator)] == [
        "POST",  # envelope
        "POST",  # document
        "POST",  # signer 1
        "POST",  # signer 2
        "POST",  # all 2 x (1 qualification + 4 authentications) requirements
        "PATCH",  # activation
        "POST",  # notification
    ]
    envelope = envelopes_of(clicksign_emulator, request)[0]
    assert len(envelope["requirements"]) == 10
    assert envelope["auto_close"] is True
    with client_for_config(emulated_config) as client:
        remote = client.envelope_get(envelope["id"])
    assert remote.locale == "pt-BR"
    assert remote.remind_interval == request.remind_interval
    assert abs(remote.deadline_at - request.deadline_at) < timedelta(milliseconds=1)
    document = envelope["documents"][0]
    assert document["metadata"]["chancela_request"] == str(request.public_id)
    assert clicksign_emulator.control.notifications(envelope_id=envelope["id"])
    request.refresh_from_db()
    assert request.dispatch_step == STEP_DONE
    assert request.dispatch_attempts == 1
    assert request.dispatch_lease_until is None
    assert request.dispatched_at is not None
    assert set(request.documents.values_list("status", flat=True)) == {DocumentStatus.RUNNING}
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds[-4:] == [
        "dispatch_started",
        "envelope_created",
        "envelope_activated",
        "signers_notified",
    ]


def test_it_needs_six_calls_for_one_signer_with_four_authentications(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    calls = api_calls(clicksign_emulator)
    assert len(calls) == 6
    assert [path.rsplit("/", 1)[-1] for method, path in calls if method == "POST"][1:] == [
        "documents",
        "signers",
        "bulk_requirements",
        "notifications",
    ]
    assert len(envelopes_of(clicksign_emulator, request)[0]["requirements"]) == 5


@pytest.mark.parametrize("clicksign_api", [API_LEGACY], indirect=True)
def test_it_sends_on_api_1_9_with_documents_reusable_signers_lists_and_notifications(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=2)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    assert_exactly_one_envelope(clicksign_emulator, request)
    assert [
        (method, path.removeprefix("/api/v1/")) for method, path in api_calls(clicksign_emulator)
    ] == [
        ("POST", "documents"),
        ("GET", "signers"),  # look for signer 1 by e-mail before creating it
        ("POST", "signers"),
        ("GET", "signers"),
        ("POST", "signers"),
        ("POST", "lists"),  # one list per signer and document
        ("POST", "lists"),
        ("GET", f"documents/{request.documents.get().clicksign_document_id}"),
        ("POST", "notifications"),  # one per pending signer of the first group
        ("POST", "notifications"),
    ]
    document = clicksign_emulator.control.envelopes()[0]["documents"][0]
    assert document["metadata"]["chancela_request"] == str(request.public_id)
    request.refresh_from_db()
    assert request.dispatch_step == STEP_DONE
    assert request.status == RequestStatus.AWAITING_SIGNATURES
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["envelope_activated", "signers_notified"]


def test_it_does_nothing_for_a_request_already_dispatched(clicksign_emulator, emulated_config):
    request = make_dispatchable_request(emulated_config, signers=1, auths=False)
    signature_request_dispatch(request_id=str(request.public_id))
    clicksign_emulator.control.clear_requests()

    assert signature_request_dispatch(request_id=str(request.public_id)) == "idle"
    assert clicksign_emulator.control.requests() == []


FAULTS = {
    "status_500": {"kind": "status", "status": 500},
    "status_502": {"kind": "status", "status": 502},
    "status_503": {"kind": "status", "status": 503, "body": {"errors": []}},
    "timeout": {"kind": "timeout", "delay_seconds": 1.5},
    "drop": {"kind": "drop"},
    "commit_then_drop": {"kind": "commit_then_drop"},
    "rate_limit_storm": {"kind": "rate_limit", "count": 2},
}


@pytest.mark.slow
@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_it_converges_to_one_envelope_with_faults_at_every_step(
    clicksign_emulator, emulated_config, settings, fault
):
    settings.CHANCELA_DISPATCH_READ_TIMEOUT_SECONDS = 0.5
    settings.CHANCELA_DISPATCH_MAX_ATTEMPTS = 30
    if fault == "rate_limit_storm":
        # The 429's X-Rate-Limit-Reset is one (emulator) window away: make it a short one.
        clicksign_emulator.control.settings(rate_limit_window_seconds=1)
    request = make_dispatchable_request(emulated_config, signers=2)
    for method, path in step_calls(emulated_config).values():
        spec = {"count": 1, **FAULTS[fault], "method": method, "path": path}
        clicksign_emulator.control.add_fault(**spec)

    # A timed-out request is still processed by the server 1.5 s later; the real backoff
    # (15 s at least) lets it land before the retry looks: so does the test.
    outcomes = drain(request, clicksign_emulator, settle=1.6 if fault == "timeout" else 0)

    assert outcomes[-1] == "done", (outcomes, request.last_error)
    assert "retry" in outcomes
    assert_exactly_one_envelope(clicksign_emulator, request)
    assert all(rule["remaining"] == 0 for rule in clicksign_emulator.control.faults())
    retries = request.events.filter(kind="dispatch_retry_scheduled")
    assert retries.exists()
    assert request.last_error == ""


def test_it_stops_at_a_401_marks_the_request_failed_and_emails_the_log(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=2)
    # The envelope goes through, then the token is revoked.
    clicksign_emulator.control.add_fault(
        kind="status", status=401, method="POST", path=STEP_CALLS["document"][1], count=None
    )

    outcome = signature_request_dispatch(request_id=str(request.public_id))

    assert outcome == "failed"
    methods = api_calls(clicksign_emulator)
    assert methods == [("POST", methods[0][1]), ("POST", methods[1][1])]  # no call after the 401
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert "token" in request.last_error
    assert "envio dos documentos" in request.last_error
    assert request.dispatch_lease_until is None
    assert request.events.filter(kind="dispatch_failed").count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [emulated_config.notification_email]
    assert request.title in message.subject
    assert "envio dos documentos" in message.body
    assert clicksign_emulator.token not in message.body
    # A later run (the sweeper, a stray retry) makes no further call.
    assert signature_request_dispatch(request_id=str(request.public_id)) == "idle"
    assert len(api_calls(clicksign_emulator)) == 2


def test_it_emails_one_failure_for_requests_failing_alike_on_one_configuration(
    clicksign_emulator, emulated_config
):
    first = make_dispatchable_request(emulated_config, signers=1)
    second = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="status", status=401, method="POST", path=STEP_CALLS["envelope"][1], count=None
    )

    assert signature_request_dispatch(request_id=str(first.public_id)) == "failed"
    assert signature_request_dispatch(request_id=str(second.public_id)) == "failed"

    assert len(mail.outbox) == 1
    assert first.events.filter(kind="dispatch_failure_emailed").count() == 1
    skipped = second.events.get(kind="dispatch_failure_email_skipped")
    assert emulated_config.notification_email in skipped.message
    assert not second.events.filter(kind="dispatch_failure_emailed").exists()


def test_it_emails_again_for_another_reason_or_after_the_quiet_window(
    clicksign_emulator, emulated_config, settings
):
    settings.CHANCELA_DISPATCH_FAILURE_EMAIL_QUIET_MINUTES = 60
    first = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="status", status=401, method="POST", path=STEP_CALLS["envelope"][1], count=None
    )
    assert signature_request_dispatch(request_id=str(first.public_id)) == "failed"
    first.events.filter(kind="dispatch_failure_emailed").update(
        at=timezone.now() - timedelta(minutes=61)
    )
    later = make_dispatchable_request(emulated_config, signers=1)
    assert signature_request_dispatch(request_id=str(later.public_id)) == "failed"
    clicksign_emulator.control.clear_faults()
    clicksign_emulator.control.add_fault(
        kind="status", status=403, method="POST", path=STEP_CALLS["envelope"][1], count=None
    )
    other_reason = make_dispatchable_request(emulated_config, signers=1)
    assert signature_request_dispatch(request_id=str(other_reason.public_id)) == "failed"

    assert len(mail.outbox) == 3


PERMANENT_ERRORS = {
    # Each API's own error body for the same refusal.
    "3.0": {
        "errors": [
            {
                "code": "100",
                "status": "422",
                "title": "inválido",
                "detail": "email - inválido",
                "source": {"pointer": "/data/attributes/email"},
            }
        ]
    },
    "1.9": {"errors": ["email - inválido"]},
}


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_fails_at_once_with_clicksigns_reason_on_a_permanent_error(
    clicksign_emulator, emulated_config, clicksign_api
):
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="status",
        status=422,
        method="POST",
        path=step_calls(emulated_config)["signer"][1],
        body=PERMANENT_ERRORS[clicksign_api],
    )

    assert signature_request_dispatch(request_id=str(request.public_id)) == "failed"

    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert request.last_error == (
        "Falha no envio (inclusão dos signatários): a Clicksign recusou: email - inválido (campo email)"
    )
    assert len(mail.outbox) == 1
    assert "email - inválido" in mail.outbox[0].body


@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)
def test_it_gives_up_after_the_maximum_attempts(clicksign_emulator, emulated_config, settings):
    settings.CHANCELA_DISPATCH_MAX_ATTEMPTS = 3
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="status",
        status=502,
        method="POST",
        path=step_calls(emulated_config)["document"][1],
        count=None,
    )

    outcomes = [signature_request_dispatch(request_id=str(request.public_id)) for _ in range(4)]

    assert outcomes == ["retry", "retry", "failed", "idle"]
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert "após 3 tentativas" in request.last_error
    assert len(mail.outbox) == 1
    assert "3" in mail.outbox[0].body
    # Each retry was rescheduled as a job, later than now.
    retries = DBTaskResult.objects.filter(
        task_path="chancela.signing.tasks.dispatch_signature_request",
        status=TaskResultStatus.READY,
        run_after__gt=timezone.now(),
        run_after__lt=timezone.now() + timedelta(days=1),  # not the first job (no run_after)
    )
    assert retries.count() == 2


def test_it_reschedules_a_retry_no_sooner_than_clicksigns_reset(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="status",
        status=503,
        method="POST",
        path=STEP_CALLS["envelope"][1],
        body={"errors": []},
    )

    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"

    request.refresh_from_db()
    assert request.status == RequestStatus.SENDING
    assert request.dispatch_next_attempt_at > timezone.now()
    assert request.last_error.startswith("Falha temporária (criação do envelope)")
    job = DBTaskResult.objects.filter(status=TaskResultStatus.READY).order_by("-enqueued_at")[0]
    assert job.args_kwargs["kwargs"] == {"request_public_id": str(request.public_id)}
    assert job.run_after == request.dispatch_next_attempt_at


def test_it_retries_when_clicksign_cannot_be_reached(emulated_config, settings):
    from chancela.testing.processes import free_port

    settings.CLICKSIGN_URLS = {"sandbox": f"http://127.0.0.1:{free_port()}", "production": ""}
    request = make_dispatchable_request(emulated_config, signers=1)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"

    request.refresh_from_db()
    assert request.dispatch_attempts == 1
    assert "Não foi possível conectar à Clicksign" in request.last_error
    assert request.dispatch_next_attempt_at > timezone.now() + timedelta(seconds=10)


def test_it_deletes_what_late_writes_left_in_the_draft_before_activating(
    clicksign_emulator, emulated_config, clicksign_client
):
    request = make_dispatchable_request(emulated_config, signers=1)
    # A 500: the activation may or may not have happened (a 503 would say it did not, and the
    # next attempt would trust the draft as it is).
    clicksign_emulator.control.add_fault(
        kind="status", status=500, method="PATCH", path=STEP_CALLS["activate"][1], body={}
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    request.refresh_from_db()
    # Writes of earlier attempts that Clicksign processed only after our look-ups had missed
    # them: a second envelope with our name, a document and a signer that are not ours.
    clicksign_client.envelope_create(name=envelope_name(request))
    clicksign_client.document_create(
        request.clicksign_envelope_id, filename="contrato.pdf", content=make_pdf_bytes()
    )
    clicksign_client.signer_create(
        request.clicksign_envelope_id, name="Signatária Atrasada", email="atrasada@example.com"
    )

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    assert_exactly_one_envelope(clicksign_emulator, request, strays_deleted=3)


def test_it_adopts_requirements_a_late_bulk_created_after_its_look_up_missed_them(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=2)
    # The bulk is processed but its answer is lost ...
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["requirements"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    # ... and when the next attempt looks, Clicksign does not list them yet (processed late).
    clicksign_emulator.control.add_fault(
        kind="status",
        status=200,
        method="GET",
        path=r"/requirements$",
        body={"data": [], "meta": {"record_count": 0}, "links": {}},
    )

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    # The re-sent bulk was refused as a duplicate; a second look found them all.
    bulks = clicksign_emulator.control.requests(method="POST", path=STEP_CALLS["requirements"][1])
    assert [b["status"] for b in bulks][-1] == 422
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_backs_off_exponentially_with_jitter_up_to_the_cap(settings):
    settings.CHANCELA_DISPATCH_BACKOFF_BASE_SECONDS = 10
    settings.CHANCELA_DISPATCH_BACKOFF_CAP_SECONDS = 100
    for attempts, (low, high) in {1: (5, 10), 2: (10, 20), 3: (20, 40), 6: (50, 100)}.items():
        delays = [backoff_seconds(attempts) for _ in range(50)]
        assert all(low <= d <= high for d in delays), (attempts, delays)
        assert len(set(delays)) > 1
    assert backoff_seconds(1, retry_after=42) >= 42


def test_it_waits_for_the_notification_window_without_spending_an_attempt(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1, auths=False)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["notify"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    request.refresh_from_db()
    attempts = request.dispatch_attempts

    # The notification may have gone out: Clicksign allows the next one only a minute later.
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"

    request.refresh_from_db()
    assert request.dispatch_attempts == attempts
    assert request.dispatch_next_attempt_at >= timezone.now() + timedelta(seconds=40)
    assert request.status == RequestStatus.AWAITING_SIGNATURES
    a_minute_passes(clicksign_emulator)
    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"
    # At least once: the invitation went out twice rather than never.
    assert len(clicksign_emulator.control.notifications(kind="signature_request")) == 2
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_leaves_a_request_leased_by_another_worker_alone(clicksign_emulator, emulated_config):
    request = make_dispatchable_request(emulated_config, signers=1)
    SignatureRequest.objects.filter(pk=request.pk).update(
        dispatch_lease_until=timezone.now() + timedelta(minutes=5), dispatch_lease_owner="other"
    )

    assert signature_request_dispatch(request_id=str(request.public_id)) == "busy"
    assert clicksign_emulator.control.requests() == []
    request.refresh_from_db()
    assert request.status == RequestStatus.QUEUED


def test_it_stops_before_its_next_call_when_its_lease_was_taken_over(
    clicksign_emulator, emulated_config, monkeypatch
):
    from chancela.signing import dispatch

    request = make_dispatchable_request(emulated_config, signers=1)
    original = dispatch._step_documents

    def lose_lease_then_continue(run, look):
        # Our lease expired while we were slow, and another worker took the request.
        SignatureRequest.objects.filter(pk=run.request.pk).update(dispatch_lease_owner="other")
        original(run, look)

    monkeypatch.setitem(dispatch.STEP_RUNNERS, "documents", lose_lease_then_continue)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "lost"
    assert [m for m, _ in api_calls(clicksign_emulator)] == ["POST"]  # the envelope only


def test_it_stops_before_its_next_call_when_the_request_was_canceled_meanwhile(
    clicksign_emulator, emulated_config, monkeypatch
):
    from chancela.signing import dispatch

    request = make_dispatchable_request(emulated_config, signers=1)
    original = dispatch._step_documents

    def cancel_then_continue(run, look):
        SignatureRequest.objects.filter(pk=run.request.pk).update(status=RequestStatus.CANCELED)
        original(run, look)

    monkeypatch.setitem(dispatch.STEP_RUNNERS, "documents", cancel_then_continue)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "lost"
    # The envelope, then no document: the draft it left is looked at and deleted.
    assert [m for m, _ in api_calls(clicksign_emulator)] == ["POST", "GET", "DELETE"]
    assert envelopes_of(clicksign_emulator, request) == []
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELED
    assert request.events.filter(kind="draft_envelope_deleted").exists()


def test_it_deletes_the_draft_it_was_creating_when_the_request_was_canceled(
    clicksign_emulator, emulated_config, monkeypatch
):
    from chancela.signing import dispatch

    request = make_dispatchable_request(emulated_config, signers=1)

    def cancel_while_the_envelope_is_created(point):
        # Staff cancel while Clicksign creates the envelope: the cancel sees no envelope yet.
        if point == "envelope:after_call":
            SignatureRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CANCELED)

    monkeypatch.setattr(dispatch, "kill_point", cancel_while_the_envelope_is_created)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "lost"

    request.refresh_from_db()
    assert request.clicksign_envelope_id == ""  # never recorded ...
    assert envelopes_of(clicksign_emulator, request) == []  # ... and not left behind
    assert [m for m, _ in api_calls(clicksign_emulator)] == ["POST", "GET", "DELETE"]


def test_it_repeats_a_call_refused_with_429_after_the_reset_without_looking_up(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=2)
    clicksign_emulator.control.add_fault(
        kind="rate_limit", method="POST", path=STEP_CALLS["signer"][1], count=1
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    request.refresh_from_db()
    assert request.dispatch_step_clean
    first = len(api_calls(clicksign_emulator))
    a_minute_passes(clicksign_emulator)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    # The refused signer, the other signer, the bulk, activation, notification: no GET at all.
    assert [m for m, _ in api_calls(clicksign_emulator)[first:]] == [
        "POST", "POST", "POST", "PATCH", "POST",
    ]  # fmt: skip
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_looks_up_again_after_a_429_that_followed_a_call_in_doubt(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["document"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    clicksign_emulator.control.add_fault(
        kind="rate_limit", method="POST", path=STEP_CALLS["signer"][1], count=1
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    request.refresh_from_db()
    assert not request.dispatch_step_clean  # this attempt itself began in doubt

    drain(request, clicksign_emulator)

    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_looks_up_with_pages_of_at_most_50_and_follows_them(clicksign_emulator, emulated_config):
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["envelope"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    looks = clicksign_emulator.control.requests(method="GET", path=r"/envelopes$")
    assert looks and all(look["status"] == 200 for look in looks)
    assert all("page%5Bsize%5D=50" in look["query"] for look in looks), looks
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_asks_again_at_the_default_page_size_when_50_is_refused(
    clicksign_emulator, emulated_config
):
    clicksign_emulator.control.settings(max_page_size=20)
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["document"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    statuses = [r["status"] for r in clicksign_emulator.control.requests(method="GET")]
    assert statuses[:2] == [400, 200]
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_retries_a_look_up_refused_with_400_instead_of_failing(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["signer"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    clicksign_emulator.control.add_fault(
        kind="status", status=400, method="GET", path=r"/signers$", count=2,
        body={"errors": [{"status": "400", "detail": "consulta inválida"}]},
    )  # fmt: skip

    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"

    request.refresh_from_db()
    assert request.status == RequestStatus.SENDING
    assert "consulta" in request.last_error
    drain(request, clicksign_emulator)
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_follows_clicksign_when_the_notification_is_refused_after_activation(
    clicksign_emulator, emulated_config, monkeypatch
):
    """The race of the end-to-end test, made deterministic: the only signer signs between
    activation and notification, so Clicksign closes the envelope and refuses the notify."""
    from chancela.callbacks.tests.conftest import run_jobs
    from chancela.signing import dispatch

    request = make_dispatchable_request(emulated_config, signers=1, auths=False)
    original = dispatch._step_notify

    def sign_then_notify(run, look):
        for signer in run.request.signers.all():
            clicksign_emulator.control.sign(signer.clicksign_signer_id)
        original(run, look)

    monkeypatch.setitem(dispatch.STEP_RUNNERS, "notify", sign_then_notify)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"

    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES  # never failed
    assert request.dispatch_step == STEP_DONE
    assert request.events.filter(kind="notify_given_up").exists()
    assert not mail.outbox
    job = DBTaskResult.objects.get(task_path="chancela.callbacks.tasks.reconcile_request")
    assert job.args_kwargs["kwargs"] == {"request_public_id": str(request.public_id)}
    # The job reads Clicksign: the envelope closed, so the signed file is archived and the
    # request is signed (webhooks lost or not).
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED
    assert request.documents.get().signed_sha256


def test_it_never_fails_an_activated_request_when_notifying_keeps_failing(
    clicksign_emulator, emulated_config, settings
):
    settings.CHANCELA_DISPATCH_MAX_ATTEMPTS = 2
    request = make_dispatchable_request(emulated_config, signers=1, auths=False)
    clicksign_emulator.control.add_fault(
        kind="status", status=502, method="POST", path=STEP_CALLS["notify"][1], count=None
    )

    outcomes = drain(request, clicksign_emulator)

    assert outcomes[-1] == "done"
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES
    assert request.events.filter(kind="notify_given_up").exists()


def test_it_looks_up_after_a_reopen_even_with_its_attempts_reset(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)
    clicksign_emulator.control.add_fault(
        kind="commit_then_drop", method="POST", path=STEP_CALLS["signer"][1]
    )
    assert signature_request_dispatch(request_id=str(request.public_id)) == "retry"
    # Staff reopen the request and the attempt count starts again.
    SignatureRequest.objects.filter(pk=request.pk).update(dispatch_attempts=0)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_is_registered_as_a_periodic_job_the_scheduler_can_enqueue():
    from chancela.core.periodic import PERIODIC_JOBS
    from chancela.core.scheduler import periodic_job_enqueue_if_idle

    [job] = [j for j in PERIODIC_JOBS if j.task_path.endswith(".sweep_stalled_dispatches")]
    assert job.task_path == "chancela.signing.tasks.sweep_stalled_dispatches"

    assert periodic_job_enqueue_if_idle(job) is True
    assert DBTaskResult.objects.filter(task_path=job.task_path).count() == 1


def _dispatch_jobs(request: SignatureRequest, status: str = TaskResultStatus.READY) -> int:
    return sum(
        1
        for kwargs in DBTaskResult.objects.filter(status=status).values_list(
            "args_kwargs", flat=True
        )
        if kwargs["kwargs"].get("request_public_id") == str(request.public_id)
    )


def test_it_sweeps_a_request_whose_worker_died(emulated_config):
    request = make_dispatchable_request(emulated_config, signers=1)
    # The worker claimed the job, took the lease, and died an hour ago.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=an_hour_ago)
    SignatureRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.SENDING,
        dispatch_lease_until=an_hour_ago + timedelta(minutes=5),
        dispatch_lease_owner="dead",
        dispatch_step="signers",
    )

    assert dispatches_sweep() == 1
    assert _dispatch_jobs(request) == 1
    assert dispatches_sweep() == 0  # its job is now waiting


def test_it_sweeps_a_request_that_lost_its_job(emulated_config):
    request = make_dispatchable_request(emulated_config, signers=1)
    DBTaskResult.objects.all().delete()

    assert dispatches_sweep() == 1
    assert _dispatch_jobs(request) == 1


def test_it_does_not_sweep_requests_in_good_hands(emulated_config):
    waiting = make_dispatchable_request(emulated_config, signers=1)  # its job is READY
    leased = make_dispatchable_request(emulated_config, signers=1)
    SignatureRequest.objects.filter(pk=leased.pk).update(
        dispatch_lease_until=timezone.now() + timedelta(minutes=5), dispatch_lease_owner="alive"
    )
    DBTaskResult.objects.filter(
        args_kwargs__kwargs__request_public_id=str(leased.public_id)
    ).update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    done = make_dispatchable_request(emulated_config, signers=1)
    SignatureRequest.objects.filter(pk=done.pk).update(
        status=RequestStatus.AWAITING_SIGNATURES, dispatch_step=STEP_DONE
    )
    failed = make_dispatchable_request(emulated_config, signers=1)
    SignatureRequest.objects.filter(pk=failed.pk).update(status=RequestStatus.FAILED)
    DBTaskResult.objects.filter(
        args_kwargs__kwargs__request_public_id__in=[str(done.public_id), str(failed.public_id)]
    ).delete()

    assert dispatches_sweep() == 0
    assert _dispatch_jobs(waiting) == 1


def test_it_sweeps_an_activated_request_that_was_not_notified(emulated_config):
    request = make_dispatchable_request(emulated_config, signers=1)
    DBTaskResult.objects.all().delete()
    SignatureRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.AWAITING_SIGNATURES, dispatch_step="notify"
    )

    assert dispatches_sweep() == 1


def test_it_keeps_serving_a_request_whose_configuration_became_inactive(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)
    SignatureConfig.objects.filter(pk=emulated_config.pk).update(active=False)

    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"
    assert_exactly_one_envelope(clicksign_emulator, request)


def test_it_names_the_envelope_with_a_short_labelled_reference_a_family_can_read(
    clicksign_emulator, emulated_config
):
    request = make_dispatchable_request(emulated_config, signers=1)
    assert signature_request_dispatch(request_id=str(request.public_id)) == "done"
    [envelope] = clicksign_emulator.control.envelopes()
    assert envelope["name"] == f"{request.title} — ref. {request.public_id.hex[:12].upper()}"
    assert str(request.public_id) not in envelope["name"]  # never the raw UUID
