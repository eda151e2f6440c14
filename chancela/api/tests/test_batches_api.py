"""``/api/v1/batches``: the host sends a class at once; pre-flight, start, progress, scoping."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chancela.batches.models import Batch, BatchStatus
from chancela.batches.services import batch_process
from chancela.batches.tests.helpers import good_row, pdf
from chancela.signing.models import SignatureRequest
from chancela.testing.factories import make_api_key, make_config, make_document_type, make_unit

pytestmark = pytest.mark.django_db
URL = "/api/v1/batches"


@pytest.fixture
def host(client):
    unit = make_unit(code="CENTRO")
    make_document_type(make_config(unit), code="REMATRICULA")
    _, key = make_api_key(units=[unit])
    return client, key, unit


def api_row(n: int, **overrides: str) -> dict[str, Any]:
    row: dict[str, Any] = dict(good_row(n, **overrides))
    row["document"] = {
        "filename": f"{row['student_code']}.pdf",
        "content_base64": base64.b64encode(pdf()).decode(),
    }
    return row


def post(client, key, body):
    return client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def body(rows, **extra):
    return {
        "unit": "CENTRO",
        "document_type": "REMATRICULA",
        "title": "Rematrícula",
        "rows": rows,
        **extra,
    }


def test_it_creates_and_starts_a_clean_batch(host):
    client, key, _ = host
    response = post(client, key, body([api_row(1), api_row(2)]))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "running" and data["counts"]["with_problems"] == 0
    assert data["rows"][0]["external_id"] == f"lote-{data['id']}-1"
    batch_process(batch_id=data["id"])
    detail = client.get(f"{URL}/{data['id']}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert detail["status"] == "done" and detail["counts"]["created"] == 2
    assert {r["state"] for r in detail["rows"]} == {"created"}
    assert SignatureRequest.objects.filter(public_id=detail["rows"][0]["request_id"]).exists()


def test_it_lists_every_rows_problems_and_sends_nothing(host):
    client, key, _ = host
    rows = [api_row(1), api_row(2, student_email="x", guardian_name="Carlos"), api_row(3)]
    rows[2]["student_code"] = rows[0]["student_code"]
    data = post(client, key, body(rows)).json()
    assert data["status"] == "draft" and data["counts"]["with_problems"] == 2
    assert [p["code"] for p in data["rows"][1]["problems"]] == ["email_invalid", "name_incomplete"]
    assert data["rows"][2]["duplicate_of"] == 1
    assert SignatureRequest.objects.count() == 0


def test_it_excludes_rows_with_problems_when_asked(host):
    client, key, _ = host
    rows = [api_row(1), api_row(2, student_cpf="123")]
    data = post(client, key, body(rows, exclude_rows_with_problems=True)).json()
    assert data["status"] == "running"
    assert [r["excluded"] for r in data["rows"]] == [False, True]


def test_it_flags_an_invalid_pdf_on_its_row(host):
    client, key, _ = host
    rows = [api_row(1)]
    rows[0]["document"]["content_base64"] = base64.b64encode(b"not a pdf").decode()
    data = post(client, key, body(rows)).json()
    assert data["status"] == "draft"
    assert [p["code"] for p in data["rows"][0]["problems"]] == ["pdf_not_pdf"]


def test_it_points_at_a_bad_base64_by_its_row(host):
    client, key, _ = host
    rows = [api_row(1), api_row(2)]
    rows[1]["document"]["content_base64"] = "###"
    response = post(client, key, body(rows))
    assert response.status_code == 422
    assert response.json()["field"] == "rows[1].document.content_base64"
    assert Batch.objects.count() == 0


def test_it_returns_the_same_batch_for_the_same_external_id_and_content(host):
    client, key, _ = host
    first = post(client, key, body([api_row(1)], external_id="TURMA-9A"))
    again = post(client, key, body([api_row(1)], external_id="TURMA-9A"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Batch.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Rematrícula 2028"},
        {"rows": [api_row(1), api_row(2)]},
        {"rows": [api_row(1, student_email="outro@example.com")]},
    ],
    ids=["title", "one more row", "a row's field"],
)
def test_it_refuses_the_same_external_id_with_other_content(host, change):
    client, key, _ = host
    first = post(client, key, body([api_row(1)], external_id="TURMA-9A")).json()
    response = post(client, key, {**body([api_row(1)], external_id="TURMA-9A"), **change})
    assert response.status_code == 409, response.content
    data = response.json()
    assert data["code"] == "external_id_conflict" and data["field"] == "external_id"
    assert data["existing_id"] == first["id"]
    assert "outro conteúdo" in data["message"]
    assert Batch.objects.count() == 1


def test_it_refuses_the_same_external_id_with_another_pdf(host):
    client, key, _ = host
    post(client, key, body([api_row(1)], external_id="TURMA-9A"))
    row = api_row(1)
    row["document"]["content_base64"] = base64.b64encode(pdf() + b"\n%outro\n").decode()
    response = post(client, key, body([row], external_id="TURMA-9A"))
    assert response.status_code == 409 and response.json()["code"] == "external_id_conflict"


def test_it_lists_batches_by_last_change_with_a_cursor(host):
    client, key, unit = host
    ids = [post(client, key, body([api_row(n)])).json()["id"] for n in range(1, 4)]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    first = client.get(URL, {"limit": 2}, **auth).json()
    assert [b["id"] for b in first["items"]] == ids[:2] and "rows" not in first["items"][0]
    second = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}, **auth).json()
    assert [b["id"] for b in second["items"]] == ids[2:] and second["next_cursor"] is None
    stamp = first["items"][1]["updated_at"]
    later = client.get(URL, {"updated_after": stamp}, **auth).json()
    assert [b["id"] for b in later["items"]] == ids[2:]
    batch_process(batch_id=ids[0])
    changed = client.get(URL, {"updated_after": stamp}, **auth).json()
    assert [b["id"] for b in changed["items"]] == [ids[2], ids[0]]
    assert changed["items"][1]["status"] == "done"
    foreign = make_unit(code="NORTE")
    _, other_key = make_api_key(units=[foreign])
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {other_key}").json()["items"] == []


def test_it_pages_a_batchs_rows_with_their_request_ids(host):
    client, key, _ = host
    data = post(client, key, body([api_row(n) for n in range(1, 6)])).json()
    batch_process(batch_id=data["id"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    page = client.get(f"{URL}/{data['id']}/rows", {"limit": 3}, **auth).json()
    assert [r["line"] for r in page["items"]] == [1, 2, 3] and page["next_cursor"] == "3"
    rest = client.get(f"{URL}/{data['id']}/rows", {"cursor": "3"}, **auth).json()
    assert [r["line"] for r in rest["items"]] == [4, 5] and rest["next_cursor"] is None
    request_ids = {r["request_id"] for r in page["items"] + rest["items"]}
    assert request_ids == {
        str(p) for p in SignatureRequest.objects.values_list("public_id", flat=True)
    }


def test_it_refuses_unknown_fields_and_a_foreign_unit(host):
    client, key, _ = host
    rows = [api_row(1)]
    rows[0]["nome"] = "x"
    assert post(client, key, body(rows)).status_code == 422
    make_unit(code="NORTE")
    response = post(client, key, {**body([api_row(1)]), "unit": "NORTE"})
    assert response.status_code == 404 and response.json()["code"] == "unit_not_found"


def test_it_answers_404_for_a_batch_of_another_key(host):
    client, key, _ = host
    data = post(client, key, body([api_row(1)])).json()
    other = make_unit()
    _, other_key = make_api_key(units=[other])
    response = client.get(f"{URL}/{data['id']}", HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert response.status_code == 404 and response.json()["code"] == "batch_not_found"


def test_it_documents_the_batch_endpoints_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/batches" in schema["paths"] and "/api/v1/batches/{batch_id}" in schema["paths"]
    assert "BatchRowIn" in schema["components"]["schemas"]
    assert Batch.objects.filter(status=BatchStatus.DRAFT).count() == 0
