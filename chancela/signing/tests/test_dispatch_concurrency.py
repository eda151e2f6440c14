"""Ten identical submissions at once over the host API, then several workers racing to
dispatch: one request, one job, and ONE envelope at Clicksign."""

from __future__ import annotations

import json

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from chancela.api.tests.conftest import body
from chancela.signing.dispatch import signature_request_dispatch
from chancela.signing.models import SignatureRequest
from chancela.signing.tests.dispatch_helpers import assert_exactly_one_envelope, envelopes_of
from chancela.testing.concurrency import in_parallel
from chancela.testing.factories import make_api_key, make_document_type

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SUBMISSIONS = 10
WORKERS = 4


def test_it_sends_one_envelope_for_ten_simultaneous_identical_submissions(
    server_url, clicksign_emulator, emulated_config
):
    unit = emulated_config.unit
    make_document_type(emulated_config, code="CONTRATO")
    _, key = make_api_key(units=[unit])
    payload = json.dumps(body(unit.code, "CONTRATO", external_id="MAT-CONCORRENTE-ENVIO"))

    def submit() -> int:
        with httpx.Client(base_url=server_url, timeout=60) as client:
            response = client.post(
                "/api/v1/signature-requests",
                content=payload,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
        return response.status_code

    statuses = in_parallel(SUBMISSIONS, submit)

    assert sorted(statuses) == [200] * (SUBMISSIONS - 1) + [201]
    request = SignatureRequest.objects.get(unit=unit)
    assert DBTaskResult.objects.count() == 1

    # The job and stray copies of it (a sweeper, a retry) start at the same moment.
    outcomes = in_parallel(
        WORKERS, lambda: signature_request_dispatch(request_id=str(request.public_id))
    )

    assert outcomes.count("done") == 1, outcomes
    assert set(outcomes) <= {"done", "busy", "idle"}
    assert len(envelopes_of(clicksign_emulator, request)) == 1
    assert_exactly_one_envelope(clicksign_emulator, request)
