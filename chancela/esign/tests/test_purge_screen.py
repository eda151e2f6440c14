"""The screen “Limpeza de pessoas registradas para assinatura” (TB_PESSOA_ASSIN_ELETRONICA)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from chancela.esign.models import ConfigAuditEntry, SignerRegistration
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    make_person,
    make_signer_registration,
    make_user,
)

pytestmark = pytest.mark.django_db

URL = reverse("esign:signer_registration_purge")
PURGED = ConfigAuditEntry.Action.SIGNER_REGISTRATIONS_PURGED


@pytest.fixture
def admin(client, registrations):
    user = make_user(units=[registrations["centro"], registrations["norte"]], perms=[MANAGE_CONFIG])
    client.force_login(user)
    return user


def listed(html: str) -> list[str]:
    """The names in the preview table's rows."""
    body = html.split('id="previa"', 1)[1]
    return re.findall(r"<tr>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>", body, re.S)


def preview(client, **filters):
    return client.get(URL, filters)


def confirm_data(html: str) -> dict[str, list[str]]:
    """The hidden fields of the confirmation form, as the browser would send them."""
    form = html.split('id="confirmar-remocao"', 1)[1].split("</form>", 1)[0]
    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(name, []).append(value)
    return data


def test_it_shows_the_filters_and_lists_nothing_before_asking(client, admin):
    html = client.get(URL).content.decode()
    assert "Campus Centro" in html and "Rede Centro" in html and "E-mails usados nos testes" in html
    assert "Outra escola" not in html  # not in the user's unit filter
    assert "Simulação" not in html


def test_the_dry_run_lists_without_deleting(client, admin, registrations):
    response = preview(client, unit_groups=[registrations["group"].pk], emails="teste@escola.br")

    html = response.content.decode()
    assert "Simulação: 2 registro(s) seriam removidos" in html
    assert sorted(listed(html)) == sorted(
        [registrations["centro_test"].name, registrations["norte_test"].name]
    )
    assert "***.982.247-**" in html and "52998224725" not in html  # masked CPF
    assert "Sandbox — sem validade jurídica" in html
    assert SignerRegistration.objects.count() == 5
    assert not ConfigAuditEntry.objects.filter(action=PURGED).exists()


def test_the_real_run_deletes_exactly_what_the_dry_run_listed(client, admin, registrations):
    html = preview(
        client,
        units=[registrations["centro"].pk, registrations["norte"].pk],
        emails="teste@escola.br",
    )
    html = html.content.decode()
    shown = set(listed(html))
    data = confirm_data(html)

    # Without the explicit confirmation nothing happens.
    response = client.post(URL, data, follow=True)
    assert "Marque a confirmação" in response.content.decode()
    assert SignerRegistration.objects.count() == 5

    response = client.post(URL, {**data, "confirm": "1"}, follow=True)

    html = response.content.decode()
    assert "2 pessoa(s) registrada(s) para assinatura removida(s)" in html
    gone = {registrations[key].name for key in ("centro_test", "norte_test")}
    assert shown == gone
    remaining = set(SignerRegistration.objects.values_list("name", flat=True))
    assert remaining.isdisjoint(gone) and len(remaining) == 3
    assert "Simulação: 0 registro(s)" in html  # the same filters, listed again
    entry = ConfigAuditEntry.objects.get(action=PURGED)
    assert entry.actor == admin and entry.config == registrations["centro_test"].config
    assert "t***@escola.br" in str(entry.changes)


def test_it_deletes_nothing_when_the_selection_changed_after_the_dry_run(
    client, admin, registrations
):
    html = preview(client, units=[registrations["centro"].pk]).content.decode()
    data = confirm_data(html)
    assert sorted(listed(html)) == sorted(
        [registrations["centro_test"].name, registrations["centro_other"].name]
    )
    late = make_signer_registration(
        registrations["centro_test"].config, make_person(registrations["centro"])
    )

    response = client.post(URL, {**data, "confirm": "1"}, follow=True)

    html = response.content.decode()
    assert "A seleção mudou desde a simulação" in html
    assert SignerRegistration.objects.count() == 6
    assert late.name in listed(html)  # the updated list, for a new decision


def test_it_keeps_production_unless_told_and_warns_when_told(client, admin, registrations):
    html = preview(
        client, units=[registrations["centro"].pk], emails="teste@escola.br"
    ).content.decode()
    assert listed(html) == [registrations["centro_test"].name]

    html = preview(
        client,
        units=[registrations["centro"].pk],
        emails="teste@escola.br",
        include_production="on",
    ).content.decode()
    assert sorted(listed(html)) == sorted(
        [registrations["centro_test"].name, registrations["prod_test"].name]
    )
    assert "inclui registros de configurações de <strong>Produção</strong>" in html
    client.post(URL, {**confirm_data(html), "confirm": "1"})
    assert not SignerRegistration.objects.filter(
        pk__in=[registrations["centro_test"].pk, registrations["prod_test"].pk]
    ).exists()
    assert ConfigAuditEntry.objects.filter(
        action=PURGED, config=registrations["prod_test"].config
    ).exists()


def test_it_never_reaches_units_outside_the_users_filter(client, admin, registrations):
    # E-mails alone search only the user's units: "Outra escola" has the same e-mail.
    html = preview(client, emails="teste@escola.br").content.decode()
    assert registrations["outra_test"].name not in listed(html)
    # A forged unit id is refused by the form, not silently widened.
    html = preview(client, units=[registrations["outra"].pk]).content.decode()
    assert "Simulação" not in html
    client.post(URL, {"units": [registrations["outra"].pk], "confirm": "1", "fingerprint": "x"})
    assert SignerRegistration.objects.filter(pk=registrations["outra_test"].pk).exists()


def test_it_refuses_a_clean_up_without_filters_or_with_a_bad_email(client, admin):
    html = client.get(URL, {"emails": ""}).content.decode()
    assert "Informe ao menos uma unidade, um grupo de unidades ou um e-mail" in html
    html = client.get(URL, {"emails": "teste@escola.br, nao-e-email"}).content.decode()
    assert "E-mail inválido: nao-e-email" in html
    assert SignerRegistration.objects.count() == 5


def test_it_requires_the_configuration_permission(client, registrations):
    client.force_login(make_user(units=[registrations["centro"]], perms=[SEND_DOCUMENTS]))
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"units": [registrations["centro"].pk], "confirm": "1"}).status_code == 403
    )


def test_it_is_linked_from_the_configuration_list(client, admin):
    assert URL in client.get(reverse("esign:config_list")).content.decode()
