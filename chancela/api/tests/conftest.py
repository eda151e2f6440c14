from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest

from chancela.api.models import ApiKey
from chancela.esign.models import DocumentType, SignatureConfig
from chancela.institutions.models import Unit
from chancela.testing.factories import (
    make_api_key,
    make_config,
    make_cpf,
    make_document_type,
    make_pdf_bytes,
    make_unit,
)

URL = "/api/v1/signature-requests"


@dataclass
class Host:
    unit: Unit
    config: SignatureConfig
    document_type: DocumentType
    api_key: ApiKey
    key: str
    client: Any

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {key or self.key}"}

    def post(self, body: dict[str, Any], key: str | None = None) -> Any:
        return self.client.post(
            URL, data=json.dumps(body), content_type="application/json", **self.headers(key)
        )

    def get(self, path: str = "", key: str | None = None, **params: Any) -> Any:
        return self.client.get(URL + path, params, **self.headers(key))


def pdf_b64(**kwargs: Any) -> str:
    return base64.b64encode(make_pdf_bytes(**kwargs)).decode()


def body(unit_code: str, document_type_code: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": "MAT-2027-0001",
        "unit": unit_code,
        "document_type": document_type_code,
        "title": "Contrato de matrícula 2027 — Gabriela Moura",
        "documents": [{"filename": "contrato.pdf", "content_base64": pdf_b64()}],
        "signers": [
            {
                "name": "Gabriela Moura Teixeira",
                "email": "gabriela@example.com",
                "cpf": make_cpf(11),
                "phone": "11987654321",
                "birth_date": "2000-05-10",
                "role": "student",
                "group": 1,
            },
            {
                "name": "Vera Barbosa Melo",
                "email": "vera@example.com",
                "cpf": make_cpf(12),
                "role": "financial_guardian",
            },
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def host(client: Any) -> Host:
    unit = make_unit(code="CENTRO", name="Colégio Centro")
    config = make_config(unit, require_selfie=True)
    document_type = make_document_type(config, code="CONTRATO_MATRICULA", name="Contrato")
    api_key, key = make_api_key(units=[unit], name="ERP")
    return Host(unit, config, document_type, api_key, key, client)
