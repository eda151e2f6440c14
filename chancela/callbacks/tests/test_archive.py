"""The signed PDF: fresh link, allowed host, size cap, PDF check, retries."""

from __future__ import annotations

import pytest
from django.test import Client

from chancela.callbacks.archive import document_signed_file_archive
from chancela.callbacks.tests.conftest import deliver, run_jobs
from chancela.esign.clients import client_for_config
from chancela.signing.models import RequestStatus
from chancela.testing.factories import make_config, make_unit


def _closed(cb, client: Client, **settings_changes):
    """A request whose only signer signed; the callbacks delivered but no job run yet."""
    if settings_changes:
        cb.emulator.control.settings(**settings_changes)
    request = cb.send()
    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    for received in cb.deliveries():
        assert deliver(client, received) == 200
    return request


def test_it_allows_only_clicksign_storage_the_service_host_and_the_setting(settings, db):
    settings.CLICKSIGN_URLS = {
        "sandbox": "http://127.0.0.1:8765",
        "production": "https://app.clicksign.com",
    }
    settings.CHANCELA_SIGNED_FILE_HOSTS = ["files.escola.edu.br", "cdn.escola.edu.br:8443"]
    unit = make_unit()
    sandbox = make_config(unit)
    production = make_config(make_unit(), environment="production")
    s3 = "https://clicksign-prod.s3.amazonaws.com/x.pdf?X-Amz-Expires=300"
    with client_for_config(production) as client:
        assert client.download_allowed(s3)
        assert not client.download_allowed(s3.replace("https", "http"))
        assert not client.download_allowed("http://127.0.0.1:8765/__files/a")
        # The setting is honoured by the client that downloads (it used to be ignored there).
        assert client.download_allowed("https://files.escola.edu.br/a.pdf")
        assert client.download_allowed("https://cdn.escola.edu.br:8443/a.pdf")
        assert not client.download_allowed("https://cdn.escola.edu.br/a.pdf")
    with client_for_config(sandbox) as client:
        assert client.download_allowed("http://127.0.0.1:8765/__files/a")
        assert not client.download_allowed("https://evil.example.com/a.pdf")


def test_it_retries_while_the_signed_file_is_not_ready(cb, client):
    cb.emulator.control.settings(signed_file_delay_seconds=30)
    request = _closed(cb, client)
    run_jobs()  # document_closed is held by Clicksign: nothing to archive yet
    document = request.documents.get()
    assert document.status == "closed" and not document.signed_sha256
    outcome = document_signed_file_archive(document_public_id=str(document.public_id))
    assert outcome.state == "retry" and outcome.retry_in > 0
    cb.emulator.control.advance(31)
    for received in cb.deliveries():  # now document_closed comes
        assert deliver(client, received) == 200
    run_jobs()
    request.refresh_from_db()
    assert request.status == RequestStatus.SIGNED


def test_it_fetches_a_fresh_link_when_the_download_answers_403(cb, client):
    request = _closed(cb, client)
    cb.emulator.control.add_fault("status", path="^/__files/", status=403, count=1)
    document = request.documents.get()
    first = document_signed_file_archive(document_public_id=str(document.public_id))
    assert first.state == "retry"
    second = document_signed_file_archive(document_public_id=str(document.public_id), attempt=2)
    assert second.state == "archived"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"status": 200, "body": "isto não é um PDF"}, "não é um PDF válido"),
        (None, "limite"),
    ],
)
def test_it_refuses_what_is_not_a_pdf_or_too_big(cb, client, settings, fault, message):
    request = _closed(cb, client)
    if fault:
        cb.emulator.control.add_fault("status", path="^/__files/", **fault)
    else:
        settings.CHANCELA_SIGNED_FILE_MAX_BYTES = 100
    document = request.documents.get()
    outcome = document_signed_file_archive(document_public_id=str(document.public_id))
    assert outcome.state == "failed"
    assert message in request.events.get(kind="signed_file_failed").message
    document.refresh_from_db()
    assert not document.signed_sha256
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_SIGNATURES


def test_it_puts_the_job_back_for_the_slot_instead_of_holding_the_worker(cb, client, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from chancela.callbacks.tasks import archive_signed_file
    from chancela.clicksign.ratelimit import LIMITS

    request = _closed(cb, client)
    document = request.documents.get()
    monkeypatch.setitem(LIMITS, "sandbox", 3)
    with client_for_config(cb.config) as busy:  # another job used the account's whole window
        for _ in range(3):
            busy.envelopes_list(page_size=1)

    # With a 15 s wait it would have slept until the slot freed and archived: it gives up the
    # worker after SLOT_WAIT_SECONDS instead, nothing sent, and says when to come back.
    outcome = document_signed_file_archive(document_public_id=str(document.public_id), attempt=4)
    assert outcome.state == "wait" and 8.0 < outcome.retry_in <= 10.0

    DBTaskResult.objects.all().delete()
    assert archive_signed_file.call(str(document.public_id), 4) == "wait"
    [job] = DBTaskResult.objects.filter(task_path__endswith="archive_signed_file")
    assert job.args_kwargs["args"] == [str(document.public_id), 4]  # no attempt spent
    assert job.run_after > timezone.now() + timedelta(seconds=8)
    document.refresh_from_db()
    assert not document.signed_sha256
    assert not request.events.filter(kind="signed_file_failed").exists()
