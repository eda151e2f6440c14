import pytest
from cryptography.fernet import Fernet

from chancela.esign.clients import configs_sharing_account
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
    # A configuration whose token no key reads (restored from another installation, say): the
    # same token, encrypted under a key this installation does not have.
    keys = settings.ENCRYPTION_KEYS
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    make_config(make_unit(), token="0b0b0b0b-1111-4222-8333-444444444444")
    settings.ENCRYPTION_KEYS = keys

    assert sorted(configs_sharing_account(first)) == sorted([first.pk, sibling.pk])
    assert configs_sharing_account(other_token) == [other_token.pk]
    assert configs_sharing_account(other_service) == [other_service.pk]
