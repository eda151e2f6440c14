"""The ingest path as production serves it (``chancela.wsgi.application``: a plain WSGI callable
for the usual delivery, the configuration cached per process, and on PostgreSQL one prepared
statement that checks the cached configuration and the document's account while it stores the
callback with its job): every guarantee still holds.

Each test first delivers twice (:func:`_warm`): the configuration is then cached and its
``last_callback_at`` stamped, so what follows takes the one-statement path on PostgreSQL (on
SQLite, the two-insert transaction)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chancela.callbacks.models import InboundCallback, RejectedCallback, RejectReason
from chancela.callbacks.tests.conftest import wsgi_post
from chancela.esign.models import SignatureConfig
from chancela.signing.models import Document
from chancela.testing.factories import make_config, make_signature_request, make_unit
from clicksign_emulator import webhook_signature

SECRET = "0123456789abcdef0123456789abcdef"
NEW_SECRET = "fedcba9876543210fedcba9876543210"


def _body(document_key: str = "doc-1", account: str = "acc-1", **metadata: str) -> bytes:
    return json.dumps(
        {
            "event": {"name": "upload", "data": {"account": {"key": account}},
                      "occurred_at": "2026-08-10T10:00:00.000-03:00"},
            "document": {"key": document_key, "account_key": account, "status": "running",
                         "metadata": metadata, "events": []},
        }
    ).encode()  # fmt: skip


def _post(config: SignatureConfig, body: bytes, signature: str | None) -> tuple[int, str]:
    headers = {"HTTP_CONTENT_HMAC": signature} if signature is not None else {}
    status, _, content = wsgi_post(f"/callbackclicksign/{config.public_id}", body, headers)
    return status, json.loads(content)["code"]


def _jobs() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="process_callback").count()


def _warm(config: SignatureConfig, secret: str = SECRET) -> None:
    """Two genuine deliveries: the first caches the configuration and stamps its
    ``last_callback_at``, the second caches the stamped row."""
    for key in ("warm-1", "warm-2"):
        body = _body(key)
        assert _post(config, body, webhook_signature(secret, body)) == (200, "stored")


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no savepoint around it
def test_it_stores_a_usual_delivery_in_one_statement_on_postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    config = make_config(make_unit(), webhook_secret=SECRET)
    _warm(config)
    body = _body()
    with CaptureQueriesContext(connection) as queries:
        assert _post(config, body, webhook_signature(SECRET, body)) == (200, "stored")
    assert len(queries) == 1
    stored = InboundCallback.objects.get(document_key="doc-1")
    assert stored.body == body.decode() and stored.config_id == config.pk
    assert stored.unit_id == config.unit_id and stored.event_name == "upload"
    job = DBTaskResult.objects.get(args_kwargs__args=[str(stored.pk)])
    assert job.task_path.endswith("process_callback") and job.status == "READY"


def test_it_rejects_every_kind_of_forged_delivery_and_records_it(db):
    config = make_config(make_unit(), webhook_secret=SECRET)
    other = make_config(make_unit(), webhook_secret="b" * 32)
    _warm(config)
    body = _body()
    digest = webhook_signature(SECRET, body).removeprefix("sha256=")
    flipped = body.replace(b"doc-1", b"doc-2")
    forged = {
        "missing header": (body, None, RejectReason.MISSING_SIGNATURE),
        "empty header": (body, "", RejectReason.MISSING_SIGNATURE),
        "wrong secret": (body, webhook_signature("0" * 32, body), RejectReason.BAD_SIGNATURE),
        "another configuration's secret": (
            body, webhook_signature(other.webhook_secret, body), RejectReason.BAD_SIGNATURE,
        ),
        "signature of another body": (flipped, "sha256=" + digest, RejectReason.BAD_SIGNATURE),
        "uppercase hex": (body, "sha256=" + digest.upper(), RejectReason.BAD_SIGNATURE),
        "another prefix": (body, "sha1=" + digest, RejectReason.BAD_SIGNATURE),
        "bare digest": (body, digest, RejectReason.BAD_SIGNATURE),
    }  # fmt: skip
    for kind, (raw, signature, _) in forged.items():
        assert _post(config, raw, signature)[0] == 401, kind
    reasons = list(RejectedCallback.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == [reason for _, _, reason in forged.values()]
    assert InboundCallback.objects.count() == 2 and _jobs() == 2  # the two of _warm
    # A known account answering for another one is refused too.
    SignatureConfig.objects.filter(pk=config.pk).update(clicksign_account_key="acc-1")
    foreign = _body(account="acc-2")
    assert _post(config, foreign, webhook_signature(SECRET, foreign)) == (401, "account_mismatch")
    # And the genuine delivery passes.
    assert _post(config, body, webhook_signature(SECRET, body)) == (200, "stored")


def test_it_sees_a_rotated_secret_or_a_removed_configuration_at_once(db):
    config = make_config(make_unit(), webhook_secret=SECRET)
    _warm(config)  # now cached: the old secret still verifies in this process's cache
    # Rotated behind this process's back (another process, a plain UPDATE): no grace period.
    SignatureConfig.objects.filter(pk=config.pk).update(
        webhook_secret=NEW_SECRET,  # the field encrypts
        previous_webhook_secret=SECRET,
        previous_webhook_secret_valid_until=timezone.now() - timedelta(seconds=1),
    )
    second = _body("doc-2")
    assert _post(config, second, webhook_signature(SECRET, second)) == (401, "bad_signature")
    assert not InboundCallback.objects.filter(document_key="doc-2").exists()
    assert RejectedCallback.objects.get().reason == RejectReason.BAD_SIGNATURE
    assert _post(config, second, webhook_signature(NEW_SECRET, second)) == (200, "stored")
    SignatureConfig.objects.filter(pk=config.pk).delete()
    third = _body("doc-3")
    assert _post(config, third, webhook_signature(NEW_SECRET, third))[0] == 404


@pytest.mark.django_db(transaction=True)
def test_it_commits_the_callback_with_its_job_before_answering(transactional_db):
    config = make_config(make_unit(), webhook_secret=SECRET)
    _warm(config)
    body = _body()
    status, headers, _ = wsgi_post(
        f"/callbackclicksign/{config.public_id}",
        body,
        {"HTTP_CONTENT_HMAC": webhook_signature(SECRET, body)},
    )
    assert status == 200
    assert "set-cookie" not in headers  # no session work on this path
    # Seen from another connection: committed, not merely written in an open transaction.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM callbacks_inboundcallback WHERE document_key = 'doc-1'")
            (callback_id,) = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT args_kwargs FROM django_tasks_database_dbtaskresult "
                "WHERE task_path LIKE %s",
                ["%process_callback"],
            )
            jobs = [row[0] for row in cursor.fetchall()]
    finally:
        other.close()
    args = [json.loads(a) if isinstance(a, str) else a for a in jobs]
    assert {"args": [str(callback_id)], "kwargs": {}} in args and len(args) == 3


@pytest.mark.parametrize(
    "table", ["callbacks_inboundcallback", "django_tasks_database_dbtaskresult"]
)
def test_it_answers_503_and_keeps_nothing_when_the_database_refuses_the_write(db, table):
    config = make_config(make_unit(), webhook_secret=SECRET)
    _warm(config)
    body = _body()
    with connection.cursor() as cursor:  # a real database error on the inbox or the job
        cursor.execute(f"ALTER TABLE {table} RENAME TO refused_table")
    try:
        answer = _post(config, body, webhook_signature(SECRET, body))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE refused_table RENAME TO {table}")
    assert answer == (503, "not_stored")
    # callback and job, or neither
    assert InboundCallback.objects.count() == 2 and _jobs() == 2  # the two of _warm
    assert _post(config, body, webhook_signature(SECRET, body)) == (200, "stored")  # retried


def test_it_answers_a_duplicate_as_a_duplicate_and_stores_it_once(db):
    config = make_config(make_unit(), webhook_secret=SECRET)
    _warm(config)
    body = _body()
    signature = webhook_signature(SECRET, body)
    assert _post(config, body, signature) == (200, "stored")
    assert _post(config, body, signature) == (200, "duplicate")
    same_event = json.dumps(json.loads(body), indent=1).encode()  # another body, same event
    assert _post(config, same_event, webhook_signature(SECRET, same_event)) == (200, "duplicate")
    stored = InboundCallback.objects.get(document_key="doc-1")
    assert stored.duplicates == 2 and stored.last_duplicate_at is not None
    assert _jobs() == 3


def test_it_refuses_a_host_the_deployment_does_not_serve(db, settings):
    settings.ALLOWED_HOSTS = ["chancela.example.edu.br"]
    config = make_config(make_unit(), webhook_secret=SECRET)
    body = _body()
    status, _, _ = wsgi_post(
        f"/callbackclicksign/{config.public_id}",
        body,
        {"HTTP_CONTENT_HMAC": webhook_signature(SECRET, body), "HTTP_HOST": "evil.example"},
    )
    assert status == 400
    assert not InboundCallback.objects.exists()


def test_it_refuses_a_document_of_another_account_through_the_cached_configuration(db):
    config = make_config(make_unit(), webhook_secret=SECRET)
    foreign = make_signature_request(make_unit())  # its own configuration, another account
    shared = make_signature_request(make_unit())  # another configuration of the same account
    SignatureConfig.objects.filter(pk=config.pk).update(clicksign_account_key="acc-1")
    SignatureConfig.objects.filter(pk=foreign.config_id).update(clicksign_account_key="acc-2")
    SignatureConfig.objects.filter(pk=shared.config_id).update(clicksign_account_key="acc-1")
    Document.objects.filter(request=foreign).update(clicksign_document_id="doc-foreign")
    Document.objects.filter(request=shared).update(clicksign_document_id="doc-shared")
    _warm(config)
    by_key = _body("doc-foreign")
    by_metadata = _body("", chancela_document=str(foreign.documents.get().public_id))
    for body in (by_key, by_metadata):
        assert _post(config, body, webhook_signature(SECRET, body)) == (200, "other_account")
    assert (
        list(RejectedCallback.objects.values_list("reason", flat=True))
        == [RejectReason.OTHER_ACCOUNT] * 2
    )
    assert InboundCallback.objects.count() == 2 and _jobs() == 2  # the two of _warm
    ours = _body("doc-shared")
    assert _post(config, ours, webhook_signature(SECRET, ours)) == (200, "stored")


def test_it_announces_the_job_it_enqueued(db):
    from django_tasks.signals import task_enqueued

    config = make_config(make_unit(), webhook_secret=SECRET)
    _warm(config)
    announced = []

    def remember(sender, task_result, **kwargs):
        announced.append(task_result)

    task_enqueued.connect(remember)
    try:
        body = _body()
        assert _post(config, body, webhook_signature(SECRET, body)) == (200, "stored")
    finally:
        task_enqueued.disconnect(remember)
    stored = InboundCallback.objects.get(document_key="doc-1")
    (result,) = announced
    job = DBTaskResult.objects.get(args_kwargs__args=[str(stored.pk)])
    assert str(result.id) == str(job.id) and result.args == [str(stored.pk)]
    assert result.task.module_path.endswith("process_callback")


def test_it_keeps_no_pattern_index_on_the_callback_table_that_every_delivery_would_pay_for(db):
    if connection.vendor != "postgresql":
        pytest.skip("varchar_pattern_ops indexes are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            [InboundCallback._meta.db_table],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert not [d for d in definitions if "pattern_ops" in d]
    unique = [d for d in definitions if d.startswith("CREATE UNIQUE")]
    assert any("(body_sha256)" in d for d in unique) and any("(event_key)" in d for d in unique)
