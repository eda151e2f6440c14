"""The admin speaks Portuguese, third-party apps included."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from chancela.testing.factories import make_unit, make_user

pytestmark = pytest.mark.django_db


def test_it_names_every_app_and_model_of_the_admin_index_in_portuguese(client):
    client.force_login(User.objects.create_superuser("admin", "admin@x.y", "x"))
    html = client.get("/admin/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for english in ("Task Results", "Tasks Database Backend", "Access attempts", "Axes"):
        assert english not in text
    assert "Resultados das tarefas" in text and "Tentativas de acesso" in text
    # Filters are titled in Portuguese too ("Por unidade", never "Por unit").
    make_user(units=[make_unit(), make_unit()])
    page = client.get("/admin/institutions/unitaccess/").content.decode()
    assert "Por unidade" in page and "Por unit" not in page


@pytest.mark.parametrize(
    ("path", "english", "portuguese"),
    [
        ("/admin/axes/accessattempt/", ("access attempt", "Attempt Time"), "Horário da tentativa"),
        ("/admin/axes/accessfailurelog/", ("access failure", "Locked Out"), "falha de acesso"),
        (
            "/admin/django_tasks_database/dbtaskresult/",
            ("Task Result", "enqueued at"),
            "Resultado de tarefa",
        ),
    ],
)
def test_it_shows_the_third_party_change_lists_in_portuguese(client, path, english, portuguese):
    client.force_login(User.objects.create_superuser("admin", "admin@x.y", "x"))
    response = client.get(path)
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    for word in english:
        assert word.lower() not in text.lower(), word
    assert portuguese.lower() in text.lower()
