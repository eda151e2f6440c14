import pytest

from chancela.core.people import (
    cpf_is_valid,
    cpf_mask,
    email_is_valid,
    name_is_complete,
    phone_is_valid,
    phone_normalize,
)
from chancela.testing.factories import make_cpf


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", make_cpf(7), make_cpf(8)])
def test_it_accepts_cpfs_with_right_check_digits(cpf):
    assert cpf_is_valid(cpf)


@pytest.mark.parametrize("cpf", ["529.982.247-26", "11111111111", "1234567890", "", "abc"])
def test_it_rejects_cpfs_with_wrong_check_digits_or_shape(cpf):
    assert not cpf_is_valid(cpf)


def test_it_masks_a_cpf_leaving_the_middle_digits():
    assert cpf_mask("52998224725") == "***.982.247-**"


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("(11) 98765-4321", True),
        ("+55 11 98765-4321", True),
        ("1133334444", True),
        ("11 8765-43210", False),
        ("0198765432", False),
        ("123", False),
    ],
)
def test_it_validates_brazilian_phones(phone, valid):
    assert phone_is_valid(phone) is valid


def test_it_drops_the_country_code_from_phones():
    assert phone_normalize("+55 (11) 98765-4321") == "11987654321"


@pytest.mark.parametrize(
    ("name", "ok"),
    [("Maria Silva", True), ("Maria", False), ("Maria 2 Silva", False), ("  ", False)],
)
def test_it_requires_two_words_and_no_digits_in_signer_names(name, ok):
    assert name_is_complete(name) is ok


@pytest.mark.parametrize(
    ("email", "ok"),
    [("ana@example.com", True), ("sem-arroba", False), ("a@b", False), ("", False)],
)
def test_it_tells_whether_an_email_address_is_valid(email, ok):
    assert email_is_valid(email) is ok
    assert email_is_valid(email) is ok  # the cached answer is the same
