from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from chancela.api.models import ApiKey
from chancela.testing.factories import (
    MANAGE_CONFIG,
    SEND_DOCUMENTS,
    make_api_key,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_the_command_prints_the_key_once_and_stores_only_its_hash(client):
    unit_a, unit_b = make_unit(code="CENTRO"), make_unit(code="NORTE")
    out = StringIO()
    call_command(
        "create_api_key",
        "--name",
        "ERP acadêmico",
        "--unit",
        "centro",
        "--unit",
        "NORTE",
        stdout=out,
    )
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("chk_")
    api_key = ApiKey.objects.get()
    assert set(api_key.units.all()) == {unit_a, unit_b}
    assert api_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiKey.objects.values().get().values())
    assert key not in stored and key[13:] not in stored
    response = client.get("/api/v1/signature-requests", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert ApiKey.objects.get().last_used_at is not None


def test_the_command_refuses_an_unknown_unit():
    make_unit(code="CENTRO")
    with pytest.raises(CommandError, match="NAO_EXISTE"):
        call_command("create_api_key", "--name", "ERP", "--unit", "NAO_EXISTE", stdout=StringIO())
    assert not ApiKey.objects.exists()


def test_the_screen_creates_a_key_shown_once_for_the_users_units_only(client):
    unit, foreign = make_unit(name="Colégio Centro"), make_unit(name="Colégio Norte")
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    form = client.get(reverse("api_keys:create")).content.decode()
    assert "Colégio Centro" in form and "Colégio Norte" not in form

    refused = client.post(reverse("api_keys:create"), {"name": "ERP", "units": [foreign.pk]})
    assert "Escolha só unidades do seu filtro de unidades." in refused.content.decode()
    assert not ApiKey.objects.exists()

    response = client.post(reverse("api_keys:create"), {"name": "ERP produção", "units": [unit.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "não será mostrada de novo" in html
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get()
    start = html.index('value="chk_') + len('value="')
    key = html[start : html.index('"', start)]
    assert hashlib.sha256(key.encode()).hexdigest() == api_key.key_hash
    listing = client.get(reverse("api_keys:list")).content.decode()
    assert "ERP produção" in listing and key not in listing and api_key.display_prefix in listing


def test_the_screen_revokes_a_key_and_the_api_then_refuses_it(client):
    unit = make_unit()
    api_key, key = make_api_key(units=[unit], name="ERP antigo")
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    response = client.post(reverse("api_keys:revoke", args=[api_key.public_id]))
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert "Revogada" in client.get(reverse("api_keys:list")).content.decode()
    api = client.get("/api/v1/signature-requests", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 401 and api.json()["code"] == "api_key_revoked"


def test_the_screen_hides_keys_reaching_units_outside_the_users_filter(client):
    unit, other = make_unit(), make_unit()
    mine, _ = make_api_key(units=[unit], name="Chave daqui")
    wider, _ = make_api_key(units=[unit, other], name="Chave da rede")
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    html = client.get(reverse("api_keys:list")).content.decode()
    assert "Chave daqui" in html and "Chave da rede" not in html
    assert client.post(reverse("api_keys:revoke", args=[wider.public_id])).status_code == 404
    wider.refresh_from_db()
    assert wider.revoked_at is None


def test_the_screen_needs_the_configuration_permission(client):
    unit = make_unit()
    client.force_login(make_user(units=[unit], perms=[SEND_DOCUMENTS]))
    assert client.get(reverse("api_keys:list")).status_code == 403


def test_the_demo_prints_an_api_key_that_works(client, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    key = next(word for word in out.split() if word.startswith("chk_"))
    response = client.get(
        "/api/v1/signature-requests", {"unit": "NORTE"}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200
