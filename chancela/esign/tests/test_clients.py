import pytest

from chancela.esign.clients import configs_sharing_account
from chancela.esign.models import SignatureConfig
from chancela.testing.factories import make_config, make_unit


@pytest.mark.django_db
def test_it_groups_the_configurations_that_share_a_clicksign_account(settings):
    settings.CLICKSIGN_URLS = {
        "sandbox": "https://sandbox.clicksign.test",
        "production": "https://app.clicksign.test",
    }
    first = make_config(make_unit(), token="0b0b0b0b-1111-4222-8333-444444444444")
    sibling = make_config(make_unit(), token="0b0b0b0b-1111-4222-8333-444444444444")
    other_token = make_config(make_unit(), token="0c0c0c0c-1111-4222-8333-444444444444")
    other_service = make_config(
        make_unit(), token="0b0b0b0b-1111-4222-8333-444444444444", environment="production"
    )
    # A configuration whose token no key reads (restored from another installation, say).
    unreadable = make_config(make_unit(), token="0d0d0d0d-1111-4222-8333-444444444444")
    SignatureConfig.objects.filter(pk=unreadable.pk).update(token="f1:not-a-fernet-token")

    assert sorted(configs_sharing_account(first)) == sorted([first.pk, sibling.pk])
    assert configs_sharing_account(other_token) == [other_token.pk]
    assert configs_sharing_account(other_service) == [other_service.pk]
