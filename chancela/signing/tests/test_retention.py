"""Retention: with a frozen clock, exactly the rows past their period are anonymised; signed
PDFs and their hashes stay; a second run changes nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from chancela.batches.models import BatchRow
from chancela.batches.tests.helpers import good_row, make_batch
from chancela.callbacks.models import CallbackState, InboundCallback
from chancela.core.periodic import PERIODIC_JOBS
from chancela.signing.models import (
    Document,
    PrivacyAuditEntry,
    RequestEvent,
    SignatureRequest,
    Signer,
)
from chancela.signing.retention import retention_apply
from chancela.signing.tasks import apply_retention
from chancela.signing.verification import document_verify_sha256
from chancela.testing.factories import (
    make_config,
    make_document_type,
    make_pdf_bytes,
    make_signature_request,
    make_signer_input,
    make_unit,
)

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(timezone.datetime(2027, 3, 1, 3, 0))
SIGNED_PDF = make_pdf_bytes(text="via assinada")


def _request(unit, document_type, *, status: str, days_ago: int, name: str) -> SignatureRequest:
    request = make_signature_request(
        unit,
        document_type,
        title=f"Contrato — {name}",
        signers=[make_signer_input(name=name, phone="11987654321")],
        status=status,
        signed_pdf=SIGNED_PDF if status == "signed" else None,
    )
    SignatureRequest.objects.filter(pk=request.pk).update(
        status_changed_at=NOW - timedelta(days=days_ago)
    )
    return request


def _batch_row(unit, document_type, *, days_ago: int, n: int) -> BatchRow:
    batch = make_batch(unit, document_type, [good_row(n)])
    row = batch.rows.get()
    BatchRow.objects.filter(pk=row.pk).update(processed_at=NOW - timedelta(days=days_ago))
    row.refresh_from_db()
    return row


def _callback(request: SignatureRequest, *, days_ago: int, n: int) -> InboundCallback:
    body = f'{{"event": {{"name": "sign", "n": {n}, "cpf": "52998224725"}}}}'
    return InboundCallback.objects.create(
        config=request.config,
        unit=request.unit,
        request=request,
        received_at=NOW - timedelta(days=days_ago),
        body=body,
        body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        event_key=f"sign-{n}",
        event_name="sign",
        state=CallbackState.PROCESSED,
    )


def _snapshot() -> list[Any]:
    return [
        list(SignatureRequest.objects.order_by("pk").values()),
        list(Signer.objects.order_by("pk").values()),
        list(Document.objects.order_by("pk").values()),
        list(RequestEvent.objects.order_by("pk").values("pk", "message", "data")),
        list(BatchRow.objects.order_by("pk").values()),
        sorted(InboundCallback.objects.values_list("pk", flat=True)),
        PrivacyAuditEntry.objects.count(),
    ]


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    unit = make_unit()
    document_type = make_document_type(
        make_config(unit),
        name="Contrato de matrícula",
        retention_signed_days=100,
        retention_unsigned_days=10,
        retention_batch_rows_days=5,
        retention_callbacks_days=3,
    )
    kw = {"unit": unit, "document_type": document_type}
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        w = {
            "signed_old": _request(status="signed", days_ago=101, name="Ana Velha Souza", **kw),
            "signed_young": _request(status="signed", days_ago=99, name="Bia Nova Souza", **kw),
            "canceled_old": _request(status="canceled", days_ago=11, name="Caio Velho Lima", **kw),
            "failed_young": _request(status="failed", days_ago=9, name="Davi Novo Lima", **kw),
            "running_ancient": _request(
                status="awaiting_signatures", days_ago=900, name="Eva Antiga Reis", **kw
            ),
            "row_old": _batch_row(days_ago=6, n=1, **kw),
            "row_young": _batch_row(days_ago=4, n=2, **kw),
        }
    w["callback_old"] = _callback(w["signed_young"], days_ago=4, n=1)
    w["callback_young"] = _callback(w["signed_young"], days_ago=2, n=2)
    return w


def test_it_anonymises_exactly_what_is_past_its_period_and_keeps_the_signed_pdf(world, capsys):
    signed_old = world["signed_old"]
    document = signed_old.documents.get()
    original_name, signed_name = document.original_file.name, document.signed_file.name
    assert default_storage.exists(original_name) and default_storage.exists(signed_name)

    with time_machine.travel(NOW, tick=False):
        call_command("apply_retention")  # dry run: lists, changes nothing
        listed = capsys.readouterr().out
        before = _snapshot()
        assert _snapshot() == before
        assert f"solicitação {signed_old.public_id} (signed)" in listed
        assert f"solicitação {world['canceled_old'].public_id} (canceled)" in listed
        assert f"linha {world['row_old'].line}" in listed
        assert f"retorno sign #{world['callback_old'].pk}" in listed
        assert "4 item(ns) seriam anonimizados" in listed
        for young in ("signed_young", "failed_young", "running_ancient"):
            assert str(world[young].public_id) not in listed

        report = retention_apply()

    assert report.counts == {
        "signed_request": 1,
        "unsigned_request": 1,
        "batch_row": 1,
        "callback": 1,
    }
    for key in ("signed_old", "canceled_old"):
        request = SignatureRequest.objects.get(pk=world[key].pk)
        assert request.anonymised_at == NOW
        assert request.title == "Contrato de matrícula (anonimizado)"
        assert request.student_name == "" and request.capacity_rule == ""
        signer = request.signers.get()
        assert (signer.name, signer.email, signer.cpf, signer.phone) == (
            "Pessoa anonimizada",
            "",
            "",
            "",
        )
        assert signer.role == "student" and signer.qualification == "sign"
        texts = " ".join(request.events.values_list("message", flat=True))
        assert "Velh" not in texts and "Dados pessoais anonimizados" in texts
    # The signed PDF and its hash stay (and still verify); the original is gone.
    document.refresh_from_db()
    assert document.signed_sha256 == hashlib.sha256(SIGNED_PDF).hexdigest()
    assert default_storage.exists(signed_name) and not default_storage.exists(original_name)
    assert document_verify_sha256(sha256=document.signed_sha256) is not None
    # The young ones and the request still in progress are untouched.
    for key in ("signed_young", "failed_young", "running_ancient"):
        request = SignatureRequest.objects.get(pk=world[key].pk)
        assert request.anonymised_at is None and request.title.startswith("Contrato — ")
        assert request.signers.get().cpf
    row_old, row_young = (BatchRow.objects.get(pk=world[k].pk) for k in ("row_old", "row_young"))
    assert row_old.data == {} and row_old.anonymised_at == NOW and not row_old.pdf_path
    assert row_young.data["student_name"] and row_young.anonymised_at is None
    assert set(InboundCallback.objects.values_list("pk", flat=True)) == {world["callback_young"].pk}
    audit = PrivacyAuditEntry.objects.get()
    assert audit.action == "retention" and audit.counts == report.counts

    # A second run (the next day's job) changes nothing.
    after = _snapshot()
    with time_machine.travel(NOW, tick=False):
        assert retention_apply().total == 0
        assert apply_retention.call() == 0
        call_command("apply_retention")
    assert _snapshot() == after
    assert "0 item(ns) seriam anonimizados" in capsys.readouterr().out


def test_it_runs_the_retention_daily():
    [job] = [j for j in PERIODIC_JOBS if j.task_path == "chancela.signing.tasks.apply_retention"]
    assert job.every_seconds == 86400


def test_it_still_shows_an_anonymised_request_on_the_staff_pages(client, world):
    from chancela.testing.factories import SEND_DOCUMENTS, make_user

    with time_machine.travel(NOW, tick=False):
        retention_apply()
    request = SignatureRequest.objects.get(pk=world["signed_old"].pk)
    client.force_login(make_user(units=[request.unit], perms=[SEND_DOCUMENTS]))
    detail = client.get(f"/solicitacoes/{request.public_id}/").content.decode()
    assert "Contrato de matrícula (anonimizado)" in detail and "Ana Velha" not in detail
    assert "Dados pessoais anonimizados" in detail
    listing = client.get("/solicitacoes/").content.decode()
    assert "Contrato de matrícula (anonimizado)" in listing
    assert client.get("/solicitacoes/exportar.csv").status_code == 200
    receipt = client.get(f"/solicitacoes/{request.public_id}/comprovante/").content.decode()
    assert request.documents.get().signed_sha256 in receipt
