"""'Documentos em assinatura': filters, counts per status, pagination, live rows, CSV, units."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.signing.selectors import RequestFilters, signature_request_status_counts
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_config,
    make_cpf,
    make_document_type,
    make_signature_request,
    make_signer_input,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

LIST = reverse("signing:request_list")
CSV = reverse("signing:request_list_csv")


@pytest.fixture
def office():
    """Two units the user sees (a sandbox and a production type), and one he does not."""
    unit_a, unit_b, foreign = (
        make_unit(name="Colégio Centro"),
        make_unit(name="Colégio Norte"),
        make_unit(name="Colégio Estranho"),
    )
    sandbox_type = make_document_type(make_config(unit_a), name="Contrato de matrícula")
    production_type = make_document_type(
        make_config(unit_b, environment="production"), name="Declaração de estágio"
    )
    foreign_type = make_document_type(make_config(foreign), name="Contrato alheio")
    user = make_user(units=[unit_a, unit_b], perms=[SEND_DOCUMENTS])
    return {
        "a": unit_a,
        "b": unit_b,
        "foreign": foreign,
        "sandbox_type": sandbox_type,
        "production_type": production_type,
        "foreign_type": foreign_type,
        "user": user,
    }


def titles(response) -> set[str]:
    rows = response.context["page"].object_list
    return {row.title for row in rows}


def test_it_lists_only_the_requests_of_the_users_units(client, office):
    mine = make_signature_request(office["a"], office["sandbox_type"], title="Meu contrato")
    make_signature_request(office["foreign"], office["foreign_type"], title="Contrato alheio X")
    client.force_login(office["user"])
    response = client.get(LIST)
    assert response.status_code == 200
    assert titles(response) == {mine.title}
    assert "Contrato alheio X" not in response.content.decode()


def test_it_filters_by_unit_type_status_environment_and_external_id(client, office):
    one = make_signature_request(
        office["a"], office["sandbox_type"], title="Um", external_id="ERP-1"
    )
    two = make_signature_request(
        office["b"], office["production_type"], title="Dois", status=RequestStatus.SIGNED
    )
    client.force_login(office["user"])
    assert titles(client.get(LIST, {"unidade": office["a"].pk})) == {one.title}
    assert titles(client.get(LIST, {"tipo": office["production_type"].pk})) == {two.title}
    assert titles(client.get(LIST, {"situacao": "signed"})) == {two.title}
    assert titles(client.get(LIST, {"ambiente": "sandbox"})) == {one.title}
    assert titles(client.get(LIST, {"externo": "erp-1"})) == {one.title}


def test_it_ignores_a_foreign_unit_in_the_filter_and_says_so(client, office):
    mine = make_signature_request(office["a"], office["sandbox_type"], title="Meu")
    make_signature_request(office["foreign"], office["foreign_type"], title="Alheio")
    client.force_login(office["user"])
    response = client.get(LIST, {"unidade": office["foreign"].pk})
    assert titles(response) == {mine.title}
    assert "Alheio" not in response.content.decode()
    assert "Alguns filtros foram ignorados" in response.content.decode()


def test_it_filters_by_person_name_cpf_email_and_student(client, office):
    cpf = make_cpf(4242)
    by_signer = make_signature_request(
        office["a"],
        office["sandbox_type"],
        title="Com Joana",
        signers=[make_signer_input(name="Joana Prado Lima", email="joana@familia.com.br", cpf=cpf)],
    )
    other = make_signature_request(office["a"], office["sandbox_type"], title="Outro")
    SignatureRequest.objects.filter(pk=other.pk).update(student_name="Pedro Alvares Neto")
    client.force_login(office["user"])
    assert titles(client.get(LIST, {"pessoa": "joana prado"})) == {by_signer.title}
    assert titles(client.get(LIST, {"pessoa": "JOANA@familia"})) == {by_signer.title}
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    assert titles(client.get(LIST, {"pessoa": formatted})) == {by_signer.title}
    assert titles(client.get(LIST, {"pessoa": "Alvares"})) == {other.title}


def test_it_filters_by_creation_period(client, office):
    old = make_signature_request(office["a"], office["sandbox_type"], title="Antigo")
    SignatureRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    new = make_signature_request(office["a"], office["sandbox_type"], title="Novo")
    today = timezone.localdate()
    client.force_login(office["user"])
    since = (today - timedelta(days=7)).isoformat()
    assert titles(client.get(LIST, {"de": since})) == {new.title}
    until = (today - timedelta(days=30)).isoformat()
    assert titles(client.get(LIST, {"ate": until})) == {old.title}
    assert titles(client.get(LIST, {"de": today.isoformat(), "ate": today.isoformat()})) == {
        new.title
    }


def test_it_counts_per_status_with_the_other_filters(office):
    make_signature_request(office["a"], office["sandbox_type"])
    make_signature_request(office["a"], office["sandbox_type"], status=RequestStatus.SIGNED)
    make_signature_request(office["a"], office["sandbox_type"], status=RequestStatus.SIGNED)
    make_signature_request(office["b"], office["production_type"], status=RequestStatus.FAILED)
    make_signature_request(office["foreign"], office["foreign_type"], status=RequestStatus.SIGNED)
    counts = signature_request_status_counts(
        user=office["user"], filters=RequestFilters(status="signed")
    )
    assert counts["queued"] == 1 and counts["signed"] == 2 and counts["failed"] == 1
    in_a = signature_request_status_counts(
        user=office["user"], filters=RequestFilters(unit_id=office["a"].pk)
    )
    assert in_a["failed"] == 0 and in_a["signed"] == 2


def test_it_shows_portuguese_badges_and_counts(client, office):
    make_signature_request(office["a"], office["sandbox_type"], status=RequestStatus.FAILED)
    client.force_login(office["user"])
    html = client.get(LIST).content.decode()
    assert 'class="badge status-failed">Falha no envio</span>' in html
    assert "Aguardando assinaturas" in html
    assert "Sandbox — sem validade jurídica" in html


def test_it_paginates_keeping_the_filters(client, office):
    for n in range(27):
        make_signature_request(office["a"], office["sandbox_type"], title=f"Contrato {n:02d}")
    client.force_login(office["user"])
    first = client.get(LIST, {"unidade": office["a"].pk})
    assert len(first.context["page"].object_list) == 25
    assert f"unidade={office['a'].pk}&amp;pagina=2" in first.content.decode()
    second = client.get(LIST, {"unidade": office["a"].pk, "pagina": 2})
    assert titles(second) == {"Contrato 00", "Contrato 01"}


def test_it_polls_only_the_rows_in_flight(client, office):
    flying = make_signature_request(office["a"], office["sandbox_type"], title="No ar")
    done = make_signature_request(
        office["a"], office["sandbox_type"], title="Pronto", status=RequestStatus.SIGNED
    )
    client.force_login(office["user"])
    html = client.get(LIST).content.decode()
    row_url = reverse("signing:request_row", args=[flying.public_id])
    assert f'hx-get="{row_url}"' in html
    assert reverse("signing:request_row", args=[done.public_id]) not in html
    # The row answers with its current status; once finished it stops polling.
    SignatureRequest.objects.filter(pk=flying.pk).update(status=RequestStatus.SIGNED)
    row = client.get(row_url).content.decode()
    assert "Assinado" in row and "hx-get" not in row


def test_it_answers_404_for_the_row_of_another_unit(client, office):
    alien = make_signature_request(office["foreign"], office["foreign_type"])
    client.force_login(office["user"])
    assert client.get(reverse("signing:request_row", args=[alien.public_id])).status_code == 404
    assert client.get(reverse("signing:request_detail", args=[alien.public_id])).status_code == 404


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_it_exports_exactly_the_filtered_rows_with_masked_cpfs(client, office):
    cpf = make_cpf(777)
    shown = make_signature_request(
        office["a"],
        office["sandbox_type"],
        title="Exportado",
        signers=[make_signer_input(name="Carla Dias Souza", cpf=cpf)],
        status=RequestStatus.SIGNED,
    )
    make_signature_request(office["a"], office["sandbox_type"], title="Outro na fila")
    make_signature_request(
        office["foreign"], office["foreign_type"], title="Alheio", status=RequestStatus.SIGNED
    )
    client.force_login(office["user"])
    response = client.get(CSV, {"situacao": "signed"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][0] == "Criada em"
    assert [row[3] for row in rows[1:]] == [shown.title]
    line = ";".join(rows[1])
    assert cpf not in line
    assert f"***.{cpf[3:6]}.{cpf[6:9]}-**" in line
    assert "Assinado" in line and "Sandbox" in line


def test_it_neutralises_spreadsheet_formulas_in_the_csv(client, office):
    make_signature_request(office["a"], office["sandbox_type"], title='=HYPERLINK("x")')
    client.force_login(office["user"])
    rows = read_csv(client.get(CSV))
    assert rows[1][3].startswith("'=")


def test_it_refuses_the_list_without_the_send_permission(client, office):
    client.force_login(make_user(units=[office["a"]]))
    assert client.get(LIST).status_code == 403
    assert client.get(CSV).status_code == 403


def test_it_tells_the_request_page_to_reload_only_when_something_changed(client, office):
    from chancela.signing.selectors import request_page_version
    from chancela.signing.transitions import request_event_add

    request = make_signature_request(office["a"], office["sandbox_type"])
    client.force_login(office["user"])
    page = client.get(reverse("signing:request_detail", args=[request.public_id]))
    version = page.context["version"]
    assert "data-when-idle" in page.content.decode()  # polled only while nobody is typing
    url = reverse("signing:request_version", args=[request.public_id])
    assert client.get(url, {"v": version}).status_code == 204
    request_event_add(request=request, source="clicksign", kind="viewed", message="Abriu.")
    changed = client.get(url, {"v": version})
    assert changed.status_code == 200 and changed["HX-Refresh"] == "true"
    assert request_page_version(request) != version
    alien = make_signature_request(office["foreign"], office["foreign_type"])
    assert client.get(reverse("signing:request_version", args=[alien.public_id])).status_code == 404
