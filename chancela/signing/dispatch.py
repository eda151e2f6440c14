"""The dispatch saga: create envelope -> documents -> signers -> requirements -> activate -> notify.

Run by the job ``chancela.signing.tasks.dispatch_signature_request`` (enqueued with the request,
in the same transaction) and re-enqueued by itself (retries) or by the sweeper (dead workers).

Crash safety, in four rules:

1. **A lease** (``dispatch_lease_until`` / ``dispatch_lease_owner``, taken with a conditional
   UPDATE and renewed before every remote write) keeps two workers off the same request. A
   worker that finds its lease gone stops before its next remote call.
2. **Checkpoints.** ``dispatch_step`` is committed *before* a step's remote calls, and every
   remote id (envelope, document, signer, requirement) is committed the moment Clicksign
   answers — never inside a transaction that also waits for the network.
3. **Look before you retry.** A later attempt resumes at ``dispatch_step``; for that step only
   (the one that may have half happened) it first lists what Clicksign already has — envelopes
   by name (the name carries the request's public id), documents by metadata (request and
   document public ids), signers by e-mail and name, requirements by (document, signer, action,
   value), the envelope's status before activating — and adopts it. Nothing is created twice.
   A first attempt looks up nothing: no call is wasted on the happy path, nor after a call
   Clicksign refused without acting on it (429, 503, no connection: ``dispatch_step_clean``),
   which the next attempt simply repeats. Look-ups ask for at most ``LIST_PAGE_SIZE`` items
   a page (Clicksign documents no maximum; 50 is what independent clients use), follow the
   pages, and fall back to Clicksign's default page size if a page size is refused; a refused
   look-up is retried, never a reason to fail the request.
4. **Errors by type.** Retryable ones (timeouts, dropped connections, 5xx, 429) reschedule the
   job with exponential backoff and jitter (never sooner than Clicksign's reset) up to
   ``CHANCELA_DISPATCH_MAX_ATTEMPTS``; a wait for a local rate-limit slot is rescheduled without
   counting as an attempt (see "Several accounts" below). Permanent and credential errors fail
   at once. A failure records a Portuguese reason (``last_error`` + timeline) and e-mails the
   configuration's notification address (the seed's error log) — but only before activation:
   once Clicksign runs the envelope, nothing makes the request ``failed`` (see rule 5).
5. **After activation Clicksign's state rules.** A notification refused or given up on (the
   envelope was signed, closed or canceled meanwhile — or another worker's notification
   already went out) is recorded on the timeline, ends the saga, and the request's status is
   read from Clicksign at once (the ``reconcile_request`` job).
6. **A cancel stops the saga and cleans up.** A request canceled while its dispatch runs loses
   its lease; the saga then deletes the draft envelope it created (one the cancel could not
   see yet), so nothing is left at Clicksign.

**Several accounts, few workers.** A worker never sleeps on a busy account while another has
work: a call waits for its account's slot at most ``SLOT_WAIT_SECONDS``; beyond that the job is
put back for the moment the slot frees (``run_after``, ``RESUME_EARLY_SECONDS`` early so that the
call goes out on time; no backoff, no attempt spent),
and the configuration's other waiting dispatch jobs are set aside until the same moment
(``_account_backlog_defer``), so the worker's next pick is another account's job rather than
a trip through a backlog that cannot send. Set-aside jobs get ``DEFERRED_PRIORITY`` (below the
default): when they are due again, envelopes already under way and other work come first.

The notification (the last step) is *at least once*: Clicksign has no way to ask whether a
notification went out, so after a crash or a lost answer at that point the signers may get the
invitation twice (one minute apart at least: Clicksign's limit), never zero times.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Replace
from django.utils import timezone

from chancela.clicksign.client import DEFAULT_PAGE_SIZE
from chancela.clicksign.errors import (
    ClicksignCredentialError,
    ClicksignError,
    ClicksignNotFoundError,
    ClicksignPermanentError,
    ClicksignRetryableError,
    ClicksignSlotWait,
)
from chancela.clicksign.port import ClicksignPort
from chancela.clicksign.types import (
    Authentication,
    CommunicateEvents,
    EnvelopeStatus,
    Qualification,
    RequirementSpec,
    SendSettings,
)
from chancela.core.http import Timeouts
from chancela.core.killpoints import kill_point
from chancela.esign.clients import client_for_config, configs_sharing_account
from chancela.signing.models import (
    Document,
    DocumentStatus,
    RequestEvent,
    RequestStatus,
    RequirementAction,
    SignatureRequest,
    Signer,
    SignerRequirement,
)
from chancela.signing.registrations import (
    registration_record,
    registrations_reusable,
    signer_auths,
)
from chancela.signing.transitions import request_event_add, request_status_set

logger = logging.getLogger(__name__)

STEP_ENVELOPE = "envelope"
STEP_DOCUMENTS = "documents"
STEP_SIGNERS = "signers"
STEP_REQUIREMENTS = "requirements"
STEP_ACTIVATE = "activate"
STEP_NOTIFY = "notify"
STEP_DONE = "done"
STEPS = (
    STEP_ENVELOPE,
    STEP_DOCUMENTS,
    STEP_SIGNERS,
    STEP_REQUIREMENTS,
    STEP_ACTIVATE,
    STEP_NOTIFY,
)
STEP_LABELS = {
    "": "início do envio",
    STEP_ENVELOPE: "criação do envelope",
    STEP_DOCUMENTS: "envio dos documentos",
    STEP_SIGNERS: "inclusão dos signatários",
    STEP_REQUIREMENTS: "inclusão dos requisitos de assinatura",
    STEP_ACTIVATE: "ativação do envelope",
    STEP_NOTIFY: "notificação dos signatários",
    STEP_DONE: "envio concluído",
}
# Where ``kill_point`` may end the process: just before and just after each remote write.
KILL_POINTS = tuple(
    f"{step}:{moment}"
    for step in ("envelope", "document", "signer", "requirements", "activate", "notify")
    for moment in ("before_call", "after_call")
)

# Requests the saga still has work on.
ACTIVE = Q(status__in=[RequestStatus.QUEUED, RequestStatus.SENDING]) | Q(
    status=RequestStatus.AWAITING_SIGNATURES, dispatch_step__in=[STEP_ACTIVATE, STEP_NOTIFY]
)
LIST_PAGE_SIZE = 50
# How long a call may wait for its account's rate-limit slot inside a job. Longer waits put the
# job back for the moment the slot frees, and the worker takes other work meanwhile.
SLOT_WAIT_SECONDS = 1.0
# A job put back for a slot is due this much before the slot frees: picked up (polling,
# loading the request, building the client) while the window still runs, its first call then
# waits the rest in the limiter and goes out the moment the slot frees. Under SLOT_WAIT_SECONDS.
RESUME_EARLY_SECONDS = 0.5
# The priority of the dispatch jobs set aside while their account's window was full (below
# django-tasks' default 0: when due, they come after envelopes under way and other jobs).
DEFERRED_PRIORITY = -1
METADATA_REQUEST = "chancela_request"
METADATA_DOCUMENT = "chancela_document"


class LeaseLost(Exception):
    """Stop before the next remote call: another worker took the request over (our lease
    expired), or the request left the saga's hands (canceled by staff, say)."""


@dataclass
class _Run:
    request: SignatureRequest
    owner: str
    # The step an earlier attempt reached, and may have left half done ("" on a first run).
    resumed_step: str
    step: str = ""
    # The envelope this attempt created, recorded or not (deleted if the request is canceled).
    created_envelope_id: str = ""
    _client: ClicksignPort | None = None

    @property
    def resumed(self) -> bool:
        return bool(self.resumed_step)

    @property
    def client(self) -> ClicksignPort:
        if self._client is None:
            self._client = _client(self.request)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


# ---------------------------------------------------------------------------------- entry


def signature_request_dispatch(*, request_id: str) -> str:
    """Run (or resume) the dispatch of one request, given its public id.

    Returns what happened: ``done``, ``retry``, ``failed``, ``busy`` (another worker holds the
    lease), ``idle`` (nothing left to do), ``lost`` (the lease was taken over) or ``missing``.
    """
    pk = SignatureRequest.objects.filter(public_id=request_id).values_list("pk", flat=True).first()
    if pk is None:
        logger.warning("dispatch of an unknown request", extra={"request": request_id})
        return "missing"
    owner = secrets.token_hex(8)
    if not _lease_take(pk, owner):
        return "busy" if SignatureRequest.objects.filter(ACTIVE, pk=pk).exists() else "idle"
    request = SignatureRequest.objects.select_related("config", "unit").get(pk=pk)
    # Checkpoints, not the attempt count, say whether an earlier attempt got anywhere (a
    # request reopened by staff may have its count reset) — unless it stopped cleanly.
    resumed_step = "" if request.dispatch_step_clean else request.dispatch_step
    run = _Run(request=request, owner=owner, resumed_step=resumed_step)
    try:
        return _run(run)
    except LeaseLost:
        logger.warning("dispatch lease lost; stopping", extra={"request": request_id})
        _draft_discard_if_canceled(run)
        return "lost"
    except ClicksignRetryableError as exc:
        return _retry_or_fail(run, exc)
    except ClicksignCredentialError as exc:
        reason = exc.explanation(
            environment=request.config.environment,
            api_user_email=request.config.api_user_email,
        ).rstrip(".")
        return _fail(run, f"{reason}. Corrija a configuração “{request.config.name}”.", exc)
    except ClicksignPermanentError as exc:
        field = f" (campo {exc.field})" if exc.field else ""
        return _fail(run, f"a Clicksign recusou: {exc.detail}{field}", exc)
    except Exception as exc:  # a bug or a database hiccup: retry, but not forever
        logger.exception("dispatch step crashed", extra={"request": request_id})
        return _retry_or_fail(run, exc)
    finally:
        run.close()


def _client(request: SignatureRequest) -> ClicksignPort:
    timeouts = Timeouts(
        connect=5.0,
        read=float(settings.CHANCELA_DISPATCH_READ_TIMEOUT_SECONDS),
        write=60.0,
        pool=5.0,
    )
    return client_for_config(request.config, timeouts=timeouts, max_wait=SLOT_WAIT_SECONDS)


def _run(run: _Run) -> str:
    request = run.request
    if request.status == RequestStatus.QUEUED:
        request_status_set(
            request_id=request.pk,
            status=RequestStatus.SENDING,
            source=RequestEvent.Source.CHANCELA,
            kind="dispatch_started",
            message="Envio para a Clicksign iniciado.",
        )
    start = STEPS.index(request.dispatch_step) if request.dispatch_step in STEPS else 0
    for step in STEPS[start:]:
        _step_begin(run, step)
        STEP_RUNNERS[step](run, run.resumed_step == step)
    _finish(run)
    return "done"


# ---------------------------------------------------------------------------------- lease


def _lease_seconds() -> int:
    return int(settings.CHANCELA_DISPATCH_LEASE_SECONDS)


def _lease_take(pk: int, owner: str) -> bool:
    now = timezone.now()
    free = Q(dispatch_lease_until__isnull=True) | Q(dispatch_lease_until__lt=now)
    return bool(
        SignatureRequest.objects.filter(ACTIVE, free, pk=pk).update(
            dispatch_lease_until=now + timedelta(seconds=_lease_seconds()),
            dispatch_lease_owner=owner,
            dispatch_attempts=F("dispatch_attempts") + 1,
            dispatch_next_attempt_at=None,
        )
    )


def _ours(run: _Run) -> Any:
    """The request, if it is still ours: our lease, and still active (not canceled or failed
    meanwhile by someone else — then the saga stops before its next remote call)."""
    return SignatureRequest.objects.filter(
        ACTIVE, pk=run.request.pk, dispatch_lease_owner=run.owner
    )


def _guard(run: _Run) -> None:
    """Renew the lease right before a remote write; stop if another worker took it over."""
    until = timezone.now() + timedelta(seconds=_lease_seconds())
    if not _ours(run).update(dispatch_lease_until=until):
        raise LeaseLost


def _step_begin(run: _Run, step: str) -> None:
    run.step = step
    until = timezone.now() + timedelta(seconds=_lease_seconds())
    if not _ours(run).update(
        dispatch_step=step, dispatch_lease_until=until, dispatch_step_clean=False
    ):
        raise LeaseLost
    run.request.dispatch_step = step


# ---------------------------------------------------------------------------------- steps


def envelope_reference(request: SignatureRequest) -> str:
    """The short reference families read in the envelope's name ("ref. 08927146A1B2"): 48 bits
    of the request's public id, enough to find the envelope again among those listed under the
    same name (title) in one Clicksign account."""
    return f"ref. {request.public_id.hex[:12].upper()}"


def envelope_name(request: SignatureRequest) -> str:
    """The envelope's name: the title plus a short labelled reference (found again by it)."""
    return f"{request.title[:150]} — {envelope_reference(request)}"


def envelope_is_ours(name: str, request: SignatureRequest) -> bool:
    """Whether an envelope's name carries this request's reference (the short one, or the full
    public id envelopes were named with before)."""
    return envelope_reference(request) in name or str(request.public_id) in name


def _step_envelope(run: _Run, look: bool) -> None:
    request = run.request
    if request.clicksign_envelope_id:
        return
    name = envelope_name(request)
    if look:
        found = _envelope_find(run.client, request, name)
        if found:
            _envelope_record(run, found, adopted=True)
            return
    _guard(run)
    kill_point("envelope:before_call")
    envelope = run.client.envelope_create(
        name=name,
        locale="pt-BR",
        auto_close=True,
        remind_interval=request.remind_interval,
        deadline_at=request.deadline_at,
        default_message=request.message or None,
        block_after_refusal=True,
    )
    run.created_envelope_id = envelope.id
    kill_point("envelope:after_call")
    _envelope_record(run, envelope.id, adopted=False)


def _envelope_find(client: ClicksignPort, request: SignatureRequest, name: str) -> str:
    listed = _all_pages(
        lambda page, size: client.envelopes_list(name=name, page=page, page_size=size)
    )
    for envelope in listed:
        if envelope_is_ours(envelope.name, request) and envelope.status != EnvelopeStatus.CANCELED:
            return envelope.id
    return ""


def _envelope_record(run: _Run, envelope_id: str, *, adopted: bool) -> None:
    with transaction.atomic():
        if not _ours(run).update(clicksign_envelope_id=envelope_id, updated_at=timezone.now()):
            raise LeaseLost
        request_event_add(
            request=run.request,
            source=RequestEvent.Source.CHANCELA,
            kind="envelope_created",
            message="Envelope criado na Clicksign."
            if not adopted
            else "Envelope encontrado na Clicksign (criado por uma tentativa anterior).",
            data={"envelope_id": envelope_id, "adopted": adopted},
        )
    run.request.clicksign_envelope_id = envelope_id


def send_settings(request: SignatureRequest) -> SendSettings:
    """What the envelope carries on 3.0 and each document on 1.9."""
    groups = set(request.signers.values_list("group", flat=True))
    return SendSettings(
        deadline_at=request.deadline_at,
        remind_interval=request.remind_interval,
        message=request.message or None,
        block_after_refusal=True,
        sequence_enabled=len(groups) > 1,
    )


def _step_documents(run: _Run, look: bool) -> None:
    request = run.request
    missing = [d for d in request.documents.all() if not d.clicksign_document_id]
    if not missing:
        return
    envelope_id = request.clicksign_envelope_id
    if look:
        remote: dict[str, str] = {}
        for item in _all_pages(
            lambda page, size: run.client.documents_list(envelope_id, page=page, page_size=size)
        ):
            metadata = item.metadata or {}
            if metadata.get(METADATA_REQUEST) == str(request.public_id):
                remote.setdefault(str(metadata.get(METADATA_DOCUMENT)), item.id)
        for document in list(missing):
            if str(document.public_id) in remote:
                _id_record(run, document, remote[str(document.public_id)])
                missing.remove(document)
    for document in missing:
        with document.original_file.open("rb") as handle:
            content = handle.read()
        _guard(run)
        kill_point("document:before_call")
        created = run.client.document_create(
            envelope_id,
            filename=document.filename,
            content=content,
            metadata={
                METADATA_REQUEST: str(request.public_id),
                METADATA_DOCUMENT: str(document.public_id),
            },
            settings=send_settings(request),
        )
        kill_point("document:after_call")
        _id_record(run, document, created.id)


def _signer_key(name: str, email: str | None) -> tuple[str, str]:
    return (" ".join(name.split()).casefold(), (email or "").strip().casefold())


def _step_signers(run: _Run, look: bool) -> None:
    request = run.request
    missing = [s for s in request.signers.all() if not s.clicksign_signer_id]
    if not missing:
        return
    envelope_id = request.clicksign_envelope_id
    if look:
        known = set(
            request.signers.exclude(clicksign_signer_id="").values_list(
                "clicksign_signer_id", flat=True
            )
        )
        remote: dict[tuple[str, str], str] = {}
        for item in _all_pages(
            lambda page, size: run.client.signers_list(envelope_id, page=page, page_size=size)
        ):
            if item.id not in known:
                remote.setdefault(_signer_key(item.name, item.email), item.id)
        for signer in list(missing):
            key = _signer_key(signer.name, signer.email)
            if key in remote:
                _id_record(run, signer, remote.pop(key))
                missing.remove(signer)
    registered = registrations_reusable(config=request.config, signers=missing)
    for signer in missing:
        _guard(run)
        kill_point("signer:before_call")
        has_documentation = bool(signer.cpf)
        created = run.client.signer_create(
            envelope_id,
            name=signer.name,
            email=signer.email,
            phone_number=signer.phone if signer.channel != "email" and signer.phone else None,
            birthday=signer.birth_date if has_documentation else None,
            documentation=signer.cpf or None,
            has_documentation=has_documentation,
            refusable=True,
            group=signer.group,
            communicate_events=CommunicateEvents(signature_request=signer.channel),
            auths=tuple(signer_auths(signer)),
            known_id=registered.get(signer.pk, ""),
        )
        kill_point("signer:after_call")
        _id_record(run, signer, created.id)
        registration_record(config=request.config, signer=signer, remote_id=created.id)


def _requirement_key(document_id: str, signer_id: str, action: str, value: str) -> tuple:
    return (document_id, signer_id, action, value)


def _step_requirements(run: _Run, look: bool) -> None:
    request = run.request
    rows = list(
        SignerRequirement.objects.filter(request=request).select_related("signer", "document")
    )
    missing = [r for r in rows if not r.clicksign_requirement_id]
    if not missing:
        return
    envelope_id = request.clicksign_envelope_id
    keyed = {
        _requirement_key(
            r.document.clicksign_document_id, r.signer.clicksign_signer_id, r.action, r.value
        ): r
        for r in missing
    }
    if look:
        _requirements_adopt(run, keyed)
    if not keyed:
        return
    specs: list[RequirementSpec] = []
    for (document_id, signer_id, action, value), row in keyed.items():
        if action == RequirementAction.QUALIFICATION:
            specs.append(
                Qualification(
                    document_id=document_id,
                    signer_id=signer_id,
                    role=value,
                    group=row.signer.group,
                    refusable=True,
                )
            )
        else:
            specs.append(Authentication(document_id=document_id, signer_id=signer_id, auth=value))
    _guard(run)
    kill_point("requirements:before_call")
    try:
        created = run.client.requirements_bulk(envelope_id, add=specs)
    except ClicksignPermanentError:
        # Resumed: an earlier attempt's bulk, processed late (after our look-up), may be why
        # Clicksign refuses ("já está em uso"). Look once more; adopt if it is all there.
        if not run.resumed:
            raise
        _requirements_adopt(run, keyed)
        if keyed:
            raise
        return
    kill_point("requirements:after_call")
    recorded: dict[int, str] = {}
    for item in created:
        value = item.role if item.action == RequirementAction.QUALIFICATION else item.auth
        key = _requirement_key(
            item.document_id or "", item.signer_id or "", item.action, value or ""
        )
        answered = keyed.get(key)
        if answered is not None:
            recorded[answered.pk] = item.id
    _requirements_record(run, recorded)
    if len(recorded) < len(keyed):
        # Clicksign answered without every requirement: let the next attempt look them up.
        raise ClicksignRetryableError(
            "A Clicksign não confirmou todos os requisitos de assinatura.", outcome_unknown=True
        )


def _requirements_adopt(run: _Run, keyed: dict[tuple, SignerRequirement]) -> None:
    """Record the ids of the requirements Clicksign already has; remove them from ``keyed``."""
    envelope_id = run.request.clicksign_envelope_id
    document_ids = _document_ids(run.request)
    found: dict[int, str] = {}
    for item in _all_pages(
        lambda page, size: run.client.requirements_list(
            envelope_id, page=page, page_size=size, document_ids=document_ids
        )
    ):
        value = item.role if item.action == RequirementAction.QUALIFICATION else item.auth
        key = _requirement_key(
            item.document_id or "", item.signer_id or "", item.action, value or ""
        )
        row = keyed.pop(key, None)
        if row is not None:
            found[row.pk] = item.id
    if found:
        _requirements_record(run, found)


def _requirements_record(run: _Run, ids: dict[int, str]) -> None:
    with transaction.atomic():
        if not _ours(run).exists():
            raise LeaseLost
        for pk, remote_id in ids.items():
            SignerRequirement.objects.filter(pk=pk).update(clicksign_requirement_id=remote_id)


def _step_activate(run: _Run, look: bool) -> None:
    request = run.request
    if look:
        envelope = _looked_up(lambda: run.client.envelope_get(request.clicksign_envelope_id))
        if envelope.status != EnvelopeStatus.DRAFT:
            _activated(run)
            return
    if run.resumed:
        _strays_remove(run)
    _guard(run)
    kill_point("activate:before_call")
    run.client.envelope_activate(request.clicksign_envelope_id)
    kill_point("activate:after_call")
    _activated(run)


def _strays_remove(run: _Run) -> None:
    """Before activating after a retry: delete what a write Clicksign processed *late* (after
    our look-up had missed it) left in the draft — another envelope with our name, a document or
    a signer that is not ours. Drafts are invisible to signers, so this is the last safe moment.
    """
    request = run.request
    envelope_id = request.clicksign_envelope_id
    envelopes = _all_pages(
        lambda page, size: run.client.envelopes_list(
            name=envelope_name(request), page=page, page_size=size
        )
    )
    for envelope in envelopes:
        stray = envelope.id != envelope_id and envelope_is_ours(envelope.name, request)
        if stray and envelope.status == EnvelopeStatus.DRAFT:
            _guard(run)
            run.client.envelope_delete(envelope.id)
    ours = set(request.documents.values_list("clicksign_document_id", flat=True))
    for document in _all_pages(
        lambda page, size: run.client.documents_list(envelope_id, page=page, page_size=size)
    ):
        if document.id not in ours:
            _guard(run)
            run.client.document_delete(envelope_id, document.id)
    ours = set(request.signers.values_list("clicksign_signer_id", flat=True))
    for signer in _all_pages(
        lambda page, size: run.client.signers_list(envelope_id, page=page, page_size=size)
    ):
        if signer.id not in ours:
            _guard(run)
            run.client.signer_delete(envelope_id, signer.id)


def _activated(run: _Run) -> None:
    """Activation recorded in one transaction: documents running, step notify, status."""
    with transaction.atomic():
        if not _ours(run).update(dispatch_step=STEP_NOTIFY):
            raise LeaseLost
        Document.objects.filter(request=run.request).update(status=DocumentStatus.RUNNING)
        request_status_set(
            request_id=run.request.pk,
            status=RequestStatus.AWAITING_SIGNATURES,
            source=RequestEvent.Source.CHANCELA,
            kind="envelope_activated",
            message="Envelope ativado na Clicksign; aguardando assinaturas.",
            data={"envelope_id": run.request.clicksign_envelope_id},
        )
    run.request.dispatch_step = STEP_NOTIFY


def _step_notify(run: _Run, look: bool) -> None:
    request = run.request
    _guard(run)
    kill_point("notify:before_call")
    run.client.notify_envelope(
        request.clicksign_envelope_id,
        message=request.message or None,
        document_ids=_document_ids(request),
    )
    kill_point("notify:after_call")


def _finish(run: _Run) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not _ours(run).update(
            dispatch_step=STEP_DONE,
            dispatched_at=now,
            dispatch_lease_until=None,
            dispatch_lease_owner="",
            dispatch_next_attempt_at=None,
            last_error="",
            updated_at=now,
        ):
            raise LeaseLost
        request_event_add(
            request=run.request,
            source=RequestEvent.Source.CHANCELA,
            kind="signers_notified",
            message="Signatários notificados pela Clicksign.",
        )


STEP_RUNNERS = {
    STEP_ENVELOPE: _step_envelope,
    STEP_DOCUMENTS: _step_documents,
    STEP_SIGNERS: _step_signers,
    STEP_REQUIREMENTS: _step_requirements,
    STEP_ACTIVATE: _step_activate,
    STEP_NOTIFY: _step_notify,
}


def _id_record(run: _Run, row: Document | Signer, remote_id: str) -> None:
    """Commit one remote id at once (a document's or a signer's)."""
    field = "clicksign_document_id" if isinstance(row, Document) else "clicksign_signer_id"
    with transaction.atomic():
        if not _ours(run).exists():
            raise LeaseLost
        type(row).objects.filter(pk=row.pk).update(**{field: remote_id})
    setattr(row, field, remote_id)


def _document_ids(request: SignatureRequest) -> list[str]:
    return [
        remote_id
        for remote_id in request.documents.order_by("id").values_list(
            "clicksign_document_id", flat=True
        )
        if remote_id
    ]


def _all_pages(fetch: Any) -> list[Any]:
    """Every item of a look-up, page after page (``fetch(page, size)``). A page size Clicksign
    refuses (400) is asked again at its default size; a look-up refused anyway is retried later
    (it changed nothing), never a reason to fail the request."""
    items: list[Any] = []
    page, size = 1, LIST_PAGE_SIZE
    while True:
        try:
            listed = fetch(page, size)
        except ClicksignPermanentError as exc:
            if exc.status != 400:
                raise
            if size == DEFAULT_PAGE_SIZE:
                raise _lookup_refused(exc) from exc
            items, page, size = [], 1, DEFAULT_PAGE_SIZE
            continue
        items.extend(listed.items)
        if not listed.has_next or not listed.items:
            return items
        page += 1


def _looked_up(call: Any) -> Any:
    """Run a read-only look-up; a 400 to it becomes a retryable error (the request is fine; our
    question was not)."""
    try:
        return call()
    except ClicksignPermanentError as exc:
        if exc.status != 400:
            raise
        raise _lookup_refused(exc) from exc


def _lookup_refused(exc: ClicksignPermanentError) -> ClicksignRetryableError:
    return ClicksignRetryableError(
        f"A Clicksign recusou uma consulta: {exc.detail}",
        status=exc.status,
        method=exc.method,
        path=exc.path,
        errors=exc.errors,
        outcome_unknown=True,
    )


# ---------------------------------------------------------------------------------- outcomes


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random), capped; >= retry_after."""
    base = float(settings.CHANCELA_DISPATCH_BACKOFF_BASE_SECONDS)
    cap = float(settings.CHANCELA_DISPATCH_BACKOFF_CAP_SECONDS)
    delay = min(cap, base * (2 ** max(attempts - 1, 0)))
    delay = delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not security
    return max(delay, (retry_after or 0.0) + random.uniform(0, 1))  # noqa: S311


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClicksignError):
        return (exc.detail or exc.message).rstrip(". ")
    return "erro interno do Chancela (registrado no log)"


def _retry_or_fail(run: _Run, exc: Exception) -> str:
    request = run.request
    attempts = (
        SignatureRequest.objects.filter(pk=request.pk)
        .values_list("dispatch_attempts", flat=True)
        .get()
    )
    # Waiting for our own rate limiter (the account is busy, or the one-a-minute notification
    # window), or Clicksign's 429 (slow down, nothing was done): reschedule for the reset
    # without spending an attempt.
    local_wait = isinstance(exc, ClicksignRetryableError) and exc.is_rate_limit
    # Refused without effect (429, 503, no connection), and nothing earlier in doubt: the next
    # attempt repeats the same call without looking up first.
    clean = isinstance(exc, ClicksignRetryableError) and not exc.outcome_unknown and not run.resumed
    if not local_wait and attempts >= settings.CHANCELA_DISPATCH_MAX_ATTEMPTS:
        who = (
            "a Clicksign continuou indisponível"
            if isinstance(exc, ClicksignError)
            else ("o envio continuou falhando")
        )
        return _fail(run, f"{who} após {attempts} tentativas (último erro: {_describe(exc)})", exc)
    retry_after = exc.retry_after if isinstance(exc, ClicksignRetryableError) else None
    if isinstance(exc, ClicksignSlotWait):
        # Our own limiter: when the slot frees (its clock: the database's on PostgreSQL), a
        # moment early so that the call itself goes out on time.
        when = datetime.fromtimestamp(exc.retry_at - RESUME_EARLY_SECONDS, tz=UTC)
        delay = max(0.0, (when - timezone.now()).total_seconds())
    else:
        if local_wait:  # Clicksign's 429: its reset, a little later
            delay = (retry_after or 0.0) + random.uniform(0.1, 1.0)  # noqa: S311
        else:
            delay = backoff_seconds(attempts, retry_after)
        when = timezone.now() + timedelta(seconds=delay)
    # A wait for our own limiter is routine: no timeline line for it.
    sent = not (isinstance(exc, ClicksignRetryableError) and not exc.sent and local_wait)
    label = STEP_LABELS.get(run.step, run.step)
    message = f"Falha temporária ({label}): {_describe(exc)}"
    max_attempts = settings.CHANCELA_DISPATCH_MAX_ATTEMPTS
    from chancela.signing.tasks import dispatch_signature_request

    with transaction.atomic():
        changes: dict[str, Any] = {
            "dispatch_lease_until": None,
            "dispatch_lease_owner": "",
            "dispatch_next_attempt_at": when,
            "dispatch_step_clean": clean,
        }
        if local_wait:
            changes["dispatch_attempts"] = F("dispatch_attempts") - 1
        if sent:
            changes["last_error"] = message
            changes["updated_at"] = timezone.now()
        if not _ours(run).update(**changes):
            return "lost"
        if sent:
            request_event_add(
                request=request,
                source=RequestEvent.Source.CHANCELA,
                kind="dispatch_retry_scheduled",
                message=(
                    f"{message}. Nova tentativa em {_human_delay(delay)}"
                    + (
                        " (excesso de requisições: não conta como tentativa)."
                        if local_wait
                        else f" (tentativa {attempts} de {max_attempts})."
                    )
                ),
                data={
                    "step": run.step,
                    "attempts": attempts,
                    "status": getattr(exc, "status", None),
                    "retry_at": when.isoformat(),
                },
            )
        if isinstance(exc, ClicksignSlotWait) and exc.account_retry_at is not None:
            free = exc.account_retry_at - RESUME_EARLY_SECONDS
            _account_backlog_defer(run, until=datetime.fromtimestamp(free, tz=UTC))
        dispatch_signature_request.using(run_after=when).enqueue(
            request_public_id=str(request.public_id)
        )
    logger.info(
        "dispatch rescheduled",
        extra={
            "request": str(request.public_id),
            "step": run.step,
            "attempts": attempts,
            "delay_seconds": round(delay, 1),
            "local_wait": local_wait,
            "error": type(exc).__name__,
        },
    )
    return "retry"


def _account_backlog_defer(run: _Run, *, until: datetime) -> int:
    """The account of ``run``'s configuration cannot send before ``until``: set its other
    waiting dispatch jobs aside until then, so that workers pick other accounts' work instead of
    taking them one by one only to put each back. Moves the ready-to-run ones (new jobs, and
    jobs set aside earlier that are due before ``until``) to ``until`` with
    ``DEFERRED_PRIORITY``; retries waiting for a later moment and jobs already running are left
    alone. The account is the limiter's: every configuration with the same service and token
    (``configs_sharing_account``). One UPDATE; returns how many jobs moved."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    from chancela.signing.tasks import dispatch_signature_request

    # Text of a public id on either side, dashes dropped: PostgreSQL prints a uuid with them,
    # SQLite stores 32 hex digits, the job's arguments carry the dashed form.
    waiting = (
        SignatureRequest.objects.filter(
            ACTIVE, config_id__in=configs_sharing_account(run.request.config)
        )
        .exclude(pk=run.request.pk)
        .annotate(key=_undashed(Cast("public_id", TextField())))
        .values("key")
    )
    return (
        DBTaskResult.objects.filter(
            task_path=dispatch_signature_request.module_path,
            status=TaskResultStatus.READY,
        )
        .filter(Q(run_after=get_date_max()) | Q(priority=DEFERRED_PRIORITY, run_after__lt=until))
        .alias(key=_undashed(KT("args_kwargs__kwargs__request_public_id")))
        .filter(key__in=waiting)
        .update(run_after=until, priority=DEFERRED_PRIORITY)
    )


def _undashed(text: Any) -> Replace:
    return Replace(text, Value("-"), Value(""), output_field=TextField())


def _human_delay(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600, 1)} h".replace(".", ",")


def _fail(run: _Run, reason: str, exc: Exception) -> str:
    request = run.request
    label = STEP_LABELS.get(run.step, run.step)
    if SignatureRequest.objects.filter(
        pk=request.pk, status=RequestStatus.AWAITING_SIGNATURES
    ).exists():
        return _give_up_after_activation(run, f"{label}: {reason}", exc)
    text = f"Falha no envio ({label}): {reason}"
    attempts = (
        SignatureRequest.objects.filter(pk=request.pk)
        .values_list("dispatch_attempts", flat=True)
        .get()
    )
    with transaction.atomic():
        if not _ours(run).update(
            dispatch_lease_until=None, dispatch_lease_owner="", dispatch_next_attempt_at=None
        ):
            return "lost"
        moved = request_status_set(
            request_id=request.pk,
            status=RequestStatus.FAILED,
            source=RequestEvent.Source.CHANCELA,
            kind="dispatch_failed",
            message=text,
            error=text,
            data={
                "step": run.step,
                "attempts": attempts,
                "status": getattr(exc, "status", None),
                "error": type(exc).__name__,
            },
        )
    logger.warning(
        "dispatch failed",
        extra={
            "request": str(request.public_id),
            "step": run.step,
            "attempts": attempts,
            "error": type(exc).__name__,
        },
    )
    if moved:
        request.refresh_from_db()
        _failure_email(request, step=label, reason=reason, attempts=attempts)
    return "failed"


def _give_up_after_activation(run: _Run, reason: str, exc: Exception) -> str:
    """The envelope runs at Clicksign (signers may even have signed it already): a refused or
    failing step after activation (the notification) is recorded and ends the saga; the
    request's status follows Clicksign's, read at once, never ``failed``."""
    from chancela.callbacks.tasks import reconcile_request

    request = run.request
    now = timezone.now()
    with transaction.atomic():
        if not _ours(run).update(
            dispatch_step=STEP_DONE,
            dispatch_lease_until=None,
            dispatch_lease_owner="",
            dispatch_next_attempt_at=None,
            updated_at=now,
        ):
            return "lost"
        request_event_add(
            request=request,
            source=RequestEvent.Source.CHANCELA,
            kind="notify_given_up",
            message=(
                f"Envelope já ativo na Clicksign; etapa não concluída ({reason}). A solicitação "
                "segue o estado do envelope na Clicksign."
            ),
            data={
                "step": run.step,
                "status": getattr(exc, "status", None),
                "error": type(exc).__name__,
            },
        )
        reconcile_request.enqueue(request_public_id=str(request.public_id))
    logger.warning(
        "dispatch step after activation given up; following clicksign",
        extra={"request": str(request.public_id), "step": run.step, "error": type(exc).__name__},
    )
    return "done"


def _draft_discard_if_canceled(run: _Run) -> None:
    """A request canceled while its dispatch ran: delete the draft envelope this attempt (or an
    earlier one) created, which the cancel may not have seen yet. A running envelope is the
    cancel's business (it cancels its documents)."""
    row = (
        SignatureRequest.objects.filter(pk=run.request.pk)
        .values("status", "clicksign_envelope_id")
        .first()
    )
    if row is None or row["status"] != RequestStatus.CANCELED:
        return
    envelope_id = row["clicksign_envelope_id"] or run.created_envelope_id
    if not envelope_id:
        return
    try:
        if run.client.envelope_get(envelope_id).status != EnvelopeStatus.DRAFT:
            return
        run.client.envelope_delete(envelope_id)
    except ClicksignNotFoundError:
        return  # the cancel deleted it first
    except ClicksignError as exc:
        logger.warning(
            "could not delete the draft envelope of a canceled request",
            extra={"request": str(run.request.public_id), "error": type(exc).__name__},
        )
        return
    request_event_add(
        request=run.request,
        source=RequestEvent.Source.CHANCELA,
        kind="draft_envelope_deleted",
        message="Envio interrompido pelo cancelamento; o rascunho do envelope foi excluído na "
        "Clicksign.",
        data={"envelope_id": envelope_id},
    )


def _failure_email(request: SignatureRequest, *, step: str, reason: str, attempts: int) -> None:
    """The seed's error e-mail, at most once per configuration and reason per quiet window.

    Each request's timeline says whether the e-mail went or which earlier one covered it.
    """
    from chancela.notifications.services import dispatch_failure_email_send

    address = request.config.notification_email
    quiet = timedelta(minutes=settings.CHANCELA_DISPATCH_FAILURE_EMAIL_QUIET_MINUTES)
    earlier = (
        RequestEvent.objects.filter(
            kind="dispatch_failure_emailed",
            request__config_id=request.config_id,
            at__gte=timezone.now() - quiet,
            data__reason=reason,
        )
        .exclude(request_id=request.pk)
        .order_by("-at")
        .first()
    )
    if earlier is not None:
        when = timezone.localtime(earlier.at).strftime("%H:%M")
        request_event_add(
            request=request,
            source=RequestEvent.Source.CHANCELA,
            kind="dispatch_failure_email_skipped",
            message=(
                f"E-mail de falha não repetido: o mesmo erro desta configuração já foi avisado "
                f"a {address} às {when}."
            ),
            data={"reason": reason, "covered_by": earlier.pk},
        )
        return
    try:
        dispatch_failure_email_send(
            request=request, step=step, error_message=reason, attempts=attempts
        )
    except Exception:
        logger.exception(
            "could not send the dispatch failure e-mail",
            extra={"request": str(request.public_id)},
        )
        return
    request_event_add(
        request=request,
        source=RequestEvent.Source.CHANCELA,
        kind="dispatch_failure_emailed",
        message=f"E-mail de falha enviado a {address}.",
        data={"reason": reason},
    )


# ---------------------------------------------------------------------------------- sweeper


def dispatches_sweep() -> int:
    """Re-enqueue requests the saga still owes work to and nobody is working on.

    A request is stalled when it is active (queued, sending, or activated but not notified),
    its lease is free or expired (its worker died), and no dispatch job of it is waiting, nor
    running since less than a lease (a worker that has not taken the lease yet).
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from chancela.signing.tasks import dispatch_signature_request

    now = timezone.now()
    task_path = dispatch_signature_request.module_path
    busy: set[str] = set()
    recent = now - timedelta(seconds=_lease_seconds())
    jobs = DBTaskResult.objects.filter(task_path=task_path).filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=recent)
    )
    for args_kwargs in jobs.values_list("args_kwargs", flat=True):
        kwargs = (args_kwargs or {}).get("kwargs") or {}
        args = (args_kwargs or {}).get("args") or []
        public_id = kwargs.get("request_public_id") or (args[0] if args else None)
        if public_id:
            busy.add(str(public_id))
    free = Q(dispatch_lease_until__isnull=True) | Q(dispatch_lease_until__lt=now)
    stalled = [
        str(public_id)
        for public_id in SignatureRequest.objects.filter(ACTIVE, free).values_list(
            "public_id", flat=True
        )
        if str(public_id) not in busy
    ]
    for public_id in stalled:
        dispatch_signature_request.enqueue(request_public_id=public_id)
    if stalled:
        logger.warning("stalled dispatches re-enqueued", extra={"count": len(stalled)})
    return len(stalled)
