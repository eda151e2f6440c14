"""The published OpenAPI document: valid 3.1, complete, and every example fits its schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from chancela.api.error_codes import CODES
from chancela.api.openapi import OPERATION_ERRORS, PREFIX
from chancela.notifications.services import STATUS_CHANGED, request_status_payload
from chancela.signing.models import RequestStatus
from chancela.testing.factories import make_signature_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # The schema travels with the document's components, so its $refs resolve.
    wrapped = {"allOf": [schema], "components": spec["components"]}
    return Draft202012Validator(wrapped, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example value) for every example the document carries."""
    sections = [("paths", spec["paths"]), ("webhooks", spec.get("webhooks", {}))]
    for section, paths in sections:
        for path, operations in paths.items():
            for method, operation in operations.items():
                where = f"{section} {method.upper()} {path}"
                media_objects = []
                body = operation.get("requestBody", {})
                for media in body.get("content", {}).values():
                    media_objects.append((f"{where} request", media))
                for status, response in operation.get("responses", {}).items():
                    for media in response.get("content", {}).values():
                        media_objects.append((f"{where} {status}", media))
                for label, media in media_objects:
                    if "example" in media:
                        yield label, media["schema"], media["example"]
                    for name, example in media.get("examples", {}).items():
                        yield f"{label} {name}", media["schema"], example["value"]
                for parameter in operation.get("parameters", []):
                    if "example" in parameter:
                        yield (
                            f"{where} {parameter['name']}",
                            parameter["schema"],
                            parameter["example"],
                        )
    for name, schema in spec["components"]["schemas"].items():
        yield from _schema_examples(f"components {name}", schema)


def _schema_examples(where: str, schema: Any) -> Iterator[tuple[str, dict[str, Any], Any]]:
    if isinstance(schema, dict):
        if isinstance(schema.get("examples"), list):
            bare = {k: v for k, v in schema.items() if k != "examples"}
            for example in schema["examples"]:
                yield where, bare, example
        for key, value in schema.items():
            if key != "examples":
                yield from _schema_examples(f"{where}.{key}", value)
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _schema_examples(f"{where}[{index}]", value)


def test_it_publishes_a_valid_openapi_31_document(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_it_validates_every_example_against_its_schema(spec):
    examples = list(_examples(spec))
    where = {label.split(" ")[0] for label, _, _ in examples}
    assert {"paths", "webhooks", "components"} <= where
    assert len(examples) > 100
    problems = []
    for label, schema, value in examples:
        for error in _validator(spec, schema).iter_errors(value):
            problems.append(f"{label}: {error.message} at {list(error.absolute_path)}")
    assert not problems, "\n".join(problems[:20])


def test_it_gives_every_operation_examples_and_its_own_error_list(spec):
    operations = {
        (method, path.removeprefix(PREFIX)): operation
        for path, ops in spec["paths"].items()
        for method, operation in ops.items()
    }
    assert set(operations) == set(OPERATION_ERRORS)
    for key, operation in operations.items():
        responses = operation["responses"]
        success = [s for s in responses if s.startswith("2")]
        assert (
            success
            and all(
                "example" in media for s in success for media in responses[s]["content"].values()
            )
            or key[1].endswith("/signed")
        ), key
        if key[0] == "post":
            assert "example" in operation["requestBody"]["content"]["application/json"], key
            assert {"400", "413", "415", "422"} <= set(responses), key
        else:
            assert not {"400", "413", "415"} & set(responses), key
        assert {"401", "429"} <= set(responses), key
        assert "Retry-After" in responses["429"]["headers"]
        assert "RateLimit" in responses[success[0]]["headers"]
    create = operations[("post", "/signature-requests")]["responses"]
    assert (
        "existing_id"
        in create["409"]["content"]["application/json"]["examples"]["external_id_conflict"]["value"]
    )
    signed = operations[("get", "/signature-requests/{request_id}/documents/{document_id}/signed")]
    assert signed["responses"]["200"]["headers"]["X-Chancela-SHA256"]["required"] is True
    assert "409" not in operations[("get", "/batches")]["responses"]
    links = create["201"]["links"]
    assert links["GetSignatureRequest"]["parameters"] == {"request_id": "$response.body#/id"}
    ids = {op["operationId"] for op in operations.values()}
    assert {link["operationId"] for link in links.values()} <= ids


def test_it_lists_statuses_roles_authentications_and_error_codes_as_enums(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorOut"]["properties"]["code"]["enum"] == list(CODES)
    existing = schemas["ErrorOut"]["properties"]["existing_id"]
    assert {"format": "uuid", "type": "string"} in existing["anyOf"]
    request = schemas["SignatureRequestOut"]["properties"]
    assert request["status"]["enum"] == list(RequestStatus.values)
    signer = schemas["SignerOut"]["properties"]
    assert "selfie" in signer["auths"]["items"]["enum"]
    assert signer["role"]["enum"] == [
        "student",
        "guardian",
        "financial_guardian",
        "institution",
        "witness",
    ]
    assert schemas["BatchSummaryOut"]["properties"]["status"]["enum"] == [
        "draft",
        "running",
        "done",
    ]


def test_it_describes_the_events_sent_to_the_erp_and_a_real_one_fits(spec):
    webhook = spec["webhooks"]["signature_request.status_changed"]["post"]
    assert "HMAC-SHA256" in webhook["description"]
    assert {p["name"] for p in webhook["parameters"]} == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
    request = make_signature_request(status=RequestStatus.SIGNED)
    payload = {
        "type": STATUS_CHANGED,
        "timestamp": "2027-03-02T10:20:00+00:00",
        "data": request_status_payload(request, RequestStatus.AWAITING_SIGNATURES),
    }
    payload = json.loads(json.dumps(payload, default=str))
    schema = webhook["requestBody"]["content"]["application/json"]["schema"]
    errors = [e.message for e in _validator(spec, schema).iter_errors(payload)]
    assert not errors


# Codes no operation answers as such: path-level answers (no operation matched, or a crash)
# and batch rules the one-call batch endpoint turns into a draft batch instead of an error.
NOT_OPERATION_ERRORS = {
    "not_found",
    "method_not_allowed",
    "server_error",
    "batch_not_draft",
    "batch_has_problems",
    "batch_empty",
    "pdf_missing",
}


def test_it_gives_every_catalogued_code_an_operation_that_answers_it():
    listed = {code for codes in OPERATION_ERRORS.values() for code in codes}
    missing = set(CODES) - listed - NOT_OPERATION_ERRORS
    assert not missing, f"add these codes to OPERATION_ERRORS in chancela/api/openapi.py: {missing}"
