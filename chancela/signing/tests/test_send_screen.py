"""The staff screen "Enviar documento para assinatura"."""

from __future__ import annotations

import html as html_lib
import re
from io import BytesIO

import pytest
from django.urls import reverse

from chancela.signing.models import SignatureRequest
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    birth_date_for_age,
    make_config,
    make_document_type,
    make_pdf_bomb,
    make_pdf_bytes,
    make_person,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
URL = "/enviar/"


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html_lib.unescape(match.group(1)) if match else ""


def pdf_upload(name: str = "contrato.pdf", **kwargs) -> BytesIO:
    upload = BytesIO(make_pdf_bytes(**kwargs))
    upload.name = name
    return upload


@pytest.fixture
def school(client):
    unit = make_unit(name="Colégio Centro")
    config = make_config(unit)
    document_type = make_document_type(config, name="Contrato de matrícula", code="CONTRATO")
    mother = make_person(unit, name="Carla Lima", email="carla@example.com")
    student = make_person(
        unit,
        name="Bruno Henrique Lima",
        email="bruno@example.com",
        birth_date=birth_date_for_age(15, 364),
        code="CEN2026002",
    )
    student.guardians.add(mother)
    other = make_unit(name="Colégio Norte")
    foreign_type = make_document_type(make_config(other), name="Termo da Zona Norte")
    foreign_student = make_person(
        other, name="Diego Martins Alves", birth_date=birth_date_for_age(17)
    )
    user = make_user(units=[unit], perms=[SEND_DOCUMENTS], username="secretaria.centro")
    client.force_login(user)
    return {
        "unit": unit,
        "document_type": document_type,
        "student": student,
        "mother": mother,
        "foreign_type": foreign_type,
        "foreign_student": foreign_student,
    }


def base(school, **extra):
    data = {
        "unit": school["unit"].pk,
        "document_type": school["document_type"].pk,
        "mode": "student",
        "channel": "email",
        "signers-TOTAL_FORMS": "0",
        "signers-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_it_sends_a_document_for_a_minor_with_the_guardian_suggested(client, school):
    page = client.get(URL).content.decode()
    assert "Enviar documento para assinatura" in page
    assert "Termo da Zona Norte" not in page

    found = client.get(reverse("signing:people_search"), {"unit": school["unit"].pk, "q": "bruno"})
    assert "Bruno Henrique Lima" in found.content.decode()

    picked = client.post(
        URL,
        base(school, documents=pdf_upload(), pick_student=str(school["student"].public_id)),
    ).content.decode()
    assert "Aluno com 15 anos: assina o responsável (representação)." in picked
    assert "Bruno Henrique Lima" in picked
    assert "contrato.pdf" in picked  # kept: no need to choose the file again
    staged = hidden(picked, "staged")
    assert staged

    preview = client.post(
        URL,
        base(
            school,
            staged=staged,
            student=str(school["student"].public_id),
            guardians=[str(school["mother"].public_id)],
            action="preview",
        ),
    ).content.decode()
    assert "Pré-visualização" in preview
    assert "Responsável legal" in preview and "Carla Lima" in preview
    assert "Token por e-mail" in preview
    assert "Sandbox — sem validade jurídica" in preview
    token = hidden(preview, "preview_token")
    assert token and not SignatureRequest.objects.exists()

    sent = client.post(
        URL,
        base(
            school,
            staged=staged,
            student=str(school["student"].public_id),
            guardians=[str(school["mother"].public_id)],
            preview_token=token,
            action="send",
        ),
    )
    request = SignatureRequest.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("signing:request_detail", args=[request.public_id])
    assert [(s.name, s.role) for s in request.signers.all()] == [("Carla Lima", "guardian")]
    assert request.capacity_rule_code == "represented"
    assert request.title == "Contrato de matrícula — Bruno Henrique Lima"
    assert request.student_person == school["student"]
    assert request.created_by.username == "secretaria.centro"

    confirmation = client.get(sent["Location"]).content.decode()
    assert "Documento enviado para assinatura" in confirmation
    assert "Na fila" in confirmation and "status-queued" in confirmation
    assert "Sandbox — sem validade jurídica" in confirmation
    assert "Carla Lima" in confirmation and "contrato.pdf" in confirmation
    assert "Solicitação criada por" in confirmation


def test_it_records_a_staff_override_with_its_reason(client, school):
    data = base(
        school,
        documents=pdf_upload(),
        student=str(school["student"].public_id),
        guardians=[str(school["mother"].public_id)],
        capacity_override="both",
        override_reason="Aluno faz 16 anos amanhã e a escola pediu as duas assinaturas",
        action="preview",
    )
    preview = client.post(URL, data).content.decode()
    assert "Regra substituída pela equipe: assinam o aluno e os responsáveis." in preview
    data.pop("documents")
    data.update(
        staged=hidden(preview, "staged"),
        preview_token=hidden(preview, "preview_token"),
        action="send",
    )
    assert client.post(URL, data).status_code == 302
    request = SignatureRequest.objects.get()
    assert request.capacity_rule_code == "override"
    assert [s.role for s in request.signers.all()] == ["student", "guardian"]


def test_it_shows_errors_next_to_the_fields_and_keeps_what_was_typed(client, school):
    response = client.post(
        URL,
        base(
            school,
            documents=pdf_upload(active="names_javascript", name="com-script.pdf"),
            mode="manual",
            title="Declaração para a Ana",
            action="preview",
            **{
                "signers-TOTAL_FORMS": "2",
                "signers-0-name": "Ana",
                "signers-0-email": "ana@example.com",
                "signers-0-cpf": "111.111.111-12",
                "signers-0-role": "student",
                "signers-0-group": "1",
                "signers-0-channel": "sms",
                "signers-1-role": "student",
                "signers-1-group": "1",
                "signers-1-channel": "email",
            },
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    files_field = page[page.index('id="campo-documents"') :][:3000]
    assert "“com-script.pdf” contém JavaScript" in files_field
    assert 'value="Declaração para a Ana"' in page
    assert 'value="Ana"' in page
    assert not SignatureRequest.objects.exists()

    fixed = client.post(
        URL,
        base(
            school,
            documents=pdf_upload(),
            mode="manual",
            action="preview",
            **{
                "signers-TOTAL_FORMS": "1",
                "signers-0-name": "Ana",
                "signers-0-email": "ana@example.com",
                "signers-0-cpf": "111.111.111-12",
                "signers-0-role": "student",
                "signers-0-group": "1",
                "signers-0-channel": "email",
            },
        ),
    ).content.decode()
    row = fixed[fixed.index('name="signers-0-name"') :][:600]
    assert "não é um nome completo" in row


def test_it_cannot_pick_document_types_or_people_of_another_unit(client, school):
    foreign = client.post(
        URL,
        base(
            school,
            documents=pdf_upload(),
            document_type=school["foreign_type"].pk,
            action="preview",
        ),
    ).content.decode()
    assert "Escolha um tipo de documento ativo das suas unidades." in foreign

    other_person = client.post(
        URL,
        base(
            school,
            documents=pdf_upload(),
            student=str(school["foreign_student"].public_id),
            action="preview",
        ),
    ).content.decode()
    assert "Busque e escolha o aluno na lista." in other_person
    assert "Diego Martins Alves" not in other_person

    search = client.get(
        reverse("signing:people_search"),
        {"unit": school["foreign_type"].units.get().pk, "q": "Diego"},
    )
    assert "Diego" not in search.content.decode()
    assert not SignatureRequest.objects.exists()


def test_it_adds_people_of_the_unit_as_signer_rows(client, school):
    page = client.post(
        URL,
        base(
            school,
            documents=pdf_upload(),
            mode="manual",
            add_person=str(school["mother"].public_id),
            **{
                "signers-TOTAL_FORMS": "1",
                "signers-0-role": "student",
                "signers-0-group": "1",
                "signers-0-channel": "email",
            },
        ),
    ).content.decode()
    assert 'value="Carla Lima"' in page and 'value="carla@example.com"' in page


def test_it_asks_to_preview_again_when_the_data_changed(client, school):
    data = base(
        school,
        documents=pdf_upload(),
        student=str(school["student"].public_id),
        guardians=[str(school["mother"].public_id)],
        action="preview",
    )
    preview = client.post(URL, data).content.decode()
    data.pop("documents")
    data.update(
        staged=hidden(preview, "staged"),
        preview_token=hidden(preview, "preview_token"),
        title="Outro título depois da pré-visualização",
        action="send",
    )
    response = client.post(URL, data)
    assert response.status_code == 200
    assert "Os dados mudaram desde a pré-visualização" in response.content.decode()
    assert not SignatureRequest.objects.exists()


def test_it_needs_the_send_permission(client, school):
    client.force_login(make_user(units=[school["unit"]]))
    assert client.get(URL).status_code == 403


def test_a_foreign_request_is_404(client, school):
    from chancela.testing.factories import make_signature_request

    foreign = make_signature_request(school["foreign_type"].units.get(), school["foreign_type"])
    assert (
        client.get(reverse("signing:request_detail", args=[foreign.public_id])).status_code == 404
    )


def test_it_refuses_a_decompression_bomb_and_keeps_nothing(client, school, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    bomb = BytesIO(make_pdf_bomb(streams=12, inflated_bytes=70_000_000))
    bomb.name = "bomba.pdf"
    response = client.post(URL, base(school, documents=bomb, action="preview"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "“bomba.pdf” não pode ser verificado" in page
    assert not SignatureRequest.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (-1, "O prazo precisa estar no futuro"),
        (120, "A Clicksign aceita prazo de no máximo 90 dias"),
    ],
)
def test_it_refuses_a_past_or_too_distant_deadline_at_the_preview(client, school, days, message):
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=days)
    page = client.post(
        URL,
        base(
            school,
            documents=pdf_upload(),
            student=str(school["student"].public_id),
            guardians=[str(school["mother"].public_id)],
            deadline=day.isoformat(),
            action="preview",
        ),
    ).content.decode()
    assert message in page
    assert "Enviar para assinatura</button>" not in page  # no preview to confirm


def test_it_says_a_deadline_that_does_not_exist_does_not_exist(client, school):
    page = client.post(URL, base(school, deadline="2027-02-31", action="preview")).content.decode()
    assert "Essa data não existe" in page


def test_it_names_an_oversized_pdf_by_the_size_sent(client, school):
    # The upload handler keeps only the first 10 MiB + 1 byte; the message uses the size sent.
    big = BytesIO(b"%PDF-" + b"0" * (12 * 1024 * 1024))
    big.name = "grande.pdf"
    page = client.post(URL, base(school, documents=big, action="preview")).content.decode()
    assert "O arquivo “grande.pdf” tem 12 MB; o limite da Clicksign é 10 MB" in page
    assert not SignatureRequest.objects.exists()


PREVIEW_URL = "/enviar/previa/"


def test_it_renders_the_preview_panel_alone_from_the_same_plan(client, school):
    student = str(school["student"].public_id)
    # Before any document: who signs is already shown, but nothing can be sent yet.
    panel = client.post(
        PREVIEW_URL, base(school, student=student, guardians=[str(school["mother"].public_id)])
    ).content.decode()
    assert "<html" not in panel and "<form" not in panel  # the panel only, not the page
    assert "Aluno com 15 anos: assina o responsável (representação)." in panel
    assert "Carla Lima" in panel and "Responsável legal" in panel
    assert "Nenhum documento anexado ainda." in panel
    assert "Enviar para assinatura</button>" not in panel

    # With the file: it is kept (the form's hidden fields are swapped out of band) and the
    # preview token is the one the full page's "Enviar" checks.
    panel = client.post(
        PREVIEW_URL,
        base(
            school,
            documents=pdf_upload(),
            student=student,
            guardians=[str(school["mother"].public_id)],
        ),
    ).content.decode()
    assert "contrato.pdf (1 página)" in panel
    assert "Enviar para assinatura</button>" in panel
    assert 'id="id_preview_token" hx-swap-oob="true"' in panel
    sent = client.post(
        URL,
        base(
            school,
            staged=hidden(panel, "staged"),
            student=student,
            guardians=[str(school["mother"].public_id)],
            preview_token=hidden(panel, "preview_token"),
            action="send",
        ),
    )
    assert sent.status_code == 302
    assert SignatureRequest.objects.get().signers.filter(name="Carla Lima").exists()


def test_it_lists_what_is_missing_in_the_preview_panel(client, school):
    panel = client.post(PREVIEW_URL, base(school, deadline="2020-01-10")).content.decode()
    assert "Para ver quem assina, falta:" in panel
    assert '<a href="#campo-student">Aluno</a>: Busque e escolha o aluno na lista.' in panel
    assert "O prazo precisa estar no futuro" in panel


def test_the_preview_panel_refuses_another_units_student_and_type(client, school):
    panel = client.post(
        PREVIEW_URL, base(school, student=str(school["foreign_student"].public_id))
    ).content.decode()
    assert "Busque e escolha o aluno na lista." in panel
    assert "Diego Martins Alves" not in panel
    panel = client.post(
        PREVIEW_URL, base(school, document_type=school["foreign_type"].pk)
    ).content.decode()
    assert "Escolha um tipo de documento ativo das suas unidades." in panel
    assert "Termo da Zona Norte" not in panel
    assert not SignatureRequest.objects.exists()


def test_the_preview_panel_needs_a_post_and_the_send_permission(client, school):
    assert client.get(PREVIEW_URL).status_code == 405
    client.force_login(make_user(units=[school["unit"]], perms=[], username="sem.permissao"))
    assert client.post(PREVIEW_URL, base(school)).status_code == 403
