"""Receiving a Clicksign webhook: find the configuration, verify, store — then answer.

Nothing here calls the network. The answer is 2xx only once the delivery is committed (with its
processing job, in the same transaction); 503 when it cannot be stored, so Clicksign retries —
also when the database fails earlier (the configuration look-up: the view catches it). An
outage is logged once (``DATABASE_OUTAGE``), not once per delivery.
A missing or bad signature is a 401, recorded as a security event without the body.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import F, Q
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

from chancela.callbacks.models import InboundCallback, RejectedCallback, RejectReason
from chancela.clicksign.events import (
    WebhookPayloadError,
    event_dedupe_key,
    verify_signature,
    webhook_account_key,
    webhook_document_key,
    webhook_parse,
)
from chancela.core import outage
from chancela.core.outage import OutageLog, work_began
from chancela.esign.models import SignatureConfig
from chancela.signing.models import Document, SignatureRequest

logger = logging.getLogger(__name__)

STAMP_EVERY = timedelta(minutes=1)
DATABASE_OUTAGE = OutageLog(logger, "callback endpoint")


@dataclass(frozen=True)
class ReceiveResult:
    status: int
    code: str
    callback_id: int | None = None
    # False when the database did not answer (or was never asked): no sign that it is back.
    reached_database: bool = True


def config_secrets(config: SignatureConfig) -> list[str]:
    """The secrets a callback of ``config`` may be signed with: the current one, and the
    replaced one while its grace period lasts."""
    secrets = [config.webhook_secret or ""]
    valid_until = config.previous_webhook_secret_valid_until
    if config.previous_webhook_secret and valid_until and valid_until > timezone.now():
        secrets.append(config.previous_webhook_secret)
    return [s for s in secrets if s]


def document_for_key(document_key: str, metadata: dict[str, Any]) -> Document | None:
    """Our document for a Clicksign document key (or, before dispatch recorded the key, for the
    ``chancela_document`` id we put in its metadata)."""
    if document_key:
        found = (
            Document.objects.select_related("request__config", "request__unit")
            .filter(clicksign_document_id=document_key)
            .first()
        )
        if found is not None:
            return found
    ours = str(metadata.get("chancela_document") or "")
    try:
        public_id = uuid.UUID(ours)
    except ValueError:
        return None
    return (
        Document.objects.select_related("request__config", "request__unit")
        .filter(public_id=public_id)
        .first()
    )


def callback_may_touch(*, config: SignatureConfig, document: Document) -> bool:
    """Whether a callback verified with ``config``'s secret may change ``document``.

    Only through the document's own configuration, or through another configuration of the same
    Clicksign account — each configuration's account as Clicksign itself told us over that
    configuration's own token ("Testar conexão"), never as a callback body claims it: anyone
    who may create a configuration chooses its webhook secret and can sign any body.
    """
    owner = document.request.config
    return _may_touch(config, owner.pk, owner.clicksign_account_key)


def _may_touch(config: SignatureConfig, owner_id: int, owner_account_key: str) -> bool:
    if owner_id == config.pk:
        return True
    return bool(owner_account_key) and owner_account_key == config.clicksign_account_key


def document_owner(document_key: str, metadata: dict[str, Any]) -> tuple[int, str] | None:
    """(id, Clicksign account) of the configuration that sent the document a delivery names,
    looked up as :func:`document_for_key` does — what :func:`callback_may_touch` needs, read
    by one plain query on the ingest path (building the document, its request and its
    configuration with three secrets decrypted was half of a delivery's CPU time)."""
    connection = connections[router.db_for_read(Document)]
    by: list[tuple[str, Any]] = []
    if document_key:
        by.append(("clicksign_document_id", document_key))
    with contextlib.suppress(ValueError):
        by.append(("public_id", uuid.UUID(str(metadata.get("chancela_document") or ""))))
    for column, value in by:
        field = _field(Document, column)
        with connection.cursor() as cursor:
            cursor.execute(_owner_sql(connection.ops.quote_name, column), [
                field.get_db_prep_value(value, connection)
            ])  # fmt: skip
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]), str(row[1] or "")
    return None


@functools.cache
def _owner_sql(quote: Any, column: str) -> str:
    document, request, config = Document._meta, SignatureRequest._meta, SignatureConfig._meta
    request_fk = quote(document.get_field("request").column)
    config_fk = quote(request.get_field("config").column)
    account = quote(config.get_field("clicksign_account_key").column)
    return (
        f"SELECT r.{config_fk}, c.{account} FROM {quote(document.db_table)} d "  # noqa: S608
        f"JOIN {quote(request.db_table)} r ON r.{quote(request.pk.column)} = d.{request_fk} "
        f"JOIN {quote(config.db_table)} c ON c.{quote(config.pk.column)} = r.{config_fk} "
        f"WHERE d.{quote(_field(Document, column).column)} = %s LIMIT 1"
    )


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


# public id -> (the configuration's raw row, the configuration built from it). Per process. On
# PostgreSQL the row's first column is ``md5(row::text)``: the version the one-statement fast
# path (:func:`_receive_cached`) compares with the row it finds when it stores a delivery.
_configs: dict[uuid.UUID, tuple[tuple[Any, ...], SignatureConfig]] = {}


def config_for_delivery(public_id: uuid.UUID) -> SignatureConfig | None:
    """The configuration ``public_id`` names, as it is in the database now.

    Its row is read (one indexed SELECT of raw columns: no model built, no secret decrypted);
    the configuration built from it, secrets decrypted, is kept per process and rebuilt
    whenever any column of the row differs from the last one seen (a rotated secret, a
    deactivation, a learned account...). So no change is ever served stale, in any process.
    """
    opts = SignatureConfig._meta
    connection = connections[router.db_for_read(SignatureConfig)]
    quote = connection.ops.quote_name
    field = opts.get_field("public_id")
    version = "md5(c::text)" if connection.vendor == "postgresql" else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {version}, c.* FROM {quote(opts.db_table)} c "  # noqa: S608
            f"WHERE c.{quote(field.column)} = %s",
            [field.get_db_prep_value(public_id, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        _configs.pop(public_id, None)
        return None
    row = tuple(row)
    cached = _configs.get(public_id)
    if cached is not None and cached[0] == row:
        return cached[1]
    config = SignatureConfig.objects.select_related("unit").filter(public_id=public_id).first()
    if config is not None:
        # Built after the row was read, so never older than it: a later change differs.
        _configs[public_id] = (row, config)
    return config


def callback_receive_answered(
    *,
    raw_body: bytes,
    signature: str,
    config_public_id: uuid.UUID | None,
    event_header: str = "",
    remote_addr: str = "",
) -> ReceiveResult:
    """:func:`callback_receive` as an endpoint answers it: a database that fails anywhere —
    also before the write, at the configuration's look-up — is a 503 (Clicksign retries),
    logged once per outage (``DATABASE_OUTAGE``), never a traceback per delivery. Only a
    delivery that reached the database closes it if its connection was opened after the outage's
    first refusal, or a new connection confirms it (``chancela.core.outage``)."""
    started = time.monotonic()
    try:
        result = callback_receive(
            raw_body=raw_body,
            signature=signature,
            config_public_id=config_public_id,
            event_header=event_header,
            remote_addr=remote_addr,
        )
    except DatabaseError as exc:  # unreachable or refusing: Clicksign must retry later
        DATABASE_OUTAGE.failed(exc)
        return ReceiveResult(503, "database_unavailable")
    if result.reached_database:
        DATABASE_OUTAGE.ok(
            started=work_began(started), confirm=outage.database_accepts_new_connections
        )
    return result


def _candidates_from_payload(body: Any) -> list[SignatureConfig]:
    """The bare endpoint: which configuration(s) may have sent this body (document first, then
    the account key). Verification still decides."""
    document = body.get("document") if isinstance(body, dict) else None
    metadata = document.get("metadata") if isinstance(document, dict) else None
    found = document_for_key(
        webhook_document_key(body), metadata if isinstance(metadata, dict) else {}
    )
    if found is not None:
        return [found.request.config]
    account_key = webhook_account_key(body)
    if not account_key:
        return []
    return list(
        SignatureConfig.objects.select_related("unit")
        .filter(clicksign_account_key=account_key)
        .order_by("-active", "-id")
    )


def _reject(
    *,
    reason: str,
    config: SignatureConfig | None,
    remote_addr: str,
    event_header: str,
    size: int,
    status: int = 401,
) -> ReceiveResult:
    logger.warning(
        "clicksign callback rejected",
        extra={
            "security_event": "callback_rejected",
            "reason": reason,
            "config": str(config.public_id) if config else "",
            "remote_addr": remote_addr,
            "event_header": event_header[:80],
            "body_size": size,
        },
    )
    try:
        RejectedCallback.objects.create(
            config=config,
            unit=config.unit if config else None,
            reason=reason,
            remote_addr=remote_addr[:64],
            event_header=event_header[:80],
            body_size=size,
        )
    except DatabaseError as exc:
        DATABASE_OUTAGE.failed(exc)
        return ReceiveResult(status, reason, reached_database=False)
    return ReceiveResult(status, reason)


def callback_receive(
    *,
    raw_body: bytes,
    signature: str,
    config_public_id: uuid.UUID | None,
    event_header: str = "",
    remote_addr: str = "",
) -> ReceiveResult:
    """Verify and store one delivery. ``config_public_id`` None = the bare endpoint."""
    if config_public_id is not None:
        stored = _receive_cached(raw_body, signature, config_public_id)
        if stored is not None:
            return stored
    size = len(raw_body)
    body: Any = None
    if config_public_id is not None:
        config = config_for_delivery(config_public_id)
        if config is None:
            return ReceiveResult(404, "unknown_config")
        candidates = [config]
    else:
        try:
            body = json.loads(raw_body)
        except ValueError:
            return ReceiveResult(400, "invalid_json", reached_database=False)
        candidates = _candidates_from_payload(body)
        if not candidates:
            return _reject(
                reason=RejectReason.UNKNOWN_CONFIG,
                config=None,
                remote_addr=remote_addr,
                event_header=event_header,
                size=size,
            )
    if not (signature or "").strip():
        return _reject(
            reason=RejectReason.MISSING_SIGNATURE,
            config=candidates[0],
            remote_addr=remote_addr,
            event_header=event_header,
            size=size,
        )
    verified = next(
        (c for c in candidates if verify_signature(raw_body, signature, config_secrets(c))), None
    )
    if verified is None:
        return _reject(
            reason=RejectReason.BAD_SIGNATURE,
            config=candidates[0],
            remote_addr=remote_addr,
            event_header=event_header,
            size=size,
        )
    config = verified
    if body is None:
        try:
            body = json.loads(raw_body)
        except ValueError:
            return ReceiveResult(400, "invalid_json")
    try:
        payload = webhook_parse(body, history=False)
    except WebhookPayloadError:
        return ReceiveResult(400, "invalid_payload")
    known = config.clicksign_account_key
    if payload.account_key and known and payload.account_key != known:
        return _reject(
            reason=RejectReason.ACCOUNT_MISMATCH,
            config=config,
            remote_addr=remote_addr,
            event_header=event_header,
            size=size,
        )
    owner = document_owner(payload.document_key, payload.metadata)
    if owner is not None and not _may_touch(config, *owner):
        # Answered 2xx: a genuine delivery of a shared account whose configurations were not
        # both identified yet also lands here, and its own configuration's URL gets it too.
        return _reject(
            reason=RejectReason.OTHER_ACCOUNT,
            config=config,
            remote_addr=remote_addr,
            event_header=event_header,
            size=size,
            status=200,
        )
    return _store(
        config=config,
        raw_body=raw_body,
        payload_event_key=event_dedupe_key(payload.event, payload.document_key),
        payload=payload,
    )


def _receive_cached(raw_body: bytes, signature: str, public_id: uuid.UUID) -> ReceiveResult | None:
    """PostgreSQL, the usual delivery, in ONE round trip: verified with this process's cached
    configuration, then stored with its job by one prepared statement (:func:`_fast_statement`)
    that also checks, in the database at the moment of the write, that the configuration's row
    is still the one cached (``md5(row::text)``) and that the document the delivery names may
    be touched through it (the rule of :func:`_may_touch`).

    None whenever it is not that plain case — no cached configuration, a signature that does
    not verify with the cached secrets, a body that does not parse, another account's key, a
    ``last_callback_at`` stamp due, a row changed since it was cached, another account's
    document: nothing was written, and the full path decides (reads the configuration again,
    records any rejection)."""
    cached = _configs.get(public_id)
    if cached is None or cached[0][0] is None:  # not cached, or not PostgreSQL
        return None
    row, config = cached
    if not verify_signature(raw_body, signature, config_secrets(config)):
        return None
    try:
        payload = webhook_parse(json.loads(raw_body), history=False)
    except ValueError:  # invalid JSON or UTF-8, WebhookPayloadError
        return None
    known = config.clicksign_account_key
    if payload.account_key and known and payload.account_key != known:
        return None
    now = timezone.now()
    if config.last_callback_at is None or config.last_callback_at < now - STAMP_EVERY:
        return None
    connection = connections[router.db_for_write(InboundCallback)]
    if connection.vendor != "postgresql":
        return None
    document_id = None
    with contextlib.suppress(ValueError):
        document_id = uuid.UUID(str(payload.metadata.get("chancela_document") or ""))
    statement = _fast_statement(connection.alias)
    event_key = event_dedupe_key(payload.event, payload.document_key)[:300]
    body_sha256 = hashlib.sha256(raw_body).hexdigest()
    job_id = uuid.uuid4()
    # Bound as PostgreSQL takes them (cast in the statement); the body encrypted by its field.
    params = (
        payload.document_key, payload.document_key, document_id,  # the document's owner
        public_id, row[0], config.pk, known or "",  # the configuration unchanged, allowed
        uuid.uuid4(), config.pk, config.unit_id, now,
        statement.body_field.get_db_prep_save(raw_body.decode("utf-8", "replace"), connection),
        body_sha256, event_key, payload.event.name[:80], payload.document_key[:64],
        payload.event.created, now + statement.recheck_after,
        job_id, now,
    )  # fmt: skip
    try:
        with (
            transaction.atomic(using=connection.alias)
            if connection.in_atomic_block
            else (contextlib.nullcontext())
        ):
            fresh, callback_id = _execute_prepared(connection, statement.sql, params)
            if fresh and callback_id is None:
                InboundCallback.objects.filter(
                    Q(body_sha256=body_sha256) | Q(event_key=event_key)
                ).update(duplicates=F("duplicates") + 1, last_duplicate_at=now)
    except DatabaseError as exc:
        DATABASE_OUTAGE.failed(exc)
        return ReceiveResult(503, "not_stored", reached_database=False)
    if not fresh:
        return None  # changed configuration or another account's document: the full path
    if callback_id is None:
        return ReceiveResult(200, "duplicate")
    statement.enqueued(job_id, now, callback_id)
    return ReceiveResult(200, "stored", callback_id)


def _execute_prepared(
    connection: Any, sql: str, params: tuple[Any, ...]
) -> tuple[bool, int | None]:
    """Run the fast statement on ``connection``'s own psycopg connection, server-side bound and
    prepared once per connection (Django turns psycopg's automatic preparing off for the
    benefit of connection poolers: only what asks for it is prepared). Errors are Django's, and
    mark the connection as Django's own cursors do (checked at the end of the request)."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = 1 << 30  # never automatic; prepare=True still prepares
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        found = cursor.fetchone()
    if connection.queries_logged:  # as Django's debug cursor records it (CaptureQueriesContext)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    assert found is not None
    return bool(found[0]), (int(found[1]) if found[1] is not None else None)


@dataclass(frozen=True)
class _FastStatement:
    sql: str
    body_field: models.Field[Any, Any]
    job: Any  # the job row as django-tasks-db builds it (its pre_save handler run)
    result: Any  # its task result, built once (``DBTaskResult.task_result``)
    recheck_after: timedelta

    def enqueued(self, job_id: uuid.UUID, now: Any, callback_id: int) -> None:
        """``task_enqueued``, as ``process_callback.enqueue`` sends it, with the task result
        of the row the statement wrote (built from the one prepared per process: building it
        from the row each time was a sixth of a delivery's CPU)."""
        from django_tasks.signals import task_enqueued

        job = self.job.__class__.__new__(self.job.__class__)  # the row written: a shallow clone
        job.__dict__.update(self.job.__dict__)
        job._state = ModelState()
        job._state.adding, job._state.db = False, self.job._state.db
        job.id, job.enqueued_at = job_id, now
        job.args_kwargs = {"args": [str(callback_id)], "kwargs": {}}
        result = dataclasses.replace(
            self.result, db_result=job, id=str(job_id), enqueued_at=now,
            args=job.args_kwargs["args"], errors=[], worker_ids=[],
        )  # fmt: skip
        task_enqueued.send(type(self.result.task.get_backend()), task_result=result)


# The columns of the two rows that vary per delivery, in the order of the statement's
# parameters (after the checks'); every other column is written as a literal prepared once per
# process (a column whose default varies must be listed here).
_PARAM = "\x00"  # a parameter's place while the statement is built
_CALLBACK_VARYING = (
    "public_id", "config", "unit", "received_at", "body", "body_sha256", "event_key",
    "event_name", "document_key", "occurred_at", "next_attempt_at",
)  # fmt: skip
_JOB_VARYING = ("id", "enqueued_at")


@functools.cache
def _fast_statement(alias: str) -> _FastStatement:
    """The one statement of :func:`_receive_cached`, built once per process and database:

    ``WITH owner AS (<the document's configuration and account>), ok AS (<the configuration's
    row, unchanged, and the document allowed>), cb AS (INSERT <callback> SELECT … FROM ok ON
    CONFLICT DO NOTHING RETURNING id), job AS (INSERT <job> SELECT … FROM cb) SELECT <ok?>,
    <callback id>`` — the callback and its job written together or not at all, and only when
    the checks hold, in one round trip and one commit (autocommit)."""
    from django.db.models.signals import pre_save
    from django_tasks_db.models import DBTaskResult

    from chancela.callbacks.processing import RECHECK_AFTER
    from chancela.callbacks.tasks import process_callback

    connection = connections[alias]
    quote = connection.ops.quote_name
    backend = process_callback.get_backend()
    job: DBTaskResult[Any, Any] = DBTaskResult(
        args_kwargs={"args": [], "kwargs": {}},  # written by the statement: the callback's id
        priority=process_callback.priority,
        task_path=process_callback.module_path,
        queue_name=process_callback.queue_name,
        run_after=process_callback.run_after,  # type: ignore[misc]  # as django-tasks-db does
        backend_name=backend.alias,
    )
    pre_save.send(DBTaskResult, instance=job, raw=False, using=alias, update_fields=None)
    job._state.adding, job._state.db = False, alias  # as the rows the statement writes
    connection.ensure_connection()
    literal = functools.partial(_literal, connection.connection)

    def columns(
        instance: models.Model, varying: tuple[str, ...], computed: dict[str, str]
    ) -> tuple[list[str], list[str]]:
        opts = instance._meta
        names, values = [], []
        by_name = {f.name: f for f in opts.concrete_fields if f is not opts.auto_field}
        for name in varying:
            field = by_name[name]
            names.append(quote(field.column))
            values.append(
                f"{_PARAM}::{re.sub(r'[(].*[)]', '', field.db_type(connection) or 'text')}"
            )
        for name, field in by_name.items():
            if name in varying:
                continue
            names.append(quote(field.column))
            if name in computed:
                values.append(computed[name])
                continue
            # A default that varies (uuid4, now) must be listed as varying.
            assert field.get_default() == field.get_default(), f"{field} varies"
            value = field.get_db_prep_save(field.pre_save(instance, True), connection)
            values.append(literal(value))
        return names, values

    cb_names, cb_values = columns(InboundCallback(), _CALLBACK_VARYING, {})
    args = "jsonb_build_object('args', jsonb_build_array(cb.id::text), 'kwargs', '{}'::jsonb)"
    job_names, job_values = columns(job, _JOB_VARYING, {"args_kwargs": args})
    document, request, config = Document._meta, SignatureRequest._meta, SignatureConfig._meta

    def column(opts: Any, name: str) -> str:
        return quote(opts.get_field(name).column)

    doc_request, request_config = column(document, "request"), column(request, "config")
    owner_from = (
        f"SELECT r.{request_config} AS owner_id, "  # noqa: S608 - identifiers of the models
        f"c.{column(config, 'clicksign_account_key')} AS owner_account, %s AS rank "
        f"FROM {quote(document.db_table)} d "
        f"JOIN {quote(request.db_table)} r ON r.{quote(request.pk.column)} = d.{doc_request} "
        f"JOIN {quote(config.db_table)} c ON c.{quote(config.pk.column)} = r.{request_config} "
    )  # fmt: skip
    sql = (
        "WITH owner AS ("  # noqa: S608 - identifiers from the models, values bound
        f"({owner_from % 1} WHERE {_PARAM}::text <> '' "
        f"AND d.{column(document, 'clicksign_document_id')} = {_PARAM}::text) "
        f"UNION ALL ({owner_from % 2} WHERE d.{column(document, 'public_id')} = {_PARAM}::uuid) "
        "ORDER BY rank LIMIT 1), "
        f"ok AS (SELECT 1 FROM {quote(config.db_table)} c "
        f"WHERE c.{column(config, 'public_id')} = {_PARAM}::uuid "
        f"AND md5(c::text) = {_PARAM}::text AND NOT EXISTS (SELECT 1 FROM owner o "
        f"WHERE o.owner_id <> {_PARAM}::bigint AND NOT (COALESCE(o.owner_account, '') <> '' "
        f"AND o.owner_account = {_PARAM}::text))), "
        f"cb AS (INSERT INTO {quote(InboundCallback._meta.db_table)} ({', '.join(cb_names)}) "
        f"SELECT {', '.join(cb_values)} FROM ok "
        f"ON CONFLICT DO NOTHING RETURNING {quote(InboundCallback._meta.pk.column)} AS id), "
        f"job AS (INSERT INTO {quote(DBTaskResult._meta.db_table)} ({', '.join(job_names)}) "
        f"SELECT {', '.join(job_values)} FROM cb RETURNING 1) "
        "SELECT (SELECT count(*) FROM ok), (SELECT id FROM cb)"
    )  # fmt: skip
    # psycopg's placeholders, in the order of _receive_cached's parameters.
    sql = sql.replace("%", "%%").replace(_PARAM, "%s")
    return _FastStatement(
        sql=sql,
        body_field=InboundCallback._meta.get_field("body"),
        job=job,
        result=job.task_result,
        recheck_after=RECHECK_AFTER,
    )


def _literal(raw: Any, value: Any) -> str:
    """``value`` (as a field prepares it) as a SQL literal, as psycopg would bind it."""
    from psycopg import sql

    return sql.Literal(value).as_string(raw)


def _store(
    *, config: SignatureConfig, raw_body: bytes, payload_event_key: str, payload: Any
) -> ReceiveResult:
    from chancela.callbacks.processing import RECHECK_AFTER
    from chancela.callbacks.tasks import process_callback

    body_sha256 = hashlib.sha256(raw_body).hexdigest()
    now = timezone.now()
    # At most once a minute (``config`` is as fresh as the row): every callback writing the
    # configuration's row would serialise concurrent deliveries on its lock.
    stamp = config.last_callback_at is None or config.last_callback_at < now - STAMP_EVERY
    callback = InboundCallback(
        config=config,
        unit_id=config.unit_id,
        received_at=now,
        body=raw_body.decode("utf-8", "replace"),
        body_sha256=body_sha256,
        event_key=payload_event_key[:300],
        event_name=payload.event.name[:80],
        document_key=payload.document_key[:64],
        occurred_at=payload.event.created,
        next_attempt_at=now + RECHECK_AFTER,
    )
    connection = connections[router.db_for_write(InboundCallback)]
    single_statement = connection.vendor == "postgresql"
    # PostgreSQL: each statement below is atomic by itself (autocommit), the one that matters
    # writing the callback and its job together; elsewhere one transaction holds them. Inside a
    # caller's transaction a savepoint keeps a failure here from spoiling it.
    atomic = not single_statement or connection.in_atomic_block
    try:
        with transaction.atomic() if atomic else contextlib.nullcontext():
            if stamp:
                SignatureConfig.objects.filter(pk=config.pk).filter(
                    Q(last_callback_at__isnull=True) | Q(last_callback_at__lt=now - STAMP_EVERY)
                ).update(last_callback_at=now)
            if single_statement:
                callback_id = _insert_with_job(callback, connection)
            else:
                callback_id = _insert_unless_duplicate(callback)
                if callback_id is not None:
                    process_callback.enqueue(str(callback_id))
            if callback_id is None:
                InboundCallback.objects.filter(
                    Q(body_sha256=body_sha256) | Q(event_key=payload_event_key[:300])
                ).update(duplicates=F("duplicates") + 1, last_duplicate_at=now)
                return ReceiveResult(200, "duplicate")
    except DatabaseError as exc:
        DATABASE_OUTAGE.failed(exc)
        return ReceiveResult(503, "not_stored", reached_database=False)
    return ReceiveResult(200, "stored", callback_id)


def _insert_unless_duplicate(callback: InboundCallback) -> int | None:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id``: the new row's id, or None when a row
    with the same body or event key exists (one statement — no savepoint round trips around
    an IntegrityError). Built by Django's own insert compiler, so fields are prepared (the body
    encrypted) exactly as ``save()`` prepares them; any other integrity error still raises."""
    opts = InboundCallback._meta
    fields = [f for f in opts.concrete_fields if f is not opts.auto_field]
    query = InsertQuery(InboundCallback, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [callback])
    compiler = query.get_compiler(using=router.db_for_write(InboundCallback))
    rows = compiler.execute_sql(returning_fields=[opts.pk])
    return int(rows[0][0]) if rows and rows[0] else None


def _insert_with_job(callback: InboundCallback, connection: Any) -> int | None:
    """PostgreSQL: the callback and its processing job in ONE statement —
    ``WITH cb AS (INSERT … ON CONFLICT DO NOTHING RETURNING id) INSERT INTO <jobs> … SELECT …
    FROM cb`` — so both rows are written together or not at all, in one round trip (and, when
    no transaction is open, one commit). The job row is the one ``process_callback.enqueue``
    writes (django-tasks-db's model, its pre_save handler run, ``task_enqueued`` sent after),
    with the callback's new id put in its arguments by the database. Returns the callback's id,
    or None for a duplicate (then no job either)."""
    from django.db.models.signals import pre_save
    from django_tasks.signals import task_enqueued
    from django_tasks_db.models import DBTaskResult

    from chancela.callbacks.tasks import process_callback

    backend = process_callback.get_backend()
    job: DBTaskResult[Any, Any] = DBTaskResult(
        args_kwargs={"args": [], "kwargs": {}},  # replaced in SQL by the new callback's id
        priority=process_callback.priority,
        task_path=process_callback.module_path,
        queue_name=process_callback.queue_name,
        run_after=process_callback.run_after,  # type: ignore[misc]  # as django-tasks-db does
        backend_name=backend.alias,
    )
    pre_save.send(DBTaskResult, instance=job, raw=False, using=connection.alias, update_fields=None)
    quote = connection.ops.quote_name
    inbox_columns, inbox_values = _insert_row(callback, connection)
    job_columns, job_values = _insert_row(job, connection)
    marks = ["%s"] * len(job_columns)
    at = job_columns.index(quote(_field(DBTaskResult, "args_kwargs").column))
    marks[at] = "jsonb_build_object('args', jsonb_build_array(cb.id::text), 'kwargs', '{}'::jsonb)"
    del job_values[at]
    sql = (
        f"WITH cb AS (INSERT INTO {quote(InboundCallback._meta.db_table)} "  # noqa: S608
        f"({', '.join(inbox_columns)}) VALUES ({', '.join(['%s'] * len(inbox_columns))}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(InboundCallback._meta.pk.column)}) "
        f"INSERT INTO {quote(DBTaskResult._meta.db_table)} ({', '.join(job_columns)}) "
        f"SELECT {', '.join(marks)} FROM cb RETURNING (SELECT * FROM cb)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, inbox_values + job_values)
        row = cursor.fetchone()
    if row is None:
        return None
    job.args_kwargs = {"args": [str(row[0])], "kwargs": {}}
    task_enqueued.send(type(backend), task_result=job.task_result)
    return int(row[0])


def _insert_row(instance: models.Model, connection: Any) -> tuple[list[str], list[Any]]:
    """Quoted columns and prepared values of ``instance`` as ``save()`` would insert them."""
    opts = instance._meta
    fields = [f for f in opts.concrete_fields if f is not opts.auto_field]
    columns = [connection.ops.quote_name(f.column) for f in fields]
    return columns, [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
