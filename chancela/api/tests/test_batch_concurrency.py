"""Identical batches posted at the same moment, over real HTTP: one batch, the rest replays."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from chancela.api.tests.test_batches_api import api_row, body
from chancela.batches.models import Batch, BatchRow
from chancela.testing.concurrency import in_parallel
from chancela.testing.factories import make_api_key, make_config, make_document_type, make_unit

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SUBMISSIONS = 6


def test_it_creates_one_batch_for_simultaneous_identical_posts(server_url: str):
    unit = make_unit(code="CENTRO")
    make_document_type(make_config(unit), code="REMATRICULA")
    _, key = make_api_key(units=[unit])
    payload = json.dumps(body([api_row(1), api_row(2)], external_id="TURMA-CONCORRENTE"))

    def submit() -> tuple[int, dict]:
        with httpx.Client(base_url=server_url, timeout=60) as client:
            response = client.post(
                "/api/v1/batches",
                content=payload,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
        return response.status_code, response.json()

    results = in_parallel(SUBMISSIONS, submit)

    assert sorted(status for status, _ in results) == [200] * (SUBMISSIONS - 1) + [201], results
    assert len({data["id"] for _, data in results}) == 1
    batch = Batch.objects.get()
    assert BatchRow.objects.filter(batch=batch).count() == 2
    # The losers removed the PDFs they had stored: only the winner's two remain.
    files = sorted(
        p.relative_to(settings.MEDIA_ROOT) for p in Path(settings.MEDIA_ROOT).rglob("*.pdf")
    )
    assert [str(p) for p in files] == [
        f"batches/{unit.pk}/{batch.public_id}/1.pdf",
        f"batches/{unit.pk}/{batch.public_id}/2.pdf",
    ]
