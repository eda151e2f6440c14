import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from chancela.core.crypto import EncryptionKeyError, decrypt, encrypt, encrypted_fields, rotate
from chancela.esign.models import SignatureConfig
from chancela.testing.factories import TEST_TOKEN, TEST_WEBHOOK_SECRET, make_config, make_unit


def _raw_column(config: SignatureConfig, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {SignatureConfig._meta.db_table} WHERE id = %s",  # noqa: S608
            [config.pk],
        )
        return cursor.fetchone()[0]


def test_it_round_trips_a_secret_under_the_configured_keys():
    stored = encrypt("segredo")
    assert stored.startswith("f1:")
    assert "segredo" not in stored
    assert decrypt(stored) == "segredo"


@pytest.mark.django_db
def test_it_stores_no_plaintext_secret_in_the_database_columns():
    config = make_config(make_unit())
    raw_token = _raw_column(config, "token")
    raw_secret = _raw_column(config, "webhook_secret")
    assert TEST_TOKEN not in raw_token and raw_token.startswith("f1:")
    assert TEST_WEBHOOK_SECRET not in raw_secret and raw_secret.startswith("f1:")
    assert SignatureConfig.objects.get(pk=config.pk).token == TEST_TOKEN


@pytest.mark.django_db
def test_it_raises_when_the_key_is_wrong_instead_of_returning_the_stored_value(settings):
    config = make_config(make_unit())
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(EncryptionKeyError):
        SignatureConfig.objects.get(pk=config.pk)


@pytest.mark.django_db
def test_it_refuses_to_work_without_any_key(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        encrypt("x")


@pytest.mark.django_db
def test_it_rotates_every_row_so_the_new_key_alone_reads_them(settings):
    from chancela.callbacks.models import InboundCallback

    old_key = settings.ENCRYPTION_KEYS[0]
    configs = [make_config(make_unit()) for _ in range(3)]
    callback = InboundCallback.objects.create(
        config=configs[0], unit=configs[0].unit, body='{"event":"sign"}' * 40,
        body_sha256="b" * 64, event_key="k-rotate", event_name="sign",
    )  # fmt: skip
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_encryption_keys", verbosity=0)

    settings.ENCRYPTION_KEYS = [new_key]
    for config in configs:
        fresh = SignatureConfig.objects.get(pk=config.pk)
        assert fresh.token == TEST_TOKEN
        assert fresh.webhook_secret == TEST_WEBHOOK_SECRET
    assert InboundCallback.objects.get(pk=callback.pk).body == '{"event":"sign"}' * 40
    settings.ENCRYPTION_KEYS = [old_key]
    with pytest.raises(EncryptionKeyError):
        SignatureConfig.objects.get(pk=configs[0].pk)


def test_it_finds_the_encrypted_columns_of_the_project():
    names = {(model.__name__, field.name) for model, field in encrypted_fields()}
    assert ("SignatureConfig", "token") in names
    assert ("SignatureConfig", "webhook_secret") in names


def test_it_round_trips_a_compressed_value_and_stores_it_smaller():
    body = (
        '{"event":{"name":"sign"},"document":{"key":"abc","signers":['
        + ('{"email":"aluno@escola.edu.br","name":"Aluno"},' * 100)
        + "{}]}}"
    )
    stored = encrypt(body, compress=True)
    assert stored.startswith("z1:")
    assert "aluno@escola" not in stored
    assert len(stored) < len(encrypt(body)) / 3
    assert decrypt(stored) == body


def test_it_rotates_a_compressed_value_keeping_its_scheme(settings):
    old_key = settings.ENCRYPTION_KEYS[0]
    stored = encrypt("corpo do webhook " * 50, compress=True)
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    rotated = rotate(stored)
    settings.ENCRYPTION_KEYS = [new_key]
    assert rotated.startswith("z1:")
    assert decrypt(rotated) == "corpo do webhook " * 50
    with pytest.raises(EncryptionKeyError):
        decrypt(stored)


def test_it_refuses_a_value_of_an_unknown_scheme():
    stored = encrypt("segredo")
    with pytest.raises(EncryptionKeyError, match="unknown format"):
        decrypt("x9:" + stored[3:])


@pytest.mark.django_db
def test_it_stores_a_callback_body_compressed_and_reads_it_back():
    from chancela.callbacks.models import InboundCallback

    config = make_config(make_unit())
    body = '{"event":{"name":"sign"},"pad":"' + "x" * 5000 + '"}'
    callback = InboundCallback.objects.create(
        config=config, unit=config.unit, body=body, body_sha256="a" * 64, event_key="k",
        event_name="sign",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body FROM {InboundCallback._meta.db_table} WHERE id = %s",  # noqa: S608
            [callback.pk],
        )
        raw = cursor.fetchone()[0]
    assert raw.startswith("z1:") and len(raw) < 1000
    assert InboundCallback.objects.get(pk=callback.pk).body == body
