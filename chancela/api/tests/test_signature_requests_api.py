from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.api.tests.conftest import Host, body, pdf_b64
from chancela.esign.models import SignatureConfig
from chancela.signing.models import (
    Document,
    RequestStatus,
    SignatureRequest,
    Signer,
    SignerRequirement,
)
from chancela.testing.factories import (
    make_api_key,
    make_config,
    make_cpf,
    make_document_type,
    make_pdf_bomb,
    make_pdf_bytes,
    make_signature_request,
    make_signer_input,
    make_unit,
)

pytestmark = pytest.mark.django_db

TASK_PATH = "chancela.signing.tasks.dispatch_signature_request"


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_it_creates_replays_and_refuses_a_conflicting_resubmission(host: Host):
    first = host.post(body(host.unit.code, host.document_type.code))
    assert first.status_code == 201, first.json()
    created = first.json()
    assert created["status"] == "queued" and created["status_label"] == "Na fila"
    assert created["external_id"] == "MAT-2027-0001"
    assert created["unit"] == "CENTRO" and created["document_type"] == "CONTRATO_MATRICULA"

    again = host.post(body(host.unit.code, host.document_type.code))
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    assert SignatureRequest.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 1

    changed = host.post(body(host.unit.code, host.document_type.code, title="Outro título"))
    assert changed.status_code == 409
    error = changed.json()
    assert error["code"] == "external_id_conflict"
    assert error["field"] == "external_id"
    assert created["id"] in error["message"] and error["existing_id"] == created["id"]
    assert SignatureRequest.objects.count() == 1


def test_it_stores_documents_signers_and_requirements_and_enqueues_the_dispatch(host: Host):
    pdf = make_pdf_bytes(pages=3)
    response = host.post(
        body(
            host.unit.code,
            host.document_type.code,
            documents=[
                {"filename": "../../etc/contrato", "content_base64": base64.b64encode(pdf).decode()}
            ],
        )
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    request = SignatureRequest.objects.get(public_id=data["id"])
    assert request.created_by_api_key == host.api_key
    assert request.environment == "sandbox" and request.config == host.config

    document = Document.objects.get(request=request)
    assert document.filename == "contrato.pdf"
    assert document.page_count == 3
    assert document.original_sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.original_file.read() == pdf
    assert data["documents"][0]["sha256"] == document.original_sha256

    student, payer = Signer.objects.filter(request=request).order_by("position")
    assert (student.role, student.qualification) == ("student", "sign")
    assert (payer.role, payer.qualification) == ("financial_guardian", "contractor")
    assert student.auths == ["email", "selfie"]  # the configuration asks for a selfie
    assert student.cpf == make_cpf(11) and data["signers"][0]["cpf_masked"].startswith("***.")
    # one qualification + two authentications per signer and document
    assert SignerRequirement.objects.filter(request=request).count() == 6

    task = DBTaskResult.objects.get(task_path=TASK_PATH)
    assert task.args_kwargs == {"args": [], "kwargs": {"request_public_id": str(request.public_id)}}
    assert request.events.get().kind == "created"


def test_it_marks_sandbox_responses_without_legal_validity(host: Host):
    response = host.post(body(host.unit.code, host.document_type.code))
    assert response["X-Chancela-Legal-Validity"] == "none-sandbox"
    assert response.json()["sandbox"] is True
    assert response.json()["legal_validity"] == "none-sandbox"
    detail = host.get(f"/{response.json()['id']}")
    assert detail["X-Chancela-Legal-Validity"] == "none-sandbox"


def _signer(host: Host, index: int, **changes: Any) -> dict[str, Any]:
    data = body(host.unit.code, host.document_type.code)
    data["signers"][index].update(changes)
    return data


def _document(content: bytes) -> Callable[[Host], dict[str, Any]]:
    return lambda host: body(
        host.unit.code,
        host.document_type.code,
        documents=[{"filename": "x.pdf", "content_base64": base64.b64encode(content).decode()}],
    )


def _inactive_document_type(host: Host) -> dict[str, Any]:
    host.document_type.active = False
    host.document_type.save()
    return body(host.unit.code, host.document_type.code)


def _inactive_config(host: Host) -> dict[str, Any]:
    SignatureConfig.objects.filter(pk=host.config.pk).update(active=False)
    return body(host.unit.code, host.document_type.code)


def _foreign_unit(host: Host) -> dict[str, Any]:
    other = make_unit(code="NORTE")
    make_document_type(make_config(other), units=[other], code="CONTRATO_NORTE")
    return body("NORTE", "CONTRATO_NORTE")


def _deadline(delta: timedelta) -> Callable[[Host], dict[str, Any]]:
    return lambda host: body(
        host.unit.code,
        host.document_type.code,
        deadline_at=(timezone.now() + delta).isoformat(),
    )


OVERSIZE = make_pdf_bytes() + b"%" + b"0" * (10 * 1024 * 1024)

INVALID_CASES: list[tuple[str, Callable[[Host], dict[str, Any]], int, str, str | None]] = [
    (
        "not a pdf",
        _document(b"PK\x03\x04 planilha.xlsx"),
        422,
        "pdf_not_pdf",
        "documents[0].content_base64",
    ),
    (
        "encrypted pdf",
        _document(make_pdf_bytes(encrypted=True)),
        422,
        "pdf_encrypted",
        "documents[0].content_base64",
    ),
    (
        "pdf with javascript",
        _document(make_pdf_bytes(active="open_action_javascript")),
        422,
        "pdf_javascript",
        "documents[0].content_base64",
    ),
    (
        "pdf with launch action",
        _document(make_pdf_bytes(active="open_action_launch")),
        422,
        "pdf_launch_action",
        "documents[0].content_base64",
    ),
    (
        "pdf with embedded file",
        _document(make_pdf_bytes(active="embedded_file")),
        422,
        "pdf_embedded_file",
        "documents[0].content_base64",
    ),
    (
        "pdf decompression bomb",
        _document(make_pdf_bomb(streams=12, inflated_bytes=70_000_000)),
        422,
        "pdf_too_complex",
        "documents[0].content_base64",
    ),
    (
        "pdf with a javascript: link",
        _document(make_pdf_bytes(active="uri_javascript")),
        422,
        "pdf_javascript",
        "documents[0].content_base64",
    ),
    (
        "pdf with a submit-form button",
        _document(make_pdf_bytes(active="submit_form")),
        422,
        "pdf_remote_action",
        "documents[0].content_base64",
    ),
    ("oversize pdf", _document(OVERSIZE), 413, "pdf_too_large", "documents[0].content_base64"),
    (
        "bad base64",
        lambda h: body(
            h.unit.code,
            h.document_type.code,
            documents=[{"filename": "a.pdf", "content_base64": "%%%não é base64"}],
        ),
        422,
        "invalid_input",  # the schema's pattern refuses it before the service
        "documents[0].content_base64",
    ),
    (
        "no documents",
        lambda h: body(h.unit.code, h.document_type.code, documents=[]),
        422,
        "invalid_input",
        "documents",
    ),
    (
        "one-word name",
        lambda h: _signer(h, 1, name="Vera"),
        422,
        "invalid_input",  # the schema states the full-name pattern
        "signers[1].name",
    ),
    (
        "bad cpf",
        lambda h: _signer(h, 1, cpf="123.456.789-00"),
        422,
        "cpf_invalid",
        "signers[1].cpf",
    ),
    (
        "bad e-mail",
        lambda h: _signer(h, 0, email="gabriela@"),
        422,
        "invalid_input",  # the schema states the e-mail shape
        "signers[0].email",
    ),
    (
        "sms without phone",
        lambda h: _signer(h, 1, channel="sms"),
        422,
        "phone_required",
        "signers[1].phone",
    ),
    (
        "whatsapp to a landline",
        lambda h: _signer(h, 1, channel="whatsapp", phone="1133334444"),
        422,
        "phone_not_mobile",
        "signers[1].phone",
    ),
    (
        "unknown role",
        lambda h: _signer(h, 0, role="diretor"),
        422,
        "invalid_input",
        "signers[0].role",
    ),
    (
        "same e-mail twice",
        lambda h: _signer(h, 1, email="gabriela@example.com"),
        422,
        "duplicate_signer",
        "signers[1].email",
    ),
    (
        "unknown unit",
        lambda h: body("NAO_EXISTE", h.document_type.code),
        404,
        "unit_not_found",
        "unit",
    ),
    ("unit not allowed for the key", _foreign_unit, 404, "unit_not_found", "unit"),
    (
        "unknown document type",
        lambda h: body(h.unit.code, "NAO_EXISTE"),
        404,
        "document_type_not_found",
        "document_type",
    ),
    (
        "inactive document type",
        _inactive_document_type,
        422,
        "document_type_inactive",
        "document_type",
    ),
    ("inactive configuration", _inactive_config, 422, "config_inactive", "document_type"),
    ("deadline in the past", _deadline(-timedelta(days=1)), 422, "deadline_past", "deadline_at"),
    (
        "deadline beyond 90 days",
        _deadline(timedelta(days=91)),
        422,
        "deadline_too_far",
        "deadline_at",
    ),
    (
        "missing title",
        lambda h: {
            k: v for k, v in body(h.unit.code, h.document_type.code).items() if k != "title"
        },
        422,
        "invalid_input",
        "title",
    ),
    (
        "misspelt field",
        lambda h: body(h.unit.code, h.document_type.code, titel="x"),
        422,
        "invalid_input",
        "titel",
    ),
    (
        "bad birth date",
        lambda h: _signer(h, 0, birth_date="31/12/2000"),
        422,
        "invalid_input",
        "signers[0].birth_date",
    ),
    (
        "signers and student",
        lambda h: body(
            h.unit.code,
            h.document_type.code,
            student={"name": "Ana Souza", "email": "ana@example.com", "birth_date": "2015-01-01"},
        ),
        422,
        "signers_and_student",
        "signers",
    ),
]


@pytest.mark.parametrize(
    ("arrange", "status", "code", "field"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_it_refuses_bad_input_with_a_clear_error_and_creates_nothing(
    host: Host, arrange: Callable[[Host], dict[str, Any]], status: int, code: str, field: str | None
):
    response = host.post(arrange(host))
    assert response.status_code == status, response.json()
    error = response.json()
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"] and error["message"].strip()[-1] in ".!)"
    assert not SignatureRequest.objects.exists()
    assert not Document.objects.exists() and not Signer.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert stored_files() == []


def test_it_translates_validation_errors_to_portuguese_with_every_error_listed(host: Host):
    data = body(host.unit.code, host.document_type.code)
    del data["title"]
    data["signers"][0]["group"] = 99
    response = host.post(data)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["title"] == "Campo obrigatório."
    assert errors["signers[0].group"] == "Deve ser no máximo 20."


def test_it_refuses_a_body_larger_than_the_cap_before_reading_it(host: Host):
    response = host.client.post(
        "/api/v1/signature-requests",
        data="{}",
        content_type="application/json",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **host.headers(),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_it_refuses_a_request_whose_documents_exceed_100_mb(host: Host, monkeypatch):
    # Keep the per-file limit, shrink the per-request one so the test stays small.
    monkeypatch.setattr("chancela.core.pdf.MAX_REQUEST_BYTES", 1500)
    data = body(
        host.unit.code,
        host.document_type.code,
        documents=[
            {"filename": f"doc{i}.pdf", "content_base64": pdf_b64(text=f"Documento {i}")}
            for i in range(4)
        ],
    )
    response = host.post(data)
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert stored_files() == []


@pytest.mark.parametrize(
    "header",
    [None, "Token abc", "Bearer ", "Bearer chk_00000000_naoexiste", "Basic dXNlcjpwYXNz"],
    ids=["missing", "wrong scheme", "empty", "unknown key", "basic auth"],
)
def test_it_answers_401_json_without_a_valid_key(host: Host, header: str | None):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = host.client.get("/api/v1/signature-requests", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"
    assert response.json()["field"] is None


def test_it_answers_401_for_a_key_with_the_right_prefix_but_a_wrong_secret(host: Host):
    forged = host.key[:13] + "x" * (len(host.key) - 13)
    response = host.get(key=forged)
    assert response.status_code == 401


def test_it_answers_401_for_a_revoked_key(host: Host):
    assert host.get().status_code == 200
    host.api_key.revoked_at = timezone.now()
    host.api_key.save()
    response = host.get()
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"
    assert host.post(body(host.unit.code, host.document_type.code)).status_code == 401
    assert not SignatureRequest.objects.exists()


def test_it_hides_requests_of_units_the_key_cannot_use(host: Host):
    other = make_unit(code="NORTE")
    foreign = make_signature_request(other, signed_pdf=make_pdf_bytes(), external_id="MAT-NORTE-1")
    document = foreign.documents.get()
    assert host.get(f"/{foreign.public_id}").status_code == 404
    assert host.get(f"/{foreign.public_id}").json()["code"] == "request_not_found"
    signed = host.get(f"/{foreign.public_id}/documents/{document.public_id}/signed")
    assert signed.status_code == 404
    assert host.get(unit="NORTE").status_code == 404
    assert host.get(external_id="MAT-NORTE-1").json()["items"] == []
    # The same request is visible to a key of its own unit.
    _, key_b = make_api_key(units=[other])
    assert host.get(f"/{foreign.public_id}", key=key_b).status_code == 200


def test_it_lists_requests_by_update_time_with_filters_and_a_cursor(host: Host):
    requests = [
        make_signature_request(host.unit, host.document_type, external_id=f"E{i}") for i in range(5)
    ]
    SignatureRequest.objects.filter(pk=requests[1].pk).update(
        status=RequestStatus.SIGNED, updated_at=timezone.now() + timedelta(minutes=5)
    )
    page = host.get(limit=2).json()
    assert [item["external_id"] for item in page["items"]] == ["E0", "E2"]
    page2 = host.get(limit=2, cursor=page["next_cursor"]).json()
    assert [item["external_id"] for item in page2["items"]] == ["E3", "E4"]
    page3 = host.get(limit=2, cursor=page2["next_cursor"]).json()
    assert [item["external_id"] for item in page3["items"]] == ["E1"]
    assert page3["next_cursor"] is None

    assert [i["external_id"] for i in host.get(status="signed").json()["items"]] == ["E1"]
    assert [i["external_id"] for i in host.get(external_id="E3").json()["items"]] == ["E3"]
    after = requests[4].updated_at.isoformat()
    assert [i["external_id"] for i in host.get(updated_after=after).json()["items"]] == ["E1"]
    assert host.get(unit="CENTRO").json()["items"][0]["unit"] == "CENTRO"
    assert host.get(cursor="lixo").json()["code"] == "cursor_invalid"
    assert host.get(status="assinado").status_code == 422


def test_it_serves_the_signed_pdf_only_once_archived(host: Host):
    pending = make_signature_request(host.unit, host.document_type)
    document = pending.documents.get()
    before = host.get(f"/{pending.public_id}/documents/{document.public_id}/signed")
    assert before.status_code == 409
    assert before.json()["code"] == "signed_not_ready"
    assert "Na fila" in before.json()["message"]

    signed_pdf = make_pdf_bytes(text="Assinado")
    done = make_signature_request(
        host.unit, host.document_type, status="signed", signed_pdf=signed_pdf
    )
    doc = done.documents.get()
    detail = host.get(f"/{done.public_id}").json()
    assert detail["documents"][0]["signed_available"] is True
    response = host.client.get(detail["documents"][0]["signed_url"], **host.headers())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Chancela-Legal-Validity"] == "none-sandbox"
    assert b"".join(response.streaming_content) == signed_pdf
    assert response["X-Chancela-SHA256"] == hashlib.sha256(signed_pdf).hexdigest()
    assert (
        'filename="contrato-assinado-SANDBOX-sem-validade-juridica.pdf"'
        in response["Content-Disposition"]
    )

    canceled = make_signature_request(host.unit, host.document_type, status="canceled")
    gone = host.get(f"/{canceled.public_id}/documents/{canceled.documents.get().public_id}/signed")
    assert gone.status_code == 404 and gone.json()["code"] == "signed_not_available"
    unknown = host.get(f"/{done.public_id}/documents/{canceled.documents.get().public_id}/signed")
    assert unknown.status_code == 404 and unknown.json()["code"] == "document_not_found"
    assert doc.signed_sha256


def test_it_resolves_signers_from_a_student_block_and_records_an_explicit_override(host: Host):
    data = body(host.unit.code, host.document_type.code, signers=None)
    # The configuration asks for a selfie: a 17-year-old's needs a recorded justification.
    data["biometrics_justification"] = "Prevenção a fraude na contratação (LGPD art. 11 II g)."
    data["student"] = {
        "name": "Bruno Henrique Lima",
        "email": "bruno@example.com",
        "birth_date": (
            timezone.localdate().replace(year=timezone.localdate().year - 17)
        ).isoformat(),
    }
    data["guardians"] = [{"name": "Carla Lima", "email": "carla@example.com", "role": "guardian"}]
    assisted = host.post(data).json()
    assert [s["role"] for s in assisted["signers"]] == ["student", "guardian"]
    assert assisted["signers"][1]["qualification"] == "legal_guardian"
    assert assisted["capacity_rule"]["code"] == "assisted"
    assert "17 anos" in assisted["capacity_rule"]["description"]
    assert assisted["student_name"] == "Bruno Henrique Lima"

    data["external_id"] = "MAT-OVERRIDE"
    data["capacity_override"] = {
        "signers": "student",
        "reason": "Emancipação registrada em cartório",
    }
    override = host.post(data).json()
    assert [s["role"] for s in override["signers"]] == ["student"]
    assert override["capacity_rule"]["code"] == "override"
    assert override["capacity_rule"]["override_reason"] == "Emancipação registrada em cartório"
    assert "Regra sugerida" in override["capacity_rule"]["description"]


def test_it_accepts_a_data_uri_and_mime_line_breaks_in_base64(host: Host):
    other = base64.b64encode(make_pdf_bytes(text="Outro")).decode()
    wrapped = "\n".join(other[i : i + 76] for i in range(0, len(other), 76))
    assert "\n" in wrapped
    data = body(
        host.unit.code,
        host.document_type.code,
        documents=[
            {"filename": "a.pdf", "content_base64": "data:application/pdf;base64," + pdf_b64()},
            {"filename": "b.pdf", "content_base64": wrapped},
        ],
    )
    response = host.post(data)
    assert response.status_code == 201, response.json()
    assert [d["filename"] for d in response.json()["documents"]] == ["a.pdf", "b.pdf"]


def test_it_serves_a_valid_openapi_document_with_the_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/signature-requests",
        "/api/v1/signature-requests/{request_id}",
        "/api/v1/signature-requests/{request_id}/documents/{document_id}/signed",
        "/api/v1/signature-requests/{request_id}/remind",
        "/api/v1/signature-requests/{request_id}/cancel",
    }
    assert set(paths["/api/v1/signature-requests"]) == {"get", "post"}
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    create = paths["/api/v1/signature-requests"]["post"]
    assert {"200", "201", "401", "409", "422"} <= set(create["responses"])
    remind = paths["/api/v1/signature-requests/{request_id}/remind"]["post"]
    assert {"200", "404", "409", "429"} <= set(remind["responses"])


def test_it_uses_the_explicit_signers_given_without_the_capacity_rule(host: Host):
    request = make_signature_request(
        host.unit, host.document_type, signers=[make_signer_input(role="witness", group=2)]
    )
    response = host.get(f"/{request.public_id}").json()
    assert response["capacity_rule"]["code"] == "explicit"
    assert response["signers"][0]["qualification"] == "witness"
    assert response["signers"][0]["group"] == 2
