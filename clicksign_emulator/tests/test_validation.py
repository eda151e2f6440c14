"""Field validators used by the API (CPF, phone, names, data URIs, dates)."""

from datetime import timedelta

import pytest

from clicksign_emulator.validation import (
    DataUriError,
    cpf_is_valid,
    name_is_valid,
    parse_data_uri,
    parse_datetime,
    phone_is_valid,
)


@pytest.mark.parametrize("cpf", ["529.982.247-25", "111.444.777-35"])
def test_it_accepts_cpfs_with_right_check_digits(cpf):
    assert cpf_is_valid(cpf)


@pytest.mark.parametrize(
    "cpf", ["529.982.247-24", "111.111.111-11", "52998224725", "529982247-25", None, 52998224725]
)
def test_it_refuses_bad_or_unformatted_cpfs(cpf):
    assert not cpf_is_valid(cpf)


@pytest.mark.parametrize("phone", ["11987654321", "5511987654321", "1133334444", "551133334444"])
def test_it_accepts_ddd_plus_number_phones(phone):
    assert phone_is_valid(phone)


@pytest.mark.parametrize(
    "phone", ["+5511987654321", "11 98765-4321", "01987654321", "11887654321", "1193334444", "9"]
)
def test_it_refuses_malformed_phones(phone):
    assert not phone_is_valid(phone)


@pytest.mark.parametrize(
    ("name", "valid"),
    [("Maria da Silva", True), ("José Ávila", True), ("Maria", False), ("Ana 2 Lima", False)],
)
def test_it_wants_two_words_without_digits_in_names(name, valid):
    assert name_is_valid(name) is valid


def test_it_parses_a_data_uri():
    assert parse_data_uri("data:application/pdf;base64,JVBERi0=") == ("application/pdf", b"%PDF-")
    for bad in ("JVBERi0=", "data:application/pdf,JVBERi0=", "data:application/pdf;base64,@@"):
        with pytest.raises(DataUriError):
            parse_data_uri(bad)


def test_it_parses_datetimes_with_or_without_offset():
    utc, local, day = (
        parse_datetime(v) for v in ("2027-01-15T09:00:00Z", "2027-01-15T09:00:00", "2027-01-15")
    )
    assert utc is not None and local is not None and day is not None
    assert utc.utcoffset() == timedelta(0)
    assert local.utcoffset() == timedelta(hours=-3)  # no offset: Brasília time
    assert (day.hour, day.minute) == (0, 0)
    assert parse_datetime("amanhã") is None
