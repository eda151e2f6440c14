"""Ten identical submissions at once, over real HTTP, against a real server and database."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from chancela.api.tests.conftest import body
from chancela.signing.models import Document, SignatureRequest
from chancela.testing.concurrency import in_parallel
from chancela.testing.factories import make_api_key, make_config, make_document_type, make_unit

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SUBMISSIONS = 10


def test_it_creates_one_request_for_ten_simultaneous_identical_submissions(server_url: str):
    unit = make_unit(code="CENTRO")
    document_type = make_document_type(make_config(unit), code="CONTRATO")
    _, key = make_api_key(units=[unit])
    payload = json.dumps(body("CENTRO", "CONTRATO", external_id="MAT-CONCORRENTE"))

    def submit() -> tuple[int, dict]:
        with httpx.Client(base_url=server_url, timeout=60) as client:
            response = client.post(
                "/api/v1/signature-requests",
                content=payload,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
        return response.status_code, response.json()

    results = in_parallel(SUBMISSIONS, submit)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (SUBMISSIONS - 1) + [201], results
    assert len({data["id"] for _, data in results}) == 1
    assert SignatureRequest.objects.filter(unit=unit, document_type=document_type).count() == 1
    assert DBTaskResult.objects.count() == 1
    # The losers removed the files they had written: only the winner's original remains.
    files = list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert [p.name for p in files] == [f"{Document.objects.get().public_id}.pdf"]
