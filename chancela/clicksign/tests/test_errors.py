"""Every Clicksign failure maps to the right error type, driven through the emulator."""

import logging
import socket
import time
import uuid

import httpx
import pytest
from django.utils import timezone

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.errors import (
    ClicksignCredentialError,
    ClicksignNotFoundError,
    ClicksignPermanentError,
    ClicksignRetryableError,
    CredentialErrorKind,
)
from chancela.clicksign.types import Qualification
from chancela.core.http import Timeouts
from chancela.testing.clicksign import emulator_account, make_envelope
from clicksign_emulator import blank_pdf

pytestmark = pytest.mark.django_db


def _client(emulator, token=None, **kwargs):
    return ClicksignClient(
        base_url=emulator.base_url, token=token or emulator.token, environment="sandbox", **kwargs
    )


@pytest.fixture
def api(clicksign_emulator):
    with _client(clicksign_emulator) as client:
        yield client


def _sent(emulator, path=None):
    return [r for r in emulator.control.requests() if path is None or r["path"] == path]


# ---------------------------------------------------------------------- wire format


def test_it_sends_the_raw_token_and_json_api_media_types(clicksign_emulator):
    seen: list[httpx.Request] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request):
            seen.append(request)
            return super().handle_request(request)

    with _client(clicksign_emulator, transport=Recording()) as client:
        client.envelope_create(name="Contrato")

    (request,) = seen
    assert request.headers["authorization"] == clicksign_emulator.token
    assert request.headers["content-type"] == "application/vnd.api+json"
    assert request.headers["accept"] == "application/vnd.api+json"
    assert request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 60.0,
        "pool": 5.0,
    }


def test_it_never_follows_a_redirect(api, clicksign_emulator):
    clicksign_emulator.control.add_fault(
        "status",
        status=301,
        path="^/api/v3/envelopes$",
        headers={"Location": "http://127.0.0.1:9/x"},
    )

    with pytest.raises(ClicksignPermanentError) as error:
        api.envelopes_list()

    assert error.value.status == 301 and "redirecionamento" in error.value.message
    assert len(_sent(clicksign_emulator)) == 1


# ---------------------------------------------------------------------- credentials


@pytest.mark.parametrize("token", ["Bearer {token}", "4b5c6d7e-0000-4000-8000-00000000dead"])
def test_it_maps_401_to_an_invalid_token(clicksign_emulator, token):
    client = _client(clicksign_emulator, token=token.format(token=clicksign_emulator.token))
    with client, pytest.raises(ClicksignCredentialError) as error:
        client.envelopes_list()
    assert error.value.kind == CredentialErrorKind.INVALID_TOKEN
    assert error.value.status == 401 and error.value.detail == "Access Token inválido"


@pytest.mark.parametrize(
    ("flags", "kind", "status"),
    [
        ({"api_user_email": None}, CredentialErrorKind.API_EMAIL_NOT_SET, 403),
        ({"plan_has_api": False}, CredentialErrorKind.PLAN_WITHOUT_API, 403),
        ({"envelopes_enabled": False}, CredentialErrorKind.ENVELOPES_UNAVAILABLE, 503),
    ],
)
def test_it_maps_account_problems_to_credential_errors(clicksign_emulator, flags, kind, status):
    token = emulator_account(clicksign_emulator, **flags)["token"]
    client = _client(clicksign_emulator, token=token)
    with client, pytest.raises(ClicksignCredentialError) as error:
        client.envelope_create(name="Contrato")
    assert error.value.kind == kind and error.value.status == status


# ---------------------------------------------------------------------- permanent


def test_it_maps_400_with_the_field_and_clicksigns_detail(api):
    with pytest.raises(ClicksignPermanentError) as error:
        api.envelope_create(name="Contrato", locale="fr-FR")
    assert error.value.status == 400
    assert error.value.field == "locale"
    assert error.value.detail == "locale deve estar em: pt-BR, en-US"


def test_it_maps_422_with_the_field_and_clicksigns_detail(api):
    with pytest.raises(ClicksignPermanentError) as error:
        api.envelope_create(
            name="Contrato", deadline_at=timezone.now() - timezone.timedelta(days=1)
        )
    assert error.value.status == 422 and error.value.field == "deadline_at"
    assert error.value.detail.startswith("deadline_at - deve ser maior ou igual a")


def test_it_maps_a_duplicate_requirement_to_422_already_in_use(api):
    envelope = api.envelope_create(name="Contrato")
    document = api.document_create(envelope.id, filename="c.pdf", content=blank_pdf())
    signer = api.signer_create(envelope.id, name="Maria da Silva", email="m@exemplo.com")
    spec = Qualification(document_id=document.id, signer_id=signer.id, role="sign")
    api.requirement_create(envelope.id, spec)

    with pytest.raises(ClicksignPermanentError) as error:
        api.requirement_create(envelope.id, spec)

    assert error.value.status == 422
    assert error.value.has_error(field="action", title="já está em uso")


def test_it_maps_404_to_not_found(api):
    missing = str(uuid.uuid4())
    with pytest.raises(ClicksignNotFoundError) as error:
        api.envelope_get(missing)
    assert isinstance(error.value, ClicksignPermanentError)
    assert error.value.status == 404 and missing in error.value.detail


def test_it_maps_a_403_about_state_to_a_permanent_error(api):
    envelope = make_envelope(api, activate=True).envelope

    with pytest.raises(ClicksignPermanentError) as error:
        api.envelope_delete(envelope.id)

    assert not isinstance(error.value, ClicksignCredentialError)
    assert error.value.status == 403 and "draft" in error.value.detail


# ---------------------------------------------------------------------- retryable


@pytest.mark.parametrize(("status", "unknown"), [(500, True), (502, True), (504, True)])
def test_it_maps_server_errors_to_retryable_with_unknown_outcome(
    api, clicksign_emulator, status, unknown
):
    clicksign_emulator.control.add_fault(
        "status", status=status, method="POST", path="^/api/v3/envelopes$"
    )
    with pytest.raises(ClicksignRetryableError) as error:
        api.envelope_create(name="Contrato")
    assert error.value.status == status and error.value.outcome_unknown is unknown


def test_it_maps_a_503_that_is_not_clicksigns_to_retryable(api, clicksign_emulator):
    clicksign_emulator.control.add_fault(
        "status", status=503, path="^/api/v3/envelopes$", body="Service Unavailable"
    )
    with pytest.raises(ClicksignRetryableError) as error:
        api.envelopes_list()
    assert error.value.status == 503 and not error.value.outcome_unknown


def test_it_maps_429_to_retryable_until_the_reset_and_blocks_every_caller(clicksign_emulator):
    clicksign_emulator.control.add_fault("rate_limit", path="^/api/v3/envelopes$")
    with _client(clicksign_emulator, max_wait=0.5) as client:
        with pytest.raises(ClicksignRetryableError) as error:
            client.envelopes_list()
        assert error.value.status == 429
        assert 9 <= error.value.retry_after <= 12  # X-Rate-Limit-Reset is ~10 s away, +1 s margin

        # Another client of the same account (another process, same database) waits too.
        with (
            _client(clicksign_emulator, max_wait=0.5) as other,
            pytest.raises(ClicksignRetryableError) as blocked,
        ):
            other.envelope_get(str(uuid.uuid4()))
    assert not blocked.value.sent and blocked.value.status is None
    assert blocked.value.retry_after > 5
    assert len(_sent(clicksign_emulator)) == 1


def test_it_honours_retry_after_when_clicksign_sends_it(api, clicksign_emulator):
    clicksign_emulator.control.add_fault(
        "rate_limit", path="^/api/v3/envelopes$", headers={"Retry-After": "30"}
    )
    with pytest.raises(ClicksignRetryableError) as error:
        api.envelopes_list()
    assert error.value.retry_after == 31


def test_it_blocks_only_the_notification_endpoint_after_its_own_429(api, clicksign_emulator):
    envelope = api.envelope_create(name="Contrato")
    path = f"/api/v3/envelopes/{envelope.id}/notifications"
    clicksign_emulator.control.add_fault("rate_limit", path=f"^{path}$", body="Too many requests")

    with pytest.raises(ClicksignRetryableError) as error:
        api.notify_envelope(envelope.id)

    assert error.value.status == 429 and error.value.retry_after >= 60
    assert api.envelope_get(envelope.id).id == envelope.id  # the account is not blocked
    api.max_wait = 0.5
    with pytest.raises(ClicksignRetryableError) as blocked:
        api.notify_envelope(envelope.id)
    assert not blocked.value.sent and blocked.value.retry_after > 50
    assert len(_sent(clicksign_emulator, path)) == 1


def test_it_maps_a_read_timeout_to_an_unknown_outcome(clicksign_emulator):
    clicksign_emulator.control.add_fault(
        "timeout", method="POST", path="^/api/v3/envelopes$", delay_seconds=1.0
    )
    name = f"Contrato {uuid.uuid4()}"
    timeouts = Timeouts(connect=2.0, read=0.3, write=2.0, pool=2.0)
    with _client(clicksign_emulator, timeouts=timeouts) as client:
        with pytest.raises(ClicksignRetryableError) as error:
            client.envelope_create(name=name)
        assert error.value.outcome_unknown and error.value.sent and error.value.status is None

        # Looking before retrying finds what the lost request created.
        deadline = time.monotonic() + 5
        while not (found := client.envelopes_list(name=name).items) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(found) == 1


@pytest.mark.parametrize("kind", ["drop", "commit_then_drop"])
def test_it_maps_a_dropped_connection_to_an_unknown_outcome(api, clicksign_emulator, kind):
    clicksign_emulator.control.add_fault(kind, method="POST", path="^/api/v3/envelopes$")
    name = f"Contrato {uuid.uuid4()}"

    with pytest.raises(ClicksignRetryableError) as error:
        api.envelope_create(name=name)

    assert error.value.outcome_unknown and error.value.sent
    created = api.envelopes_list(name=name).record_count
    assert created == (1 if kind == "commit_then_drop" else 0)


def test_it_maps_a_refused_connection_to_retryable_not_sent():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ClicksignClient(base_url=f"http://127.0.0.1:{port}", token=str(uuid.uuid4()))
    with client, pytest.raises(ClicksignRetryableError) as error:
        client.envelopes_list()
    assert not error.value.sent and not error.value.outcome_unknown
    # An outage is not a rate limit: nobody should be told to "wait a minute" for it.
    assert not error.value.is_rate_limit


def test_it_calls_a_429_and_a_local_wait_rate_limits(api, clicksign_emulator):
    clicksign_emulator.control.add_fault("rate_limit", path="^/api/v3/envelopes$", count=1)
    with pytest.raises(ClicksignRetryableError) as answered:
        api.envelopes_list()
    assert answered.value.is_rate_limit and answered.value.sent
    # The 429 blocked the account in the shared limiter: the next call waits locally.
    api.max_wait = 0.0
    with pytest.raises(ClicksignRetryableError) as waited:
        api.envelopes_list()
    assert waited.value.is_rate_limit and not waited.value.sent
    assert waited.value.wait_seconds() >= 1


# ---------------------------------------------------------------------- secrecy


def test_it_never_logs_the_token_or_a_webhook_secret(api, clicksign_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    webhook = api.webhook_create(endpoint="https://escola.edu.br/callbackclicksign/x")
    api.webhook_get(webhook.id)
    with pytest.raises(ClicksignNotFoundError):
        api.envelope_get(str(uuid.uuid4()))
    clicksign_emulator.control.add_fault("drop", path="^/api/v3/envelopes$")
    with pytest.raises(ClicksignRetryableError):
        api.envelopes_list()

    logged = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert clicksign_emulator.token not in logged
    assert webhook.secret and webhook.secret not in logged
    assert webhook.secret not in repr(webhook) and clicksign_emulator.token not in repr(api)
