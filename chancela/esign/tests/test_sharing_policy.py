import pytest
from django.urls import reverse

from chancela.esign.errors import ConfigurationError
from chancela.esign.services import sharing_policy_set
from chancela.institutions.models import SharingType
from chancela.institutions.selectors import sharing_type_for
from chancela.testing.factories import (
    MANAGE_CONFIG,
    make_config,
    make_unit,
    make_unit_group,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_it_defaults_to_exclusive_to_the_unit():
    assert sharing_type_for() == SharingType.UNIT


def test_it_lets_only_a_superuser_change_the_sharing_policy(client):
    unit = make_unit()
    client.force_login(make_user(units=[unit], perms=[MANAGE_CONFIG]))
    response = client.post(reverse("web:sharing_policy"), {"sharing_type": "all"})
    assert response.status_code == 403
    assert sharing_type_for() == SharingType.UNIT
    client.force_login(make_user(superuser=True))
    client.post(reverse("web:sharing_policy"), {"sharing_type": "all"})
    assert sharing_type_for() == SharingType.ALL


def test_it_refuses_a_policy_that_would_make_two_active_configurations_overlap():
    group = make_unit_group()
    make_config(make_unit(group))
    make_config(make_unit(group))
    with pytest.raises(ConfigurationError) as excinfo:
        sharing_policy_set(actor=None, sharing_type=SharingType.UNIT_GROUP)
    assert excinfo.value.code == "sharing_conflict"
    assert sharing_type_for() == SharingType.UNIT
