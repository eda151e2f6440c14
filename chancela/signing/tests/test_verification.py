"""The public verification page (no login) and the request's receipt with its QR code."""

from __future__ import annotations

import html as html_lib
from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from chancela.signing.models import SignatureRequest
from chancela.signing.verification import verification_code
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_pdf_bytes,
    make_signature_request,
    make_signer_input,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/verificar/"
SIGNED = make_pdf_bytes(text="Contrato assinado por Gabriela Moura Lima")


def _signed_request(*, production: bool, content: bytes = SIGNED) -> SignatureRequest:
    unit = make_unit(name="Colégio Centro")
    document_type = make_document_type(make_config(unit), name="Contrato de matrícula")
    request = make_signature_request(
        unit,
        document_type,
        title="Contrato de matrícula — Gabriela Moura Lima",
        signers=[
            make_signer_input(
                name="Gabriela Moura Lima", email="gabriela@example.com", cpf="52998224725"
            )
        ],
        status="signed",
        signed_pdf=content,
    )
    if production:
        SignatureRequest.objects.filter(pk=request.pk).update(environment="production")
        request.refresh_from_db()
    return request


def _upload(client: Client, content: bytes, **extra: str) -> tuple[int, str]:
    upload = BytesIO(content)
    upload.name = "recebido.pdf"
    response = client.post(URL, {"arquivo": upload}, **extra)
    return response.status_code, html_lib.unescape(response.content.decode())


def _assert_discloses_no_person(page: str) -> None:
    for secret in ("Gabriela", "gabriela@example.com", "52998224725", "529.982.247-25"):
        assert secret not in page


def test_it_confirms_a_genuine_signed_pdf_without_login_and_without_names(client):
    request = _signed_request(production=True)
    status, page = _upload(client, SIGNED)
    assert status == 200
    assert "Documento autêntico" in page
    assert "Contrato de matrícula" in page and "Colégio Centro" in page
    document = request.documents.get()
    assert timezone.localtime(document.signed_archived_at).strftime("%d/%m/%Y") in page
    assert verification_code(document.signed_sha256) in page
    assert "sem validade jurídica" not in page
    _assert_discloses_no_person(page)


def test_it_does_not_recognise_a_pdf_altered_by_one_byte(client):
    _signed_request(production=True)
    altered = bytearray(SIGNED)
    altered[len(altered) // 2] ^= 0x01
    status, page = _upload(client, bytes(altered))
    assert status == 200
    assert "Documento não reconhecido" in page and "Documento autêntico" not in page


def test_it_always_says_a_sandbox_document_has_no_legal_validity(client):
    _signed_request(production=False)
    status, page = _upload(client, SIGNED)
    assert status == 200
    assert "Sandbox — sem validade jurídica" in page
    assert "Documento autêntico" not in page
    _assert_discloses_no_person(page)


def test_it_does_not_recognise_an_unknown_pdf_or_code(client):
    _signed_request(production=True)
    assert "Documento não reconhecido" in _upload(client, make_pdf_bytes(text="outro"))[1]
    unknown = client.post(URL, {"codigo": "0000-0000-0000-0000"})
    assert "Nenhum documento assinado tem este código" in html_lib.unescape(
        unknown.content.decode()
    )
    invalid = client.post(URL, {"codigo": "não é um código"})
    assert invalid.status_code == 400
    assert "Código inválido" in html_lib.unescape(invalid.content.decode())


def test_it_finds_a_document_by_the_code_printed_on_the_receipt(client):
    request = _signed_request(production=True)
    code = verification_code(request.documents.get().signed_sha256)
    page = html_lib.unescape(
        client.get(URL, {"codigo": code.lower().replace("-", " ")}).content.decode()
    )
    assert "Documento autêntico" in page and "Contrato de matrícula" in page
    _assert_discloses_no_person(page)


def test_it_limits_the_lookups_of_one_address(client, settings):
    settings.CHANCELA_VERIFY_RATE_LIMIT = 3
    settings.CHANCELA_VERIFY_RATE_WINDOW_SECONDS = 600
    _signed_request(production=True)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert _upload(client, SIGNED)[0] == 200
        status, page = _upload(client, SIGNED)
        assert status == 429 and "Muitas consultas" in page
        assert client.post(URL, {"codigo": "0000-0000-0000-0000"}).status_code == 429
        # Another address is counted apart; a plain visit of the page is not a lookup.
        assert _upload(client, SIGNED, REMOTE_ADDR="10.0.0.9")[0] == 200
        assert client.get(URL).status_code == 200
    with time_machine.travel(start + timedelta(seconds=601), tick=False):
        assert _upload(client, SIGNED)[0] == 200


def test_it_prints_a_receipt_with_the_code_and_a_qr_code_pointing_to_the_page(client, settings):
    settings.PUBLIC_URL = "https://chancela.escola.example"
    request = _signed_request(production=True)
    user = make_user(units=[request.unit], perms=[SEND_DOCUMENTS])
    client.force_login(user)
    detail = client.get(f"/solicitacoes/{request.public_id}/").content.decode()
    receipt_url = f"/solicitacoes/{request.public_id}/comprovante/"
    assert receipt_url in detail
    page = html_lib.unescape(client.get(receipt_url).content.decode())
    document = request.documents.get()
    code = verification_code(document.signed_sha256)
    assert code in page and document.signed_sha256 in page
    assert f"https://chancela.escola.example/verificar/?codigo={code}" in page
    assert '<svg width="' in page and 'class="segno"' in page
    assert "<script" not in page.split("<main", 1)[1] and "style=" not in page
    # The code on the receipt opens the public page's answer.
    anonymous = Client()
    answer = html_lib.unescape(anonymous.get(URL, {"codigo": code}).content.decode())
    assert "Documento autêntico" in answer


def test_it_shows_a_receipt_only_to_users_of_the_requests_unit(client):
    request = _signed_request(production=True)
    receipt_url = f"/solicitacoes/{request.public_id}/comprovante/"
    assert client.get(receipt_url).status_code == 302  # login first
    client.force_login(make_user(units=[make_unit()], perms=[SEND_DOCUMENTS]))
    assert client.get(receipt_url).status_code == 404
