"""Examples of the OpenAPI document: one request, response and error per operation.

A test validates every example against its schema, so they cannot drift from the API.
The ids are fixed so that the Schemathesis run can seed objects with them.
"""

from __future__ import annotations

from typing import Any

from chancela.api.error_codes import CATALOGUE

REQUEST_ID = "3f1c2b9e-8d4a-4e6f-9b1a-2c3d4e5f6a7b"
DOCUMENT_ID = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
SIGNER_ID = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
GUARDIAN_ID = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
BATCH_ID = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
BATCH_REQUEST_ID = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"

PDF_BASE64 = "JVBERi0xLjcKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK"

REQUESTS: dict[tuple[str, str], Any] = {
    ("post", "/signature-requests"): {
        "external_id": "MAT-2027-000123",
        "unit": "CENTRO",
        "document_type": "CONTRATO_MATRICULA",
        "title": "Contrato de matrícula 2027 — Ana Souza",
        "documents": [{"filename": "contrato-matricula-2027.pdf", "content_base64": PDF_BASE64}],
        "student": {
            "name": "Ana Souza Lima",
            "email": "ana.souza@example.com",
            "cpf": "529.982.247-25",
            "birth_date": "2011-04-15",
        },
        "guardians": [
            {
                "name": "Maria Souza Lima",
                "email": "maria.souza@example.com",
                "cpf": "111.444.777-35",
                "phone": "11987654321",
                "role": "guardian",
            }
        ],
        "deadline_at": "2027-03-31T18:00:00-03:00",
        "message": "Por favor, assine o contrato de matrícula até o fim do mês.",
    },
    ("post", "/signature-requests/{request_id}/remind"): {"signer_id": GUARDIAN_ID},
    ("post", "/signature-requests/{request_id}/cancel"): {"reason": "Aluno desistiu da matrícula"},
    ("post", "/batches"): {
        "unit": "CENTRO",
        "document_type": "REMATRICULA",
        "title": "Rematrícula 2027",
        "external_id": "REMAT-2027-9A",
        "rows": [
            {
                "student_code": "2027001",
                "student_name": "Ana Souza Lima",
                "student_email": "ana.souza@example.com",
                "student_cpf": "529.982.247-25",
                "student_birth_date": "15/04/2011",
                "guardian_name": "Maria Souza Lima",
                "guardian_email": "maria.souza@example.com",
                "guardian_cpf": "111.444.777-35",
                "guardian_phone": "11987654321",
                "document": {"filename": "2027001.pdf", "content_base64": PDF_BASE64},
            }
        ],
    },
}

_SIGNERS = [
    {
        "id": SIGNER_ID,
        "name": "Ana Souza Lima",
        "email": "ana.souza@example.com",
        "cpf_masked": "***.982.247-**",
        "role": "student",
        "qualification": "sign",
        "group": 1,
        "channel": "email",
        "auths": ["email"],
        "status": "pending",
        "signed_at": None,
        "refused_at": None,
    },
    {
        "id": GUARDIAN_ID,
        "name": "Maria Souza Lima",
        "email": "maria.souza@example.com",
        "cpf_masked": "***.444.777-**",
        "role": "guardian",
        "qualification": "legal_guardian",
        "group": 1,
        "channel": "email",
        "auths": ["email", "selfie"],
        "status": "signed",
        "signed_at": "2027-03-02T10:15:00.123456Z",
        "refused_at": None,
    },
]

SIGNATURE_REQUEST = {
    "id": REQUEST_ID,
    "external_id": "MAT-2027-000123",
    "unit": "CENTRO",
    "document_type": "CONTRATO_MATRICULA",
    "title": "Contrato de matrícula 2027 — Ana Souza",
    "message": "Por favor, assine o contrato de matrícula até o fim do mês.",
    "status": "awaiting_signatures",
    "status_label": "Aguardando assinaturas",
    "environment": "production",
    "sandbox": False,
    "legal_validity": "production",
    "deadline_at": "2027-03-31T21:00:00Z",
    "created_at": "2027-03-01T11:00:00.000001Z",
    "updated_at": "2027-03-02T10:15:00.654321Z",
    "status_changed_at": "2027-03-01T11:00:05.000001Z",
    "last_error": "",
    "student_name": "Ana Souza Lima",
    "capacity_rule": {
        "code": "assisted",
        "description": "16 ou 17 anos: assinam o aluno e o responsável (assistência)",
        "override_reason": "",
    },
    "documents": [
        {
            "id": DOCUMENT_ID,
            "filename": "contrato-matricula-2027.pdf",
            "sha256": "9f2b5c0d4e3a1f6b8c7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f9011223344a",
            "size": 48213,
            "page_count": 3,
            "status": "running",
            "signed_available": False,
            "signed_sha256": None,
            "signed_url": None,
        }
    ],
    "signers": _SIGNERS,
}

_COUNTS = {
    "rows": 1,
    "included": 1,
    "excluded": 0,
    "with_problems": 0,
    "created": 1,
    "failed": 0,
    "pending": 0,
}
BATCH_ROW = {
    "line": 1,
    "student_code": "2027001",
    "external_id": "lote-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b-1",
    "excluded": False,
    "problems": [],
    "duplicate_of": None,
    "state": "created",
    "request_id": BATCH_REQUEST_ID,
    "error": "",
}
BATCH_SUMMARY = {
    "id": BATCH_ID,
    "external_id": "REMAT-2027-9A",
    "unit": "CENTRO",
    "document_type": "REMATRICULA",
    "title": "Rematrícula 2027",
    "status": "done",
    "counts": _COUNTS,
    "file_notes": [],
    "created_at": "2027-03-01T11:00:00.000001Z",
    "updated_at": "2027-03-01T11:00:09.000001Z",
    "started_at": "2027-03-01T11:00:01.000001Z",
    "finished_at": "2027-03-01T11:00:09.000001Z",
}
BATCH = {**BATCH_SUMMARY, "rows": [BATCH_ROW]}
_CANCELED = {
    **SIGNATURE_REQUEST,
    "status": "canceled",
    "status_label": "Cancelado",
    "documents": [{**SIGNATURE_REQUEST["documents"][0], "status": "canceled"}],  # type: ignore[index]
}

RESPONSES: dict[tuple[str, str, int], Any] = {
    ("post", "/signature-requests", 201): SIGNATURE_REQUEST,
    ("post", "/signature-requests", 200): SIGNATURE_REQUEST,
    ("get", "/signature-requests", 200): {"items": [SIGNATURE_REQUEST], "next_cursor": None},
    ("get", "/signature-requests/{request_id}", 200): SIGNATURE_REQUEST,
    ("post", "/signature-requests/{request_id}/remind", 200): {
        "message": "Lembrete enviado a Maria Souza Lima."
    },
    ("post", "/signature-requests/{request_id}/cancel", 200): _CANCELED,
    ("post", "/batches", 201): BATCH,
    ("post", "/batches", 200): BATCH,
    ("get", "/batches", 200): {"items": [BATCH_SUMMARY], "next_cursor": None},
    ("get", "/batches/{batch_id}", 200): BATCH,
    ("get", "/batches/{batch_id}/rows", 200): {"items": [BATCH_ROW], "next_cursor": None},
}

STATUS_CHANGED_EVENT = {
    "type": "signature_request.status_changed",
    "timestamp": "2027-03-02T10:20:00.000001+00:00",
    "data": {
        "id": REQUEST_ID,
        "external_id": "MAT-2027-000123",
        "unit": "CENTRO",
        "document_type": "CONTRATO_MATRICULA",
        "status": "signed",
        "status_label": "Assinado",
        "previous_status": "awaiting_signatures",
        "environment": "production",
        "legally_valid": True,
        "updated_at": "2027-03-02T10:20:00.000001+00:00",
    },
}

_FIELDS = {
    "invalid_input": "signers[1].cpf",
    "cursor_invalid": "cursor",
    "unit_not_found": "unit",
    "document_type_not_found": "document_type",
    "external_id_conflict": "external_id",
    "signer_not_found": "signer_id",
    "invalid_base64": "documents[0].content_base64",
    "pdf_too_large": "documents[0].content_base64",
}


def error_example(code: str) -> dict[str, Any]:
    entry = CATALOGUE[code]
    example: dict[str, Any] = {
        "code": code,
        "message": entry.meaning + (f" {entry.action}" if entry.action else ""),
        "field": _FIELDS.get(code),
    }
    if code == "external_id_conflict":
        example["existing_id"] = REQUEST_ID
    if code == "invalid_input":
        example["message"] = "CPF inválido."
        example["errors"] = [
            {
                "code": "string_pattern_mismatch",
                "message": "CPF inválido.",
                "field": "signers[1].cpf",
            }
        ]
    return example
