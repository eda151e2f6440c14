"""The request page's actions (chancela/signing/actions.py) against the Clicksign emulator."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from chancela.signing.actions import (
    ActionError,
    Actor,
    signature_request_cancel,
    signature_request_copy,
    signature_request_remind,
    signature_request_retry,
    signer_contact_correct,
)
from chancela.signing.models import DocumentStatus, RequestStatus, SignatureRequest
from chancela.signing.tests.workspace_helpers import put_at_clicksign
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_document_type,
    make_signature_request,
    make_signer_input,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(emulated_config):
    return make_user(units=[emulated_config.unit], perms=[SEND_DOCUMENTS])


@pytest.fixture
def new_request(emulated_config):
    document_type = make_document_type(emulated_config)

    def make(**kwargs):
        kwargs.setdefault(
            "signers",
            [
                make_signer_input(name="Maria Souza Lima", email="maria@familia.com.br"),
                make_signer_input(name="Jose Souza Lima", email="jose@familia.com.br"),
            ],
        )
        return make_signature_request(emulated_config.unit, document_type, **kwargs)

    return make


@pytest.fixture
def running(new_request, clicksign_client):
    return put_at_clicksign(new_request(), clicksign_client)


def kinds(request: SignatureRequest) -> list[str]:
    return list(request.events.values_list("kind", flat=True))


# ---------------------------------------------------------------------- remind


def test_it_reminds_one_signer_through_clicksign(running, staff, clicksign_emulator):
    signer = running.signers.first()
    done = signature_request_remind(request=running, signer=signer, actor=Actor(user=staff))
    assert signer.name in done
    sent = clicksign_emulator.control.notifications(signer_id=signer.clicksign_signer_id)
    assert len(sent) == 1
    event = running.events.get(kind="reminder_sent")
    assert signer.name in event.message and event.actor == staff


def test_it_reminds_every_pending_signer_with_the_envelope_notification(
    running, staff, clicksign_emulator
):
    signature_request_remind(request=running, actor=Actor(user=staff))
    posted = clicksign_emulator.control.requests(method="POST", path="/notifications$")
    assert [entry["path"] for entry in posted] == [
        f"/api/v3/envelopes/{running.clicksign_envelope_id}/notifications"
    ]
    assert "todos os signatários pendentes" in running.events.get(kind="reminder_sent").message


def test_it_says_plainly_when_a_reminder_comes_too_soon(running, staff, clicksign_emulator):
    signer = running.signers.first()
    signature_request_remind(request=running, signer=signer, actor=Actor(user=staff))
    with pytest.raises(ActionError) as caught:
        signature_request_remind(request=running, signer=signer, actor=Actor(user=staff))
    assert caught.value.code == "remind_too_soon"
    assert "um lembrete por minuto" in caught.value.message
    assert 1 <= caught.value.retry_after <= 60
    # The second one never reached Clicksign; another signer's endpoint is still free.
    assert len(clicksign_emulator.control.notifications(signer_id=signer.clicksign_signer_id)) == 1
    other = running.signers.exclude(pk=signer.pk).get()
    signature_request_remind(request=running, signer=other, actor=Actor(user=staff))


def test_it_does_not_call_an_unreachable_clicksign_a_reminder_limit(running, staff, settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CLICKSIGN_URLS = {"sandbox": f"http://127.0.0.1:{port}"}
    with pytest.raises(ActionError) as caught:
        signature_request_remind(request=running, signer=running.signers.first(), actor=Actor())
    assert caught.value.code == "clicksign_error"
    assert "um lembrete por minuto" not in caught.value.message
    assert "Não foi possível enviar o lembrete" in caught.value.message


def test_it_refuses_to_remind_before_the_envelope_runs(new_request, staff, clicksign_emulator):
    queued = new_request()
    with pytest.raises(ActionError) as caught:
        signature_request_remind(request=queued, actor=Actor(user=staff))
    assert caught.value.code == "action_not_allowed"
    assert "Aguardando assinaturas" in caught.value.message
    assert clicksign_emulator.control.requests() == []


def test_it_refuses_to_remind_a_signer_who_already_signed(running, staff, clicksign_emulator):
    signer = running.signers.first()
    signer.status = "signed"
    signer.save()
    with pytest.raises(ActionError, match="já assinou"):
        signature_request_remind(request=running, signer=signer, actor=Actor(user=staff))


# ---------------------------------------------------------------------- cancel


def test_it_cancels_each_document_at_clicksign_with_the_reason(
    new_request, clicksign_client, staff, clicksign_emulator
):
    from chancela.signing.inputs import DocumentInput
    from chancela.testing.factories import make_pdf_bytes

    request = put_at_clicksign(
        new_request(
            documents=[
                DocumentInput(filename="contrato.pdf", content=make_pdf_bytes(text="A")),
                DocumentInput(filename="anexo.pdf", content=make_pdf_bytes(text="B")),
            ]
        ),
        clicksign_client,
    )
    signature_request_cancel(
        request=request, reason="Aluno desistiu da matrícula", actor=Actor(user=staff)
    )
    envelope = clicksign_emulator.control.envelope(request.clicksign_envelope_id)
    assert [d["status"] for d in envelope["documents"]] == ["canceled", "canceled"]
    patches = clicksign_emulator.control.requests(method="PATCH", path="/documents/")
    assert len(patches) == 2
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELED
    assert set(request.documents.values_list("status", flat=True)) == {DocumentStatus.CANCELED}
    event = request.events.get(kind="canceled")
    assert "Aluno desistiu da matrícula" in event.message and event.actor == staff


def test_it_cancels_a_queued_request_without_calling_clicksign(
    new_request, staff, clicksign_emulator
):
    queued = new_request()
    signature_request_cancel(request=queued, reason="Enviado por engano", actor=Actor(user=staff))
    queued.refresh_from_db()
    assert queued.status == RequestStatus.CANCELED
    assert clicksign_emulator.control.requests() == []


def test_it_deletes_a_draft_envelope_when_cancelling_mid_dispatch(
    new_request, clicksign_client, staff, clicksign_emulator
):
    sending = put_at_clicksign(new_request(), clicksign_client, activate=False)
    signature_request_cancel(request=sending, reason="Parar o envio", actor=Actor(user=staff))
    deletes = clicksign_emulator.control.requests(method="DELETE")
    assert [d["path"] for d in deletes] == [f"/api/v3/envelopes/{sending.clicksign_envelope_id}"]
    sending.refresh_from_db()
    assert sending.status == RequestStatus.CANCELED


def test_it_requires_a_reason_and_a_request_not_ended(new_request, staff):
    queued = new_request()
    with pytest.raises(ActionError) as caught:
        signature_request_cancel(request=queued, reason="  ", actor=Actor(user=staff))
    assert caught.value.code == "reason_required" and caught.value.field == "reason"
    signed = new_request(status=RequestStatus.SIGNED)
    with pytest.raises(ActionError, match="já está “Assinado”"):
        signature_request_cancel(request=signed, reason="Tarde demais", actor=Actor(user=staff))


def test_it_keeps_the_request_running_when_clicksign_refuses_the_cancel(
    running, staff, clicksign_emulator
):
    clicksign_emulator.control.add_fault("status", status=502, path="/documents/", method="PATCH")
    with pytest.raises(ActionError) as caught:
        signature_request_cancel(request=running, reason="Desistência", actor=Actor(user=staff))
    assert caught.value.code == "clicksign_error"
    running.refresh_from_db()
    assert running.status == RequestStatus.AWAITING_SIGNATURES


# ---------------------------------------------------------------------- retry


def test_it_puts_a_failed_request_back_in_the_queue(new_request, staff):
    failed = new_request()
    SignatureRequest.objects.filter(pk=failed.pk).update(
        status=RequestStatus.FAILED, last_error="A Clicksign recusou o token."
    )
    failed.refresh_from_db()

    def jobs() -> int:
        return sum(
            1
            for task in DBTaskResult.objects.all()
            if task.args_kwargs.get("kwargs", {}).get("request_public_id") == str(failed.public_id)
        )

    jobs_before = jobs()
    signature_request_retry(request=failed, actor=Actor(user=staff))
    failed.refresh_from_db()
    assert failed.status == RequestStatus.QUEUED and failed.last_error == ""
    assert jobs() == jobs_before + 1
    assert "retried" in kinds(failed)


def test_it_retries_only_a_failed_request(running, staff):
    with pytest.raises(ActionError, match="Falha no envio"):
        signature_request_retry(request=running, actor=Actor(user=staff))


# ---------------------------------------------------------------------- send again / correct


def test_it_sends_again_as_a_new_request_linked_both_ways(running, staff):
    new = signature_request_copy(request=running, actor=Actor(user=staff))
    assert new.pk != running.pk and new.status == RequestStatus.QUEUED
    assert new.title == running.title
    assert list(new.documents.values_list("original_sha256", flat=True)) == list(
        running.documents.values_list("original_sha256", flat=True)
    )
    assert sorted(new.signers.values_list("email", flat=True)) == sorted(
        running.signers.values_list("email", flat=True)
    )
    assert running.events.get(kind="copied_to").data["request"] == str(new.public_id)
    assert new.events.get(kind="copied_from").data["request"] == str(running.public_id)


def test_it_fixes_the_row_of_a_request_not_yet_sent(new_request, staff, clicksign_emulator):
    queued = new_request()
    signer = queued.signers.first()
    outcome = signer_contact_correct(
        request=queued,
        signer=signer,
        email="Maria.Certa@familia.com.br",
        phone="(11) 98888-7777",
        actor=Actor(user=staff),
    )
    assert outcome.request.pk == queued.pk and not outcome.replaced
    signer.refresh_from_db()
    assert signer.email == "maria.certa@familia.com.br" and signer.phone == "11988887777"
    assert "signer_corrected" in kinds(queued)
    assert clicksign_emulator.control.requests() == []


def test_it_cancels_and_resends_to_correct_a_signer_after_activation(
    running, staff, clicksign_emulator
):
    signer = running.signers.get(email="maria@familia.com.br")
    outcome = signer_contact_correct(
        request=running,
        signer=signer,
        email="maria.nova@familia.com.br",
        phone="",
        actor=Actor(user=staff),
    )
    assert outcome.replaced
    running.refresh_from_db()
    assert running.status == RequestStatus.CANCELED
    envelope = clicksign_emulator.control.envelope(running.clicksign_envelope_id)
    assert {d["status"] for d in envelope["documents"]} == {"canceled"}
    new = outcome.request
    assert new.status == RequestStatus.QUEUED
    assert set(new.signers.values_list("email", flat=True)) == {
        "maria.nova@familia.com.br",
        "jose@familia.com.br",
    }
    assert "Correção do e-mail de Maria Souza Lima" in running.events.get(kind="canceled").message
    assert running.events.get(kind="copied_to").data["request"] == str(new.public_id)


def test_it_refuses_an_invalid_or_duplicate_contact(running, staff):
    signer = running.signers.get(email="maria@familia.com.br")
    for email, phone, code in (
        ("nao-e-email", "", "invalid_email"),
        ("jose@familia.com.br", "", "duplicate_email"),
        ("maria@familia.com.br", "", "nothing_changed"),
        ("maria2@familia.com.br", "123", "invalid_phone"),
    ):
        with pytest.raises(ActionError) as caught:
            signer_contact_correct(
                request=running, signer=signer, email=email, phone=phone, actor=Actor(user=staff)
            )
        assert caught.value.code == code
    running.refresh_from_db()
    assert running.status == RequestStatus.AWAITING_SIGNATURES


# ---------------------------------------------------------------------- screens


def test_it_shows_the_too_soon_message_on_the_request_page(client, running, staff):
    client.force_login(staff)
    url = reverse("signing:request_remind", args=[running.public_id])
    first = client.post(url, follow=True)
    assert "Lembrete enviado a todos os signatários pendentes." in first.content.decode()
    second = client.post(url, follow=True).content.decode()
    assert "A Clicksign aceita um lembrete por minuto para a solicitação toda" in second


def test_it_cancels_from_the_request_page(client, running, staff):
    client.force_login(staff)
    response = client.post(
        reverse("signing:request_cancel", args=[running.public_id]),
        {"reason": "Contrato refeito"},
        follow=True,
    )
    html = response.content.decode()
    assert "Solicitação cancelada." in html and "Motivo: Contrato refeito" in html
    assert 'class="badge status-canceled">Cancelado' in html


def test_it_answers_404_to_actions_on_another_units_request(client, running):
    from chancela.testing.factories import make_unit

    outsider = make_user(units=[make_unit()], perms=[SEND_DOCUMENTS])
    client.force_login(outsider)
    for name in ("request_remind", "request_cancel", "request_retry", "request_copy"):
        response = client.post(
            reverse(f"signing:{name}", args=[running.public_id]), {"reason": "x" * 5}
        )
        assert response.status_code == 404, name
    running.refresh_from_db()
    assert running.status == RequestStatus.AWAITING_SIGNATURES


def test_it_zips_the_originals_and_the_signed_pdfs(client, new_request, staff):
    import io
    import zipfile

    from chancela.testing.factories import make_pdf_bytes

    signed_pdf = make_pdf_bytes(text="Assinado")
    done = new_request(status=RequestStatus.SIGNED, signed_pdf=signed_pdf)
    client.force_login(staff)
    response = client.get(reverse("signing:request_files_zip", args=[done.public_id]))
    assert response.status_code == 200
    assert response["X-Chancela-Legal-Validity"] == "none-sandbox"
    assert "SANDBOX-sem-validade-juridica.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert "originais/contrato.pdf" in names
    assert "assinados/contrato-assinado-SANDBOX-sem-validade-juridica.pdf" in names
    signed = archive.read("assinados/contrato-assinado-SANDBOX-sem-validade-juridica.pdf")
    assert hashlib.sha256(signed).hexdigest() == done.documents.get().signed_sha256
    only_signed = client.get(
        reverse("signing:request_files_zip", args=[done.public_id]), {"tipo": "assinado"}
    )
    assert not any(
        n.startswith("originais/")
        for n in zipfile.ZipFile(io.BytesIO(only_signed.content)).namelist()
    )


def test_it_sends_again_from_the_request_page(client, running, staff):
    client.force_login(staff)
    page = client.get(reverse("signing:request_detail", args=[running.public_id])).content.decode()
    assert "Sim, criar a nova solicitação" in page
    response = client.post(reverse("signing:request_copy", args=[running.public_id]))
    new = SignatureRequest.objects.exclude(pk=running.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("signing:request_detail", args=[new.public_id])
    html = client.get(response["Location"]).content.decode()
    assert "Nova solicitação criada com os mesmos documentos e signatários." in html
    assert "ver a solicitação anterior" in html


def test_it_offers_a_reminder_only_to_the_group_whose_turn_it_is(
    new_request, staff, clicksign_client, client
):
    request = put_at_clicksign(
        new_request(
            signers=[
                make_signer_input(name="Ana Souza Lima", email="ana@familia.com.br", group=1),
                make_signer_input(name="Diretora Escola", email="dir@escola.edu.br", group=2),
            ]
        ),
        clicksign_client,
    )
    client.force_login(staff)
    page = client.get(reverse("signing:request_detail", args=[request.public_id]))
    first, second = request.signers.order_by("group")
    body = page.content.decode()
    assert f'value="{first.public_id}"' in body
    assert f'value="{second.public_id}"' not in body  # group 2 has not been invited yet
    first.status = "signed"
    first.save(update_fields=["status"])
    body = client.get(reverse("signing:request_detail", args=[request.public_id])).content.decode()
    assert f'value="{second.public_id}"' in body
