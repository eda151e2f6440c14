"""End to end through the real processes: the host ERP sends through the API (gunicorn), the
worker runs the dispatch saga, a signer signs in the emulator, the emulator delivers its
webhooks by itself (automatic mode) to the real endpoint, and the worker archives the PDF."""

from __future__ import annotations

import base64
import hashlib
import time

import httpx
import pytest

from chancela.esign.connection import signature_config_register_webhook
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.testing.clicksign import point_clicksign_at
from chancela.testing.factories import (
    make_api_key,
    make_config,
    make_cpf,
    make_document_type,
    make_pdf_bytes,
    make_unit,
)
from chancela.testing.processes import (
    free_port,
    process_env,
    running,
    wait_for_http,
    web_process,
    worker_process,
)
from clicksign_emulator import DEMO_API_USER_EMAIL
from clicksign_emulator.testing import make_emulator_fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

e2e_emulator = make_emulator_fixture("e2e_emulator", rate_limit=1000)


def _wait_for(predicate, what: str, processes, timeout: float = 90.0):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in processes)
    raise AssertionError(f"{what} did not happen\n{logs}")


def _request_json(external_id: str, pdf: bytes) -> dict:
    return {
        "external_id": external_id,
        "unit": "E2E",
        "document_type": "CONTRATO",
        "title": "Contrato de ponta a ponta",
        "documents": [
            {"filename": "contrato.pdf", "content_base64": base64.b64encode(pdf).decode()}
        ],
        "signers": [
            {"name": "Gabriela Moura Teixeira", "email": "gabriela@example.com",
             "cpf": make_cpf(11), "birth_date": "2000-05-10", "role": "student"},
        ],
    }  # fmt: skip


def _arrange(emulator, settings) -> tuple[int, str, str]:  # noqa: ANN001
    """Unit E2E, its configuration on the emulator (webhook registered), document type
    CONTRATO and an API key; the web server's port, base URL and the key."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings.PUBLIC_URL = base
    point_clicksign_at(settings, emulator)
    unit = make_unit(code="E2E")
    config = make_config(unit, token=emulator.token, api_user_email=DEMO_API_USER_EMAIL)
    signature_config_register_webhook(actor=None, config=config)
    config.refresh_from_db()
    make_document_type(config, code="CONTRATO")
    _, key = make_api_key(units=[unit])
    return port, base, key


def test_it_sends_signs_and_archives_through_the_real_server_and_worker(
    e2e_emulator, settings, tmp_path
):
    port, base, key = _arrange(e2e_emulator, settings)
    pdf = make_pdf_bytes(pages=2, text="Contrato de ponta a ponta")

    env = process_env()
    processes = (web_process(port, tmp_path, env, workers=1), worker_process(tmp_path, env))
    with running(*processes) as (web, _worker):
        wait_for_http(f"{base}/entrar/", process=web)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
            created = api.post("/api/v1/signature-requests", json=_request_json("E2E-1", pdf))
            assert created.status_code == 201, created.text
            request = SignatureRequest.objects.get(public_id=created.json()["id"])

            # The worker runs the dispatch saga: envelope, documents, signers, requirements,
            # activation, notification.
            def sent() -> bool:
                request.refresh_from_db()
                return request.status == RequestStatus.AWAITING_SIGNATURES

            _wait_for(sent, "request sent to Clicksign", processes)
            assert request.signers.exclude(clicksign_signer_id="").count() == 1

            for signer in request.signers.all():
                e2e_emulator.control.sign(signer.clicksign_signer_id)

            def signed() -> bool:
                return SignatureRequest.objects.get(pk=request.pk).status == RequestStatus.SIGNED

            _wait_for(signed, "request signed", processes)
            document = request.documents.get()
            remote = httpx.get(
                f"{e2e_emulator.base_url}/documents/{document.clicksign_document_id}/signed"
            )
            assert remote.status_code == 200 and remote.content.startswith(b"%PDF-")
            assert document.signed_sha256 == hashlib.sha256(remote.content).hexdigest()
            with document.signed_file.open("rb") as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == document.signed_sha256
            detail = api.get(f"/api/v1/signature-requests/{request.public_id}").json()
            assert detail["status"] == "signed"


def test_it_ends_signed_when_the_signer_signs_between_activation_and_notification(
    e2e_emulator, settings, tmp_path
):
    """The race that made the test above fail one run in three, made deterministic with the
    emulator's controls: the notification call is held (a ``timeout`` fault: the emulator waits,
    then processes it), the only signer signs while it is held, so Clicksign closes the
    envelope and refuses the notification. Webhooks are held back too: the request must end
    signed — never failed — by following Clicksign's state alone."""
    port, base, key = _arrange(e2e_emulator, settings)
    control = e2e_emulator.control
    control.webhook_settings(mode="manual")
    control.add_fault(
        kind="timeout", delay_seconds=8, method="POST", path=r"/notifications$", count=1
    )

    env = process_env(CHANCELA_DISPATCH_READ_TIMEOUT_SECONDS="60")
    processes = (web_process(port, tmp_path, env, workers=1), worker_process(tmp_path, env))
    with running(*processes) as (web, _worker):
        wait_for_http(f"{base}/entrar/", process=web)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
            pdf = make_pdf_bytes(pages=1, text="Contrato")
            created = api.post("/api/v1/signature-requests", json=_request_json("E2E-2", pdf))
            assert created.status_code == 201, created.text
            request = SignatureRequest.objects.get(public_id=created.json()["id"])

        def notification_held() -> bool:
            return bool(control.requests(method="POST", path=r"/notifications$"))

        _wait_for(notification_held, "activation, then the notification call", processes)
        request.refresh_from_db()
        assert request.status == RequestStatus.AWAITING_SIGNATURES
        for signer in request.signers.all():
            control.sign(signer.clicksign_signer_id)

        def signed() -> bool:
            return SignatureRequest.objects.get(pk=request.pk).status == RequestStatus.SIGNED

        _wait_for(signed, "request signed", processes)
        (notification,) = control.requests(method="POST", path=r"/notifications$")
        assert notification["status"] == 403  # refused: the envelope had closed meanwhile
        kinds = set(request.events.values_list("kind", flat=True))
        assert "notify_given_up" in kinds and "dispatch_failed" not in kinds
        assert request.documents.get().signed_sha256
