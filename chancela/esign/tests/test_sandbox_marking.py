"""Issue 7, item 4: a sandbox request is never legally signed, and its signed PDF carries the
sandbox marking wherever it is shown or downloaded.

The download views live in ``chancela/signing/views.py`` (staff) and ``chancela/api/api.py``
(host API); both name the file and set the header through ``chancela/signing/downloads.py``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from chancela.signing.models import RequestStatus
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    make_api_key,
    make_config,
    make_document_type,
    make_pdf_bytes,
    make_signature_request,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

SUFFIX = "-SANDBOX-sem-validade-juridica.pdf"
HEADER = "X-Chancela-Legal-Validity"


def signed_request(environment: str):
    unit = make_unit()
    document_type = make_document_type(make_config(unit, environment=environment))
    request = make_signature_request(
        unit, document_type, status=RequestStatus.SIGNED, signed_pdf=make_pdf_bytes()
    )
    return unit, request, request.documents.get()


def staff_download(client, unit, request, document):
    client.force_login(make_user(units=[unit], perms=[SEND_DOCUMENTS, MANAGE_CONFIG]))
    return client.get(
        reverse(
            "signing:document_download", args=[request.public_id, document.public_id, "assinado"]
        )
    )


def api_download(client, unit, request, document):
    _, key = make_api_key(units=[unit])
    return client.get(
        f"/api/v1/signature-requests/{request.public_id}/documents/{document.public_id}/signed",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_it_never_marks_a_sandbox_request_as_legally_signed():
    _, sandbox_request, _ = signed_request("sandbox")
    _, production_request, _ = signed_request("production")
    assert sandbox_request.status == production_request.status == RequestStatus.SIGNED
    assert not sandbox_request.legally_valid
    assert production_request.legally_valid


def test_it_marks_a_signed_sandbox_request_on_its_page(client):
    unit, request, document = signed_request("sandbox")
    client.force_login(make_user(units=[unit], perms=[SEND_DOCUMENTS]))
    html = client.get(reverse("signing:request_detail", args=[request.public_id])).content.decode()
    assert "Sandbox — sem validade jurídica" in html
    assert "enviado com uma configuração de homologação" in html


def test_it_marks_the_api_download_of_a_sandbox_signed_pdf_with_a_header(client):
    unit, request, document = signed_request("sandbox")
    response = api_download(client, unit, request, document)
    assert response.status_code == 200
    assert response[HEADER] == "none-sandbox"


def test_it_does_not_mark_a_production_signed_pdf(client):
    unit, request, document = signed_request("production")
    for response in (
        api_download(client, unit, request, document),
        staff_download(client, unit, request, document),
    ):
        assert response.status_code == 200
        assert HEADER not in response or response[HEADER] == "production"
        assert "SANDBOX" not in response["Content-Disposition"]


def test_it_names_the_staff_download_of_a_sandbox_signed_pdf_as_sandbox(client):
    unit, request, document = signed_request("sandbox")
    response = staff_download(client, unit, request, document)
    assert response.status_code == 200
    assert f'{SUFFIX}"' in response["Content-Disposition"]


def test_it_marks_the_staff_download_of_a_sandbox_signed_pdf_with_a_header(client):
    unit, request, document = signed_request("sandbox")
    response = staff_download(client, unit, request, document)
    assert response.status_code == 200
    assert response.get(HEADER) == "none-sandbox"


def test_it_names_the_api_download_of_a_sandbox_signed_pdf_as_sandbox(client):
    unit, request, document = signed_request("sandbox")
    response = api_download(client, unit, request, document)
    assert response.status_code == 200
    assert f'{SUFFIX}"' in response["Content-Disposition"]
