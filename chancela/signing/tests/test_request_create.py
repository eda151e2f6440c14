"""signature_request_create: the outbox row, all-or-nothing writes, fixed signers, auths."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from chancela.esign.models import DocumentTypeSigner
from chancela.signing.errors import SigningError
from chancela.signing.inputs import DocumentInput
from chancela.signing.models import Document, SignatureRequest, Signer, SignerRequirement
from chancela.signing.planning import signature_request_plan
from chancela.signing.services import signature_request_create
from chancela.testing.factories import (
    make_config,
    make_document_type,
    make_document_type_signer,
    make_pdf_bytes,
    make_person,
    make_signature_request,
    make_signer_input,
    make_unit,
)

pytestmark = pytest.mark.django_db


def files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def arguments(document_type, **overrides):
    data = {
        "unit": document_type.units.get(),
        "document_type": document_type,
        "title": "Declaração",
        "documents": [
            DocumentInput(filename="a.pdf", content=make_pdf_bytes(text="A")),
            DocumentInput(filename="b.pdf", content=make_pdf_bytes(text="B")),
        ],
        "signers": [make_signer_input()],
    }
    data.update(overrides)
    return data


def test_it_enqueues_the_dispatch_in_the_same_transaction_as_the_request():
    document_type = make_document_type(make_config(make_unit()))
    with pytest.raises(RuntimeError), transaction.atomic():
        signature_request_create(**arguments(document_type))
        assert SignatureRequest.objects.count() == 1
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("the caller's transaction fails after the service returned")
    assert not SignatureRequest.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_it_leaves_no_rows_and_no_files_when_the_enqueue_fails(monkeypatch):
    document_type = make_document_type(make_config(make_unit()))

    def broken_enqueue(self, task, args, kwargs):
        raise ConnectionError("queue unavailable")

    # The last write of the transaction fails: everything before it must go too.
    monkeypatch.setattr(DatabaseBackend, "enqueue", broken_enqueue)
    with pytest.raises(ConnectionError):
        signature_request_create(**arguments(document_type))
    assert not SignatureRequest.objects.exists()
    assert not Document.objects.exists() and not Signer.objects.exists()
    assert not SignerRequirement.objects.exists()
    assert files() == []


def test_it_leaves_no_file_behind_when_the_second_document_is_refused():
    document_type = make_document_type(make_config(make_unit()))
    bad = arguments(
        document_type,
        documents=[
            DocumentInput(filename="ok.pdf", content=make_pdf_bytes()),
            DocumentInput(filename="js.pdf", content=make_pdf_bytes(active="names_javascript")),
        ],
    )
    with pytest.raises(SigningError) as error:
        signature_request_create(**bad)
    assert error.value.field == "documents[1].content_base64"
    assert files() == [] and not SignatureRequest.objects.exists()


def test_it_adds_the_document_types_signers_of_the_unit_with_a_delegate_when_active():
    unit, other = make_unit(), make_unit()
    config = make_config(unit)
    from chancela.institutions.models import SharingType
    from chancela.testing.factories import set_sharing

    set_sharing(SharingType.ALL)
    document_type = make_document_type(config, units=[unit, other])
    director = make_person(unit, name="Helena Duarte")
    deputy = make_person(unit, name="Roberto Nunes")
    witness = make_person(unit, name="Fernanda Costa")
    make_document_type_signer(document_type, director, delegate=deputy, group=2)
    make_document_type_signer(document_type, witness, role=DocumentTypeSigner.Role.WITNESS, group=3)
    make_document_type_signer(document_type, make_person(other, name="Diretor Outra Unidade"))

    plan = signature_request_plan(
        unit=unit, document_type=document_type, signers=[make_signer_input(name="Ana Souza")]
    )
    assert [(s.name, s.role, s.qualification, s.group) for s in plan.signers] == [
        ("Ana Souza", "student", "sign", 1),
        ("Helena Duarte", "institution", "contractee", 2),
        ("Fernanda Costa", "witness", "witness", 3),
    ]
    DocumentTypeSigner.objects.filter(person=director).update(delegate_active=True)
    plan = signature_request_plan(
        unit=unit, document_type=document_type, signers=[make_signer_input(name="Ana Souza")]
    )
    assert plan.signers[1].name == "Roberto Nunes"
    assert plan.signers[1].note == "no lugar de Helena Duarte (substituição)"


def test_it_allows_a_request_signed_only_by_the_document_types_signers():
    unit = make_unit()
    document_type = make_document_type(make_config(unit))
    make_document_type_signer(document_type, make_person(unit, name="Roberto Nunes"), group=1)
    request = signature_request_create(**arguments(document_type, signers=[])).request
    assert [s.name for s in request.signers.all()] == ["Roberto Nunes"]


def test_it_asks_the_authentications_of_the_configuration_and_one_token_channel():
    unit = make_unit()
    config = make_config(
        unit, require_selfie=True, require_handwritten=True, require_official_document=True
    )
    document_type = make_document_type(config, student_contracts=True)
    request = signature_request_create(
        **arguments(
            document_type,
            signers=[
                make_signer_input(channel="whatsapp", phone="(11) 98765-4321"),
                make_signer_input(role="guardian"),
            ],
        )
    ).request
    first, second = request.signers.all()
    assert first.auths == ["whatsapp", "selfie", "handwritten", "official_document"]
    assert first.phone == "11987654321" and first.channel == "whatsapp"
    assert first.qualification == "contractor"  # the student contracts on this document type
    assert second.auths == ["email", "selfie", "handwritten", "official_document"]
    assert second.qualification == "legal_guardian"
    # 2 documents x 2 signers x (1 qualification + 4 authentications)
    assert request.requirements.count() == 20
    assert request.remind_interval == document_type.remind_interval
    assert request.message == document_type.message


def test_it_refuses_two_documents_with_the_same_name():
    document_type = make_document_type(make_config(make_unit()))
    with pytest.raises(SigningError) as error:
        signature_request_create(
            **arguments(
                document_type,
                documents=[
                    DocumentInput(filename="a.pdf", content=make_pdf_bytes(text="1")),
                    DocumentInput(filename="A.PDF", content=make_pdf_bytes(text="2")),
                ],
            )
        )
    assert error.value.code == "document_duplicate_name"


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_enqueued_dispatch_with_the_request_id(emulated_config):
    from django.core.management import call_command

    document_type = make_document_type(emulated_config)
    request = make_signature_request(emulated_config.unit, document_type)
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    task = DBTaskResult.objects.get()
    assert task.status == "SUCCESSFUL", task.traceback
    assert task.return_value == "done"
    assert task.args_kwargs["kwargs"] == {"request_public_id": str(request.public_id)}
    request.refresh_from_db()
    assert request.status == "awaiting_signatures"
