"""Schemathesis (v4) against a live server: the API answers what its OpenAPI document says.

A bounded, seeded run over every operation (examples, coverage and fuzzing phases) with the
checks not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance and response_headers_conformance; any failure fails the test.
The objects the document's examples name (a request, its document and signers, a batch) are
seeded with those very ids, so the examples reach real objects and not only 404s (the request
is signed, so its PDF download answers 200 with the SHA-256 header the document requires).

It runs on PostgreSQL only: it checks the HTTP contract, which does not depend on the
database, and one run costs about a minute.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from chancela.api import openapi_examples as ex
from chancela.batches.models import Batch, BatchRow, BatchStatus, RowState
from chancela.signing.inputs import SignerInput
from chancela.signing.models import Document, RequestStatus, SignatureRequest, Signer
from chancela.testing.factories import (
    make_api_key,
    make_config,
    make_cpf,
    make_document_type,
    make_pdf_bytes,
    make_signature_request,
    make_unit,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
SEED = 18
MAX_EXAMPLES = 12


def _seed_examples() -> str:
    unit = make_unit(code="CENTRO")
    config = make_config(unit)
    document_type = make_document_type(config, code="CONTRATO_MATRICULA")
    make_document_type(config, code="REMATRICULA")
    _, key = make_api_key(units=[unit], name="Schemathesis")
    request = make_signature_request(
        unit,
        document_type,
        external_id="MAT-2027-000123",
        signers=[
            SignerInput(
                name="Ana Souza Lima", email="ana@example.com", cpf=make_cpf(1), role="student"
            ),
            SignerInput(
                name="Maria Souza Lima", email="maria@example.com", cpf=make_cpf(2), role="witness"
            ),
        ],
        # Signed and archived: the download answers the PDF with its X-Chancela-SHA256.
        status=RequestStatus.SIGNED,
        signed_pdf=make_pdf_bytes(),
    )
    SignatureRequest.objects.filter(pk=request.pk).update(public_id=ex.REQUEST_ID)
    Document.objects.filter(request=request).update(public_id=ex.DOCUMENT_ID)
    first, second = Signer.objects.filter(request=request).order_by("pk")
    Signer.objects.filter(pk=first.pk).update(public_id=ex.SIGNER_ID)
    Signer.objects.filter(pk=second.pk).update(public_id=ex.GUARDIAN_ID)
    batch = Batch.objects.create(
        public_id=uuid.UUID(ex.BATCH_ID),
        unit=unit,
        document_type=document_type,
        title="Rematrícula 2027",
        external_id="REMAT-2027-9A",
        status=BatchStatus.DONE,
        finished_at=timezone.now(),
    )
    BatchRow.objects.create(
        batch=batch,
        unit=unit,
        line=1,
        data={"student_code": "2027001"},
        state=RowState.CREATED,
        request=request,
    )
    return key


def test_it_conforms_to_its_openapi_document(server_url: str, settings, tmp_path: Path):
    if connection.vendor != "postgresql":
        pytest.skip("the HTTP contract does not depend on the database: run on PostgreSQL only")
    # The run makes thousands of calls with one key: the rate limit is tested elsewhere.
    settings.CHANCELA_API_RATE_LIMIT = 0
    key = _seed_examples()
    result = subprocess.run(  # noqa: S603 - our own argv
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server_url}/api/v1/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--header",
            f"Authorization: Bearer {key}",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout[-12000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    assert "No issues found" in output or " 0 failures" in output or "passed" in output, output
